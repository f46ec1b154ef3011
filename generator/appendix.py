"""The PHỤ LỤC table of the plan as an .xlsx workbook (A4 landscape, header row repeated on every page).

`build_appendix` is pure: it returns the bytes; the CLI writes them with `fsutil.atomic_write_bytes`.
"""

from __future__ import annotations

import io
import textwrap
import zipfile
from datetime import datetime, time

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from .model import Plan
from .vnformat import short_date
from .ziputil import normalize_zip

FONT = "Times New Roman"
HEADERS = ("TT", "Nhiệm vụ", "Đơn vị chủ trì", "Đơn vị phối hợp", "Sản phẩm hoàn thành", "Thời gian hoàn thành")
WIDTHS = {"A": 5, "B": 50, "C": 22, "D": 28, "E": 22, "F": 13}  # Excel width units (about 7 px each)
HEADER_ROW = 5

CHARS_PER_UNIT = 1.25  # Times New Roman 12 pt: characters per width unit (LibreOffice fits 1.3-1.4)
LINE_PT = 14.5  # height of one line of 12 pt text (LibreOffice uses about 13.8)
PADDING_PT = 6.0

_THIN = Side(style="thin")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
HEADER_FILL = PatternFill("solid", fgColor="D9D9D9")
MM = 1 / 25.4  # inches per millimetre


def _lines(text: str, width: float, size: float = 12, bold: bool = False) -> int:
    """How many lines `text` wraps to in a column `width` units wide (word wrap, estimated)."""
    chars = max(1, int(width * CHARS_PER_UNIT * 12 / size * (0.9 if bold else 1.0)) - 1)
    return sum(max(1, len(textwrap.wrap(p, chars))) for p in text.split("\n"))


def _height(cells: list[tuple[str, float]], size: float = 12, bold: bool = False) -> float:
    """A row height (pt) tall enough for the tallest of its (text, width) cells."""
    lines = max((_lines(text, width, size, bold) for text, width in cells if text), default=1)
    return round(lines * LINE_PT * size / 12 + PADDING_PT, 1)


def _write_row(ws: Worksheet, row: int, values: tuple, font: Font, centred: str = "", fill=None) -> None:
    """Write a bordered, wrapped, top-aligned table row; columns listed in `centred` are centred."""
    for col, value in zip(WIDTHS, values):
        cell = ws[f"{col}{row}"]
        cell.value = value if value != "" else None
        cell.font = font
        cell.border = BORDER
        horizontal = "center" if col in centred else "left"
        cell.alignment = Alignment(horizontal=horizontal, vertical="top", wrap_text=True)
        if fill is not None:
            cell.fill = fill


def _titles(ws: Worksheet, plan: Plan) -> None:
    total = sum(WIDTHS.values())
    meta = plan.meta
    rows = [
        (meta.appendix_heading, Font(name=FONT, size=13, bold=True)),
        (meta.appendix_title, Font(name=FONT, size=13, bold=True)),
        (meta.appendix_attached, Font(name=FONT, size=13, italic=True)),
    ]
    for row, (text, font) in enumerate(rows, start=1):
        cell = ws.cell(row=row, column=1, value=text)
        cell.font = font
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.merge_cells(f"A{row}:F{row}")
        ws.row_dimensions[row].height = _height([(text, total)], size=13, bold=font.b)
    note = amendment_note(plan)
    if note:  # row 4: the amending documents this state of the appendix includes
        cell = ws.cell(row=4, column=1, value=note)
        cell.font = Font(name=FONT, size=12, italic=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.merge_cells("A4:F4")
        ws.row_dimensions[4].height = _height([(note, total)])
    else:
        ws.row_dimensions[4].height = 8


def amendment_note(plan: Plan) -> str:
    """'(Đã sửa đổi, bổ sung theo Kế hoạch số ... ngày ... của ...)' listing the amendments applied, or ''."""
    if not plan.amendments:
        return ""
    docs = "; ".join(f"{d.kind} số {d.number} ngày {short_date(d.date)} của {d.issuer}" for d in plan.amendments)
    return f"(Đã sửa đổi, bổ sung theo {docs})"


def _table(ws: Worksheet, plan: Plan) -> int:
    """Write the header, group and task rows; return the last row written."""
    widths = list(WIDTHS.values())
    header_font = Font(name=FONT, size=12, bold=True)
    _write_row(ws, HEADER_ROW, HEADERS, header_font, centred="ABCDEF", fill=HEADER_FILL)
    for cell in ws[HEADER_ROW]:
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.row_dimensions[HEADER_ROW].height = _height(list(zip(HEADERS, widths)), bold=True)

    body_font = Font(name=FONT, size=12)
    row = HEADER_ROW
    for group in plan.groups:
        row += 1
        _write_row(ws, row, (group.numeral, group.title, "", "", "", ""), header_font, centred="A")
        ws.merge_cells(f"B{row}:F{row}")
        ws.row_dimensions[row].height = _height([(group.title, sum(widths[1:]))], bold=True)
        for task in group.tasks:
            row += 1
            values = (task.number, task.task, task.lead, task.partners, task.deliverable, task.timeframe.text)
            _write_row(ws, row, values, body_font, centred="AF")
            texts = [str(v) for v in values]
            ws.row_dimensions[row].height = _height(list(zip(texts, widths)))
    return row


def _print_setup(ws: Worksheet, last_row: int) -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.print_area = f"A1:F{last_row}"
    ws.print_options.horizontalCentered = True
    margins = ws.page_margins
    margins.top, margins.bottom, margins.left, margins.right = 20 * MM, 20 * MM, 30 * MM, 15 * MM
    margins.header = margins.footer = 0.3
    ws.oddHeader.center.text = "&P"
    ws.oddHeader.center.font = f"{FONT},Regular"
    ws.oddHeader.center.size = 12
    ws.freeze_panes = f"A{HEADER_ROW + 1}"


def build_appendix(plan: Plan) -> bytes:
    """The appendix table of `plan` as the bytes of an .xlsx file; equal plans give equal bytes."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Phụ lục"
    for col, width in WIDTHS.items():
        ws.column_dimensions[col].width = width
    _titles(ws, plan)
    last_row = _table(ws, plan)
    _print_setup(ws, last_row)

    latest = max([plan.meta.date, *(d.date for d in plan.amendments)])
    stamp = datetime.combine(latest, time())
    wb.properties.creator = "kehoach"
    wb.properties.created = wb.properties.modified = stamp
    buffer = io.BytesIO()
    # ExcelWriter directly: openpyxl's save_workbook would overwrite `modified` with the current time.
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()
    return normalize_zip(buffer.getvalue())
