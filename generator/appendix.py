"""The PHỤ LỤC table of the plan as an .xlsx workbook (A4 landscape, header row repeated on every page).

`build_appendix` is pure: it returns the bytes; the CLI writes them with `fsutil.atomic_write_bytes`. The sheet is
streamed (openpyxl's write-only mode, one named style per kind of cell), so a national-scale appendix of thousands of
tasks stays fast and small in memory.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime, time

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from .model import Plan
from .vnformat import short_date
from .xlsxcell import set_value
from .ziputil import normalize_zip

FONT = "Times New Roman"
HEADERS = ("TT", "Nhiệm vụ", "Đơn vị chủ trì", "Đơn vị phối hợp", "Sản phẩm hoàn thành", "Thời gian hoàn thành")
WIDTHS = {"A": 5, "B": 50, "C": 22, "D": 28, "E": 22, "F": 13}  # Excel width units (about 7 px each)
HEADER_ROW = 5

CHARS_PER_UNIT = 1.25  # Times New Roman 12 pt: characters per width unit (LibreOffice fits 1.3-1.4)
LINE_PT = 14.5  # height of one line of 12 pt text (LibreOffice uses about 13.8)
PADDING_PT = 6.0
MM = 1 / 25.4  # inches per millimetre

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


def _lines(text: str, width: float, size: float = 12, bold: bool = False) -> int:
    """How many lines `text` wraps to in a column `width` units wide (greedy word wrap, estimated)."""
    chars = max(1, int(width * CHARS_PER_UNIT * 12 / size * (0.9 if bold else 1.0)) - 1)
    total = 0
    for paragraph in text.split("\n"):
        lines, used = 1, 0
        for word in paragraph.split():
            n = len(word)
            if used and used + 1 + n > chars:
                lines, used = lines + 1, 0
            used += n if not used else n + 1
            while used > chars:  # a word longer than the line breaks across lines
                lines, used = lines + 1, used - chars
        total += lines
    return total


def _height(cells: list[tuple[str, float]], size: float = 12, bold: bool = False) -> float:
    """A row height (pt) tall enough for the tallest of its (text, width) cells."""
    lines = max((_lines(text, width, size, bold) for text, width in cells if text), default=1)
    return round(lines * LINE_PT * size / 12 + PADDING_PT, 1)


def amendment_note(plan: Plan) -> str:
    """'(Đã sửa đổi, bổ sung theo Kế hoạch số ... ngày ... của ...)' listing the amendments applied, or ''."""
    if not plan.amendments:
        return ""
    docs = "; ".join(f"{d.kind} số {d.number} ngày {short_date(d.date)} của {d.issuer}" for d in plan.amendments)
    return f"(Đã sửa đổi, bổ sung theo {docs})"


def _rows(plan: Plan):
    """Yield (values-with-styles, height, merge) for every row, top to bottom."""
    total = sum(WIDTHS.values())
    widths = list(WIDTHS.values())
    meta = plan.meta
    for text, style in ((meta.appendix_heading, "kh-title"), (meta.appendix_title, "kh-title"),
                        (meta.appendix_attached, "kh-attached")):
        yield [(text, style)], _height([(text, total)], size=13, bold=style == "kh-title"), "A:F"
    note = amendment_note(plan)  # row 4: the amending documents this state of the appendix includes
    yield ([(note, "kh-note")], _height([(note, total)]), "A:F") if note else ([], 8, None)
    yield [(h, "kh-header") for h in HEADERS], _height(list(zip(HEADERS, widths)), bold=True), None
    for group in plan.groups:
        cells = [(group.numeral, "kh-group-numeral"), (group.title, "kh-group")] + [(None, "kh-group")] * 4
        yield cells, _height([(group.title, sum(widths[1:]))], bold=True), "B:F"
        for task in group.tasks:
            values = (task.number, task.task, task.lead, task.partners, task.deliverable or None,
                      task.timeframe.text)
            styles = ("kh-centred", "kh-text", "kh-text", "kh-text", "kh-text", "kh-centred")
            texts = [str(v) if v is not None else "" for v in values]
            yield list(zip(values, styles)), _height(list(zip(texts, widths))), None


def _print_setup(ws) -> None:
    """Page setup; the sheet properties among it are written before the rows, so call this first."""
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.orientation = Worksheet.ORIENTATION_LANDSCAPE
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.print_options.horizontalCentered = True
    margins = ws.page_margins
    margins.top, margins.bottom, margins.left, margins.right = 20 * MM, 20 * MM, 30 * MM, 15 * MM
    margins.header = margins.footer = 0.3
    ws.oddHeader.center.text = "&P"
    ws.oddHeader.center.font = f"{FONT},Regular"
    ws.oddHeader.center.size = 12
    ws.freeze_panes = f"A{HEADER_ROW + 1}"  # the sheet view is written before the rows too


def build_appendix(plan: Plan) -> bytes:
    """The appendix table of `plan` as the bytes of an .xlsx file; equal plans give equal bytes."""
    wb = Workbook(write_only=True)
    for style in STYLES:
        wb.add_named_style(style)
    ws = wb.create_sheet("Phụ lục")
    for col, width in WIDTHS.items():
        ws.column_dimensions[col].width = width
    _print_setup(ws)
    index = 0
    for index, (cells, height, merge) in enumerate(_rows(plan), start=1):  # streamed: flat in memory
        ws.row_dimensions[index].height = height  # read when the row is written, then dropped
        if merge:
            first, last = merge.split(":")
            ws.merged_cells.add(f"{first}{index}:{last}{index}")
        out = []
        for value, style in cells:
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
