"""A returned form's task rows and free-text sections, located by their content-control tags (or, where an editor
dropped the tags, by their position), and the statuses as typed."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import NamedTuple

from lxml import etree

from ..forms import contract
from ..forms.contract import KINDS, LABELS, LAYOUTS, PLACEHOLDERS, SECTIONS
from ..office.ns import W
from ..plan.model import Task
from .package import _Budget
from .text import _P, _SDT, _T, _TR, _Doc, _cells, _tidy


_KINDS = {kind: kind for kind in KINDS}


@lru_cache(maxsize=1 << 16)  # the plan's texts come back in every form that lists the task
def _words(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def fold(text: str) -> str:
    """Lower case, no diacritics (đ -> d), punctuation as spaces, single spaces: for lenient matching."""
    text = unicodedata.normalize("NFD", text.casefold()).replace("đ", "d")
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"[^\w%]+", " ", text)
    return " ".join(text.split())


_STATUS_WORDS = {
    "Hoàn thành": ("hoan thanh", "da hoan thanh", "ht", "hoan tat", "da hoan tat", "xong", "da xong",
                   "da thuc hien xong", "hoan thanh 100%"),
    "Đang thực hiện": ("dang thuc hien", "dang trien khai", "dang tien hanh", "dth", "dang lam", "dang thuc hien do"),
    "Chưa thực hiện": ("chua thuc hien", "chua trien khai", "chua tien hanh", "cth", "chua lam"),
}
_STATUS_LOOKUP = {w: s for s, words in _STATUS_WORDS.items() for w in words}


@lru_cache(maxsize=4096)
def normalize_status(text: str) -> str | None:
    """One of STATUSES for a status picked or typed by hand ("đã hoàn thành", "HOÀN THÀNH", "hoan thanh"), else None."""
    return _STATUS_LOOKUP.get(fold(text))


_LISTS = (W + "dropDownList", W + "comboBox")


# Marks in a row's text: XML text cannot hold these characters, so no paragraph contains them.
_PARA, _CELL = "\x1e", "\x1f"  # before each paragraph; between cells


class Row(NamedTuple):
    """One table row of a returned form, as found (no plan needed): the paragraph texts of its cells, kehoach's
    controls in it as (task id, kind, cell index), and the cells holding a drop-down list. The texts are one string
    (each paragraph after a _PARA, cells joined by _CELL): thousands of forms wait in memory while the plan loads."""

    text: str
    tagged: tuple[tuple[str, str, int], ...] = ()
    lists: tuple[int, ...] = ()

    @property
    def cells(self) -> list[list[str]]:
        return [cell.split(_PARA)[1:] for cell in self.text.split(_CELL)]


def _rows(doc: _Doc, budget: _Budget) -> tuple[Row, ...]:
    """Every table row. One pass over each cell (lxml's filtered iter runs in C) finds its paragraphs' w:t, its
    controls and its drop-down lists; a cell that needs the exact reading (see _EXACT) is then read by the walk."""
    tags, exact = doc.tags, doc.exact_cells
    ids: dict[str, str] = {}
    rows = []
    for tr in doc.root.iter(_TR):
        budget.check()
        cells = _cells(tr)
        if not cells:
            continue
        texts: list[str] = []
        tagged: list[tuple[str, str, int]] = []
        lists: list[int] = []
        for i, tc in enumerate(cells):
            paras: list[list[str]] = []
            for el in tc.iter(_P, _T, _SDT, *_LISTS):
                tag = el.tag
                if tag == _T:
                    if paras:
                        paras[-1].append(el.text or "")
                elif tag == _P:
                    paras.append([])
                elif tag == _SDT:
                    task_id, kind = contract.parse_tag(tags.get(el, ""))
                    if kind in _KINDS:  # (one object per kind and task: shared again once unpickled)
                        tagged.append((ids.setdefault(task_id, task_id), _KINDS[kind], i))
                elif not lists or lists[-1] != i:  # a drop-down list or combo box
                    lists.append(i)
            walked: list[str] = []
            if tc in exact:
                doc.block_paragraphs(tc, walked)
            else:
                walked = ["".join(p) for p in paras]
            texts.append("".join(_PARA + p for p in walked))
        rows.append(Row(_CELL.join(texts), tuple(tagged), tuple(lists)))
    return tuple(rows)


def _task_rows(rows: tuple[Row, ...], by_code: Mapping[str, Task],
               task_ids: Mapping[str, Task]) -> Iterator[tuple[str, dict[str, list[str]]]]:
    """(task id, kind -> the cell's paragraphs) of each row that reports on a task of the plan."""
    for row in rows:
        cells = row.cells
        tagged = [t for t in row.tagged if t[0] in task_ids]
        task_id = None
        kinds: dict[str, int] = {}
        if tagged:
            ids = [t for t, _, _ in tagged]
            task_id = ids[0]
            if ids.count(task_id) != len(ids):  # a control pasted from another row loses
                task_id = max(sorted(set(ids)), key=ids.count)
            kinds = {kind: i for tid, kind, i in reversed(tagged) if tid == task_id}  # the first one of a kind wins
        if task_id is None:
            # controls removed: recognise the row by the task code in its first cell ("II.11")
            task = by_code.get(_words(_tidy(cells[0], None)))
            if task is None:
                continue
            task_id = task.id
        layout = LAYOUTS.get(len(cells))
        if layout is not None and len(kinds) < len(KINDS):
            for i, column in enumerate(layout):
                for kind in column:
                    kinds.setdefault(kind, i)
        if "status" not in kinds and row.lists:
            # LibreOffice drops both the tag and the title of a drop-down list: find it by its list
            kinds["status"] = row.lists[0]
        found = {kind: cells[i] for kind, i in kinds.items()}
        for first in ("task", "status"):
            shared = kinds.get(first)
            labelled = [k for k in LABELS if k != first and kinds.get(k) == shared]
            if shared is not None and labelled:
                found.update(_split_cell(cells[shared], first, labelled))
        yield task_id, found


def _split_cell(paras: list[str], first: str, kinds: list[str]) -> dict[str, list[str]]:
    """A shared cell's paragraphs shared out: each paragraph starting with the label of one of `kinds` ("Sản phẩm: ")
    and those after it belong to that kind (without the label), the ones before to `first` (the task, the status).
    A kind whose label is not there (an empty product is not printed) gets no paragraphs."""
    out: dict[str, list[str]] = {first: [], **{k: [] for k in kinds}}
    current = first
    for text in paras:
        stripped = text.lstrip()
        for kind in kinds:
            if stripped.startswith(LABELS[kind]) or stripped.startswith(LABELS[kind].rstrip()):
                current, text = kind, stripped[len(LABELS[kind].rstrip()):].lstrip()
                break
        out[current].append(text)
    return out


# ---------------------------------------------------------------------------------------------------------- sections


_HEADING = re.compile(r"^\s*[IVX]+\s*[.)]\s")


def _body_child(el: etree._Element, body: etree._Element) -> etree._Element | None:
    while el is not None and el.getparent() is not body:
        el = el.getparent()
    return el


def _section_text(doc: _Doc, start: etree._Element, own_tag: str, placeholder: str) -> str:
    """The paragraphs from `start` on, until the next heading, table, closing sentence or another control."""
    paras: list[str] = []
    el: etree._Element | None = start
    first = True
    while el is not None:
        if el.tag in (W + "tbl", W + "sectPr"):
            break
        if not first and doc.has_kehoach_tag(el, own_tag):
            break
        texts = doc.paragraphs_of(el)
        if not first and texts:
            lead = texts[0].strip()
            if _HEADING.match(lead) or lead.startswith("Trên đây"):
                break
        paras.extend(texts)
        first = False
        el = el.getnext()
    return _tidy(paras, placeholder)


def _sections(doc: _Doc) -> dict[str, str]:
    body = doc.root.find(W + "body")
    if body is None:
        return {}
    found: dict[str, etree._Element] = {}
    for sdt in doc.root.iter(_SDT):
        tag = doc.tags.get(sdt)
        owner, name = contract.parse_tag(tag or "")
        if owner == contract.SECTION and name in SECTIONS and name not in found:
            anchor = _body_child(sdt, body)
            if anchor is not None:
                found[name] = anchor
    out = {}
    for name in SECTIONS:
        start = found.get(name)
        if start is None:  # control deleted: start after the heading ("II. KHÓ KHĂN, VƯỚNG MẮC")
            key = fold(SECTIONS[name].split(",")[0])
            for p in body.iterchildren(W + "p"):
                text = doc.para_text(p)
                if _HEADING.match(text) and fold(text).split(" ", 1)[-1].startswith(key):
                    start = p.getnext()
                    break
        out[name] = _section_text(doc, start, contract.tag(contract.SECTION, name), PLACEHOLDERS[name]) if start is not None else ""
    return out
