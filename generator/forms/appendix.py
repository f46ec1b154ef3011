"""The PHỤ LỤC table of the plan as an .xlsx workbook (A4 landscape, header row repeated on every page).

`build_appendix` is pure: it returns the bytes; the CLI writes them with `fsutil.atomic_write_bytes`. The sheet is
streamed (openpyxl's write-only mode, one named style per kind of cell), so a national-scale appendix of thousands of
tasks stays fast and small in memory.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import datetime, time

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from ..office import xlsxfit
from ..office.vnformat import short_date
from ..office.xlsxcell import set_value
from ..office.ziputil import normalize_zip
from ..plan.model import Plan


FONT = xlsxfit.FONT
HEADERS = ("TT", "Nhiệm vụ", "Đơn vị chủ trì", "Đơn vị phối hợp", "Sản phẩm hoàn thành", "Thời gian hoàn thành")
# Column widths in Excel units; one unit is 6 pt with Times New Roman 12 as the workbook's default font, so the
# table (117 units, 702 pt) fits the 252 mm (714 pt) between the decree's margins of A4 landscape at 100 %:
# printed at 12 pt, never shrunk to fit, and the manual page breaks below are kept (Excel ignores them in "fit to").
WIDTHS = {"A": 6, "B": 41, "C": 18, "D": 21, "E": 18, "F": 13}
HEADER_ROW = 5

MM = 1 / 25.4  # inches per millimetre
MARGIN_TOP = MARGIN_BOTTOM = 20 * MM  # Nghị định 30: top and bottom 20-25 mm, left 30-35 mm, right 15-20 mm
MARGIN_LEFT, MARGIN_RIGHT = 30 * MM, 15 * MM
PAGE_HEIGHT_PT = 210 * 72 / 25.4  # A4 landscape
BREAK_SAFETY_PT = 6.0  # room left at a page foot: the spreadsheet's own page break must never come before ours
PAGE_NUMBER_SIZE = 13  # Nghị định 30: page numbers 13-14 pt, centred in the top margin, none on page 1

_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def _style(name: str, *, size: float = 12, bold: bool = False, italic: bool = False, horizontal: str = "left",
           vertical: str = "top", border: bool = True, fill: str | None = None) -> NamedStyle:
    style = NamedStyle(name=name)
    style.font = Font(name=FONT, size=size, bold=bold, italic=italic)
    style.alignment = Alignment(horizontal=horizontal, vertical=vertical, wrap_text=True)
    if border:
        style.border = _BORDER
    if fill:
        style.fill = PatternFill("solid", fgColor=fill)
    return style


STYLES = [
    _style("kh-title", size=13, bold=True, horizontal="center", vertical="center", border=False),
    _style("kh-attached", size=13, italic=True, horizontal="center", vertical="center", border=False),
    _style("kh-note", italic=True, horizontal="center", vertical="center", border=False),
    _style("kh-header", bold=True, horizontal="center", vertical="center", fill="D9D9D9"),
    _style("kh-group", bold=True),
    _style("kh-group-numeral", bold=True, horizontal="center"),
    _style("kh-text"),
    _style("kh-centred", horizontal="center"),
]


@dataclass(frozen=True)
class _Row:
    cells: list  # (value, style name) per cell
    height: float  # points
    merge: str | None = None  # "A:F": the row's cells merged across those columns
    kind: str = "text"  # "title", "header", "group" or "task"


def amendment_note(plan: Plan) -> str:
    """'(Đã sửa đổi, bổ sung theo Kế hoạch số ... ngày ... của ...)' listing the amendments applied, or ''."""
    if not plan.amendments:
        return ""
    docs = "; ".join(f"{d.kind} số {d.number} ngày {short_date(d.date)} của {d.issuer}" for d in plan.amendments)
    return f"(Đã sửa đổi, bổ sung theo {docs})"


def _rows(plan: Plan):
    """Every row of the sheet, top to bottom, each with the height its wrapped text needs."""
    widths = list(WIDTHS.values())
    total = sum(widths)
    meta = plan.meta
    for text, style in ((meta.appendix_heading, "kh-title"), (meta.appendix_title, "kh-title"),
                        (meta.appendix_attached, "kh-attached")):
        height = xlsxfit.row_height([(text, total)], 13, bold=style == "kh-title", italic=style == "kh-attached")
        yield _Row([(text, style)], height, "A:F", "title")
    note = amendment_note(plan)  # row 4: the amending documents this state of the appendix includes
    if note:
        yield _Row([(note, "kh-note")], xlsxfit.row_height([(note, total)], 12, italic=True), "A:F", "title")
    else:
        yield _Row([], 8, None, "title")
    yield _Row([(h, "kh-header") for h in HEADERS], xlsxfit.row_height(zip(HEADERS, widths), 12, bold=True),
               None, "header")
    for group in plan.groups:
        cells = [(group.numeral, "kh-group-numeral"), (group.title, "kh-group")] + [(None, "kh-group")] * 4
        height = xlsxfit.row_height([(group.numeral, widths[0]), (group.title, sum(widths[1:]))], 12, bold=True)
        yield _Row(cells, height, "B:F", "group")
        for task in group.tasks:
            values = (task.number, task.task, task.lead, task.partners, task.deliverable or None,
                      task.timeframe.text)
            styles = ("kh-centred", "kh-text", "kh-text", "kh-text", "kh-text", "kh-centred")
            texts = [str(v) if v is not None else "" for v in values]
            yield _Row(list(zip(values, styles)), xlsxfit.row_height(zip(texts, widths), 12), None, "task")


def page_breaks(rows: list[_Row]) -> list[int]:
    """The sheet rows (1-based) that start a new printed page: as many rows on a page as fit, a group row never last.

    The printable height is the A4 landscape page less the top and bottom margins (and, from page 2, the header row
    repeated as print title), less a little room so that Excel's and LibreOffice's own automatic breaks never come
    first. Excel has no "keep with next": a group row that would end a page moves to the next one with its task.
    """
    room = PAGE_HEIGHT_PT - (MARGIN_TOP + MARGIN_BOTTOM) * 72 - BREAK_SAFETY_PT
    title = rows[HEADER_ROW - 1].height
    breaks: list[int] = []
    first, used = 1, 0.0  # the first row of the current page; the height used on it
    for index, row in enumerate(rows, start=1):
        if used + row.height > room and index > first and index > HEADER_ROW:
            start = index
            if rows[index - 2].kind == "group" and index - 1 > first:
                start = index - 1  # the group row goes to the next page with its first task
            breaks.append(start)
            first = start
            used = title + sum(r.height for r in rows[start - 1:index - 1])
        used += row.height
    return breaks


def _print_setup(ws) -> None:
    """Page setup; the sheet properties among it are written before the rows, so call this first."""
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.orientation = Worksheet.ORIENTATION_LANDSCAPE
    ws.page_setup.scale = 100  # no "fit to page": the columns fit at 100 % and the manual page breaks are kept
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.print_options.horizontalCentered = True
    margins = ws.page_margins
    margins.top, margins.bottom, margins.left, margins.right = MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT
    margins.header = margins.footer = 0.3
    ws.HeaderFooter.differentFirst = True  # page 1 has its own header, left empty: no number on page 1
    ws.oddHeader.center.text = "&P"
    ws.oddHeader.center.font = f"{FONT},Regular"
    ws.oddHeader.center.size = PAGE_NUMBER_SIZE
    ws.freeze_panes = f"A{HEADER_ROW + 1}"  # the sheet view is written before the rows too


def build_appendix(plan: Plan) -> bytes:
    """The appendix table of `plan` as the bytes of an .xlsx file; equal plans give equal bytes."""
    wb = Workbook(write_only=True)
    xlsxfit.use_default_font(wb)  # column widths are in digits of the default font: make it Times New Roman 12
    for style in STYLES:
        wb.add_named_style(style)
    ws = wb.create_sheet("Phụ lục")
    for col, width in WIDTHS.items():
        ws.column_dimensions[col].width = width
    _print_setup(ws)
    rows = list(_rows(plan))  # the heights of all rows decide the page breaks; the cells are still streamed
    for start in page_breaks(rows):
        ws.row_breaks.append(Break(id=start - 1))  # a break after row id: the next page starts at `start`
    index = 0
    for index, row in enumerate(rows, start=1):
        ws.row_dimensions[index].height = row.height  # read when the row is written, then dropped
        if row.merge:
            first, last = row.merge.split(":")
            ws.merged_cells.add(f"{first}{index}:{last}{index}")
        out = []
        for value, style in row.cells:
            cell = WriteOnlyCell(ws)
            cell.style = style
            set_value(cell, value)  # a task written "=1+1" is a text, never a formula
            out.append(cell)
        ws.append(out)
        del ws.row_dimensions[index]
    ws.print_area = f"A1:F{index}"

    latest = max([plan.meta.date, *(d.date for d in plan.amendments)])
    stamp = datetime.combine(latest, time())
    wb.properties.creator = "kehoach"
    wb.properties.created = wb.properties.modified = stamp
    buffer = io.BytesIO()
    # ExcelWriter directly: openpyxl's save_workbook would overwrite `modified` with the current time.
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()
    return normalize_zip(buffer.getvalue())
