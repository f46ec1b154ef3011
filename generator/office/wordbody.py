"""The body of a Word document as a reader of its content sees it: paragraphs and tables in document order, read
from the WordprocessingML itself (python-docx's `row.cells` repeats a merged cell in every grid column and row it
covers; here a merge is said once).

- `walk(body)` yields `Para` (its text, line breaks as "\\n", tabs as "\\t") and `Table` blocks, in order; block
  content controls and custom XML are looked through; deleted text, field codes and comments are left out.
- A `Table` is a list of `Row`s; a row's `cells` are the cells Word shows, each with its grid column, its
  horizontal span (`w:gridSpan`, or the `w:hMerge` of old files) and, for a vertical merge (`w:vMerge`), the cell
  that starts it: a continuation cell has no text of its own and `origin` points at the cell above that holds it.
  `Row.header` is Word's "repeat as header row" (`w:tblHeader`).
- A table nested in a cell is flattened into the cell's text (its paragraphs, in order, one per line).

The same blocks come from a PDF (`office.pdfbody`), so one reader of a plan's content serves both.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from .ns import W


@dataclass
class Para:
    text: str


@dataclass
class Cell:
    text: str
    col: int  # first grid column
    span: int = 1
    origin: Cell | None = None  # a vertical merge's continuation: the cell (above) that holds the text

    @property
    def value(self) -> str:
        """The text shown in this cell's area: its own, or that of the vertically merged cell it continues."""
        return self.origin.text if self.origin is not None else self.text


@dataclass
class Row:
    cells: list[Cell]
    header: bool = False

    def at(self, col: int) -> Cell | None:
        """The cell covering grid column `col`, or None (a row with fewer cells than the grid)."""
        for c in self.cells:
            if c.col <= col < c.col + c.span:
                return c
        return None


@dataclass
class Table:
    rows: list[Row] = field(default_factory=list)
    continues_row: bool = False  # (a PDF page's table) a first row without a number may be the rest of the row
    #                              the previous page ended with: a PDF splits a row at a page break, Word's XML never

    @property
    def width(self) -> int:
        return max((c.col + c.span for r in self.rows for c in r.cells), default=0)


_P, _TBL, _SDT, _CUSTOM = W + "p", W + "tbl", W + "sdt", W + "customXml"
_CONTENT = W + "sdtContent"
_SKIP = {W + "del", W + "moveFrom", W + "instrText", W + "delText", W + "pPr", W + "rPr", W + "sdtPr",
         W + "commentReference", W + "footnoteReference", W + "endnoteReference", W + "fldData"}
_BREAKS = {W + "br", W + "cr"}


def walk(body) -> Iterator[Para | Table]:
    """The paragraphs and tables of `body` (w:body, or any block container), in document order."""
    for child in body:
        tag = child.tag
        if tag == _P:
            yield Para(paragraph_text(child))
        elif tag == _TBL:
            yield read_table(child)
        elif tag == _SDT:
            content = child.find(_CONTENT)
            if content is not None:
                yield from walk(content)
        elif tag == _CUSTOM:
            yield from walk(child)


def paragraph_text(p) -> str:
    """A paragraph's text: runs in order, `w:br`/`w:cr` as "\\n", `w:tab` as "\\t"; deletions, field codes and
    property elements left out; inline content controls, hyperlinks and insertions looked through."""
    out: list[str] = []
    _text_into(p, out)
    return "".join(out)


def _text_into(el, out: list[str]) -> None:
    for child in el:
        tag = child.tag
        if not isinstance(tag, str) or tag in _SKIP:
            continue
        if tag == W + "t":
            out.append(child.text or "")
        elif tag in _BREAKS:
            out.append("\n")
        elif tag == W + "tab":
            out.append("\t")
        elif tag == W + "noBreakHyphen":
            out.append("\u2011")
        elif tag == _TBL or tag == _P:  # (a paragraph never holds these; a text box's content is not read)
            continue
        else:
            _text_into(child, out)


def _cell_text(tc) -> str:
    """A cell's text: its paragraphs one per line, a nested table flattened (its cells' paragraphs, in order)."""
    lines: list[str] = []
    for block in walk(tc):
        if isinstance(block, Para):
            lines.append(block.text)
        else:
            lines.extend(c.text for r in block.rows for c in r.cells if c.origin is None and c.text)
    return "\n".join(lines)


def _int(el, attr: str, default: int) -> int:
    try:
        return max(int(el.get(W + attr, default)), 1)
    except (TypeError, ValueError):
        return default


def read_table(tbl) -> Table:
    """A table's rows as grid cells: spans from `w:gridSpan` (or `w:hMerge` continuations), vertical merges as a
    reference to the cell that starts them, header rows from `w:tblHeader`."""
    table = Table()
    above: dict[int, Cell] = {}  # grid column -> the cell last seen there (the origin of a merge going down)
    for tr in _children(tbl, W + "tr"):
        trpr = tr.find(W + "trPr")
        header = trpr is not None and trpr.find(W + "tblHeader") is not None and (
            trpr.find(W + "tblHeader").get(W + "val", "true") not in ("0", "false", "off"))
        col = 0
        grid_before = trpr.find(W + "gridBefore") if trpr is not None else None
        if grid_before is not None:
            col = _int(grid_before, "val", 0)
        cells: list[Cell] = []
        for tc in _children(tr, W + "tc"):
            pr = tc.find(W + "tcPr")
            span = _int(pr.find(W + "gridSpan"), "val", 1) if pr is not None and pr.find(W + "gridSpan") is not None else 1
            hmerge = pr.find(W + "hMerge") if pr is not None else None
            if hmerge is not None and hmerge.get(W + "val", "continue") == "continue" and cells:
                cells[-1].span += span  # an old file's horizontal merge: widen the cell it continues
                col += span
                continue
            vmerge = pr.find(W + "vMerge") if pr is not None else None
            cell = Cell(_cell_text(tc), col, span)
            if vmerge is not None and vmerge.get(W + "val", "continue") == "continue":
                start = above.get(col)
                if start is not None:
                    cell = Cell("", col, span, start.origin or start)
            cells.append(cell)
            for c in range(col, col + span):
                above[c] = cell
            col += span
        table.rows.append(Row(cells, header))
    return table


def _children(el, tag: str) -> Iterator:
    """`el`'s children of `tag` (rows of a table, cells of a row), looking through content controls and custom XML
    (not into a nested table)."""
    for child in el:
        if child.tag == tag:
            yield child
        elif child.tag in (_SDT, _CUSTOM):
            inner = child.find(_CONTENT) if child.tag == _SDT else child
            if inner is not None:
                yield from _children(inner, tag)
