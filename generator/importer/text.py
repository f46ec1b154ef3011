"""How the importer writes what it reads: every cell and header field verbatim, NFC, whitespace runs (line breaks
inside a cell included) made one space, the stray "<p>" tags a text extraction leaves dropped; and the ASCII slugs of
ids and folder names."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


_TAG = re.compile(r"</?p\s*>", re.IGNORECASE)


def clean(text: str) -> str:
    """A cell or header text as the plan's YAML holds it (see tasks.yaml's comment): NFC, "<p>" tags dropped, every
    run of whitespace (spaces, tabs, line breaks, paragraphs of a cell) one space, no space at either end."""
    return " ".join(_TAG.sub(" ", unicodedata.normalize("NFC", text)).split())


def slug(text: str, words: int | None = None) -> str:
    """An ASCII slug: accents dropped ("đ" -> "d"), lower case, words joined by "-" (`words`: only the first ones)."""
    base = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    ascii_ = "".join(c for c in base if not unicodedata.combining(c)).lower()
    parts = re.findall(r"[a-z0-9]+", ascii_)
    return "-".join(parts[:words] if words else parts)


@dataclass(frozen=True)
class ReviewItem:
    """One thing the importer could not decide: where (a task code like "II.19", or a part of the plan), which field,
    and what to do, in Vietnamese."""

    where: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}, {self.field}: {self.message}"
