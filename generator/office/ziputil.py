"""Deterministic zip packages (.docx, .xlsx): fixed timestamps and attributes, so equal inputs give equal bytes."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO


_EPOCH = (1980, 1, 1, 0, 0, 0)


def write_zip(entries: Iterable[tuple[str, bytes]]) -> bytes:
    """A zip holding `entries` in the given order, every entry deflated with a fixed timestamp."""
    buf = io.BytesIO()
    write_zip_to(buf, entries)
    return buf.getvalue()


def write_zip_to(target: str | Path | BinaryIO, entries: Iterable[tuple[str, bytes]]) -> None:
    """`write_zip` into a file (a path or an open binary file): entries taken one at a time, never all in memory."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            info = zipfile.ZipInfo(name, _EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data, compresslevel=1)  # fast deflate: forms are rendered by the thousand


def normalize_zip(data: bytes) -> bytes:
    """Rewrite a zip written by another library (openpyxl) with fixed timestamps."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        entries = [(i.filename, zf.read(i)) for i in zf.infolist()]
    return write_zip(entries)
