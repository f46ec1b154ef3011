"""The text of a returned form's WordprocessingML, as Word shows it: deleted and moved-away text, field codes and
placeholder hints left out, list items marked. Fast lxml iterators, falling back to an exact walk where special
elements appear."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence

from lxml import etree

from ..forms.contract import HINT_LEAD, PLACEHOLDERS
from ..office import wml as ooxml
from ..office.ns import MC, W, W_NS


_HINTS = frozenset(PLACEHOLDERS.values())
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


# ---------------------------------------------------------------------------------------------------------- text


def clean_text(text: str) -> str:
    """NFC, no control characters (they cannot be stored in .xlsx/.docx), no trailing spaces on lines."""
    text = unicodedata.normalize("NFC", _ILLEGAL.sub("", text))
    if "\n" not in text:  # nearly every paragraph
        return text.rstrip()
    return "\n".join(line.rstrip() for line in text.split("\n"))


def _hint_xpath() -> etree.XPath:
    """The content controls showing their grey hint: flagged `w:showingPlcHdr` and holding a hint of the form or
    nothing (the hint's lead character and spaces aside). Word clears the flag when the user types; LibreOffice 7.4
    keeps it on what was typed over the hint, so a flagged control holding other text holds what the agency typed.
    (One XPath, in C: this runs for every fill-in control of every form read.)"""
    assert not any("'" in hint for hint in _HINTS)
    text = f"normalize-space(translate(string(w:sdtContent), '{HINT_LEAD}', ''))"
    hints = " or ".join(f"{text} = '{hint}'" for hint in sorted(("", *_HINTS)))
    return etree.XPath(f"//w:sdt[w:sdtPr/w:showingPlcHdr][{hints}]", namespaces={"w": W_NS})


_SHOWING_HINT = _hint_xpath()


def _hint_text(text: str) -> str:
    """A text compared with the form's hints: without the hint's lead character and surrounding spaces."""
    return text.replace(HINT_LEAD, "").strip()


def _is_list(p: etree._Element) -> bool:
    num = p.find(f"{W}pPr/{W}numPr/{W}numId")
    return num is not None and num.get(W + "val", "0") != "0"


_SKIP = {W + n for n in ("del", "moveFrom", "delText", "instrText", "delInstrText", "sdtPr", "sdtEndPr", "rPr", "pPr",
                         "fldData", "footnoteReference", "endnoteReference", "commentReference")}
_SKIP.add(MC + "AlternateContent")  # text boxes and drawings: not part of a cell's text
# What makes a paragraph's text more than the concatenation of its w:t elements: characters written as elements,
# skipped content (deletions, moves, drawings, fields, references) and placeholders (found separately).
# (Skipped properties hold no text.)
_SPECIAL = (*(W + n for n in ("tab", "ptab", "br", "cr", "noBreakHyphen", "sym")),
            *sorted(_SKIP - {W + n for n in ("sdtPr", "sdtEndPr", "rPr", "pPr")}))


def _parents(root: etree._Element, tag: str, up: int, parent_tag: str) -> Iterator[etree._Element]:
    """The `parent_tag` elements `up` levels above each `tag` element (lxml's filtered iter runs in C)."""
    for el in root.iter(tag):
        for _ in range(up):
            el = el.getparent()
            if el is None:
                break
        if el is not None and el.tag == parent_tag:
            yield el


class _Doc:
    """The text of one parsed document, read the way a person sees it.

    A paragraph's text is its w:t text, tabs and breaks, without deleted or moved-away text, drawings and the grey
    placeholder of an empty content control; a list item starts with "- ". Two w:t next to each other in one run
    are two lines: that is how LibreOffice writes a line break typed in a control it shows as an input field (Enter
    in a result cell or a free section: it drops the line break character and starts a new w:t), while Word and
    every other writer put a w:br, w:tab... between the w:t of one run. The element-by-element walk that
    implements this (`_inline`) is exact but slow in Python, so a few filtered passes over the tree (in C) first
    find the content controls' tags, the placeholders, the list paragraphs, every paragraph holding anything
    special and every table cell holding anything of _EXACT; all other paragraphs and cells - nearly all of a form -
    are read from their w:t elements with lxml's C iterators (see `para_text`, `_rows`), which gives the same text
    for anything Word or LibreOffice writes (w:t elements always sit in runs there).
    """

    def __init__(self, root: etree._Element):
        self.root = root
        self.tags = ooxml.sdt_tags(root)
        self.placeholders = set(_SHOWING_HINT(root))
        self.lists = {p for p in _parents(root, W + "numId", 3, _P) if _is_list(p)}
        self.special: set[etree._Element] = set()
        self.exact_cells: set[etree._Element] = set()  # table cells holding anything of _EXACT
        for el in (*root.iter(*_EXACT), *self.placeholders, *_next_t(root)):
            self.exact_cells.update(el.iterancestors(_TC))
            if el.tag in _SPECIAL and (el.tag != W + "tab" or el.getparent().tag != W + "tabs"):  # tab stops are
                self.special.update(el.iterancestors(_P))  # paragraph properties
            elif el.tag in (_SDT, _T):  # a placeholder; a w:t right after another one (a line break)
                self.special.update(el.iterancestors(_P))

    def _inline(self, el: etree._Element, out: list[str]) -> None:
        previous = None
        for child in el:
            tag = child.tag
            if not isinstance(tag, str):
                continue
            previous, after_t = tag, previous == _T
            if tag in _SKIP:
                continue
            if tag == _T:
                if after_t:  # (see the class docstring)
                    out.append("\n")
                out.append(child.text or "")
            elif tag in (W + "tab", W + "ptab"):
                out.append("\t")
            elif tag in (W + "br", W + "cr"):
                out.append("\n")
            elif tag == W + "noBreakHyphen":
                out.append("-")
            elif tag == W + "sym":
                continue
            elif tag == _SDT and child in self.placeholders:
                continue
            else:
                self._inline(child, out)

    def walked_text(self, p: etree._Element) -> str:
        """A paragraph's text by the exact walk (`para_text` without the fast path, and without the list mark)."""
        out: list[str] = []
        self._inline(p, out)
        return "".join(out)

    def para_text(self, p: etree._Element) -> str:
        text = self.walked_text(p) if p in self.special else "".join(p.itertext(_T, with_tail=False))
        if p in self.lists and text.strip():
            text = "- " + text.lstrip()
        return text

    def block_paragraphs(self, el: etree._Element, out: list[str]) -> None:
        """Paragraph texts of a block container (cell, sdtContent, body), in document order."""
        for child in el.iterchildren(_P, _SDT, *_BLOCK_WRAPPERS):  # filtered in C: no properties, no bookmarks
            tag = child.tag
            if tag == _P:
                out.append(self.para_text(child))
            elif tag == _SDT:
                if child in self.placeholders:
                    continue
                content = child.find(_SDT_CONTENT)
                if content is not None:
                    self.block_paragraphs(content, out)
            elif tag == _TBL:
                out.extend(self.table_lines(child))
            else:
                self.block_paragraphs(child, out)

    def table_lines(self, tbl: etree._Element) -> list[str]:
        """A table typed inside a block (a cell's small table): one line per row, its cells joined by TABLE_CELLS,
        a cell's paragraphs by spaces; empty rows left out."""
        lines = []
        for tr in tbl.iter(_TR):
            if next(tr.iterancestors(_TBL), None) is not tbl:
                continue  # a row of a table nested further down: read within its own cell
            cells = []
            for tc in _cells(tr):
                paras: list[str] = []
                self.block_paragraphs(tc, paras)
                cells.append(" ".join(" ".join(p.split()) for p in paras if p.strip()))
            if any(cells):
                lines.append(TABLE_CELLS.join(cells))
        return lines

    def paragraphs_of(self, el: etree._Element) -> list[str]:
        """Paragraph texts of one body-level element (paragraph, block content control, ...)."""
        if el.tag == _P:
            return [self.para_text(el)]
        if el.tag == _SDT:
            content = el.find(_SDT_CONTENT)
            if el in self.placeholders or content is None:
                return []
            el = content
        out: list[str] = []
        self.block_paragraphs(el, out)
        return out

    def has_kehoach_tag(self, el: etree._Element, own: str) -> bool:
        """Whether `el` holds a content control of kehoach's other than `own`."""
        for sdt in el.iter(_SDT):
            tag = self.tags.get(sdt)
            if tag and "|" in tag and tag != own:
                return True
        return False


_BLOCK_WRAPPERS = tuple(W + n for n in ("tbl", "tr", "tc", "customXml", "sdtContent", "ins", "moveTo", "smartTag"))
_P, _T, _SDT, _SDT_CONTENT, _TC, _TR, _TBL = (W + n for n in ("p", "t", "sdt", "sdtContent", "tc", "tr", "tbl"))
TABLE_CELLS = " | "  # between the cells of a row of a table typed inside a cell
# A table cell holding none of these reads as the concatenated w:t of each of its paragraphs (see _rows): nothing
# special (_SPECIAL), no list item, no placeholder, no text box (paragraphs inside a paragraph), no table of its own. Only hand-made XML,
# which Word refuses to open, could still read differently: a w:t outside a run or a paragraph, a paragraph inside
# control properties.
_EXACT = (*_SPECIAL, *(W + n for n in ("numId", "showingPlcHdr", "txbxContent", "tbl")))  # tbl: inside a cell
# ... nor a w:t right after another w:t of its run (LibreOffice's line break in a control, see _Doc); found in C
_LATER_T = etree.XPath("//w:t[position() > 1]", namespaces={"w": W_NS})  # (the candidates: rare, and cheap to find)


def _next_t(root: etree._Element) -> Iterator[etree._Element]:
    for t in _LATER_T(root):
        previous = t.getprevious()
        if previous is not None and previous.tag == _T:
            yield t


def _tidy(paras: Sequence[str], placeholder: str | None) -> str:
    """Join paragraphs, dropping placeholder text (LibreOffice keeps it as plain text) and blank ends."""
    kept = []
    for text in paras:
        text = clean_text(text)
        if placeholder:
            stripped = _hint_text(text)
            if stripped == placeholder:
                continue
            if len(placeholder) > 3 and stripped.startswith(placeholder):  # typed after the grey text
                text = stripped[len(placeholder):].lstrip()
        kept.append(text)
    while kept and not kept[0].strip():
        kept.pop(0)
    while kept and not kept[-1].strip():
        kept.pop()
    return "\n".join(kept)


# ---------------------------------------------------------------------------------------------------------- rows


def _cells(tr: etree._Element) -> list[etree._Element]:
    """The cells of a row in order, looking through row-level wrappers (content controls, custom XML)."""
    out = []
    for child in tr.iterchildren(_TC, *_ROW_WRAPPERS):
        if child.tag == _TC:
            out.append(child)
        else:
            out.extend(_cells(child))
    return out


_ROW_WRAPPERS = (_SDT, W + "customXml", _SDT_CONTENT)
