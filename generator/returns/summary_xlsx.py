"""The consolidated status tables of a year as an Excel workbook (status matrix, results, statistics chart)."""

from __future__ import annotations

import io
import zipfile

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.label import DataLabelList
from openpyxl.chart.marker import DataPoint
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from ..office import xlsxfit
from ..office.xlsxcell import set_value
from ..office.xlsxfit import FONT
from ..office.ziputil import normalize_zip
from .consolidate import CATEGORIES, NOT_REPORTED, NO_INFO, NO_STATUS, OTHER, ROLE_NAMES, Consolidation, _stamp
from .text import clean_text


XLSX_DEFAULT_SIZE = 11  # pt: the workbook's default font, Times New Roman (the unit of its column widths)
COLOURS = {  # Excel fills: green, yellow, red, grey
    "Hoàn thành": "C6EFCE",
    "Đang thực hiện": "FFEB9C",
    "Chưa thực hiện": "FFC7CE",
    NO_INFO: "D9D9D9",
    NOT_REPORTED: "D9D9D9",
    NO_STATUS: "D9D9D9",
    OTHER: "D9D9D9",
}
XLSX_MAX_CELL = 32_767


# ==================================================================================================== .xlsx

_THIN = Side(style="thin")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
HEADER_FILL = PatternFill("solid", fgColor="D9D9D9")
GROUP_FILL = PatternFill("solid", fgColor="F2F2F2")
WRAP_TOP = Alignment(vertical="top", wrap_text=True)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _fill(label: str) -> PatternFill:
    return PatternFill("solid", fgColor=COLOURS.get(label, COLOURS[OTHER]))


def _put(ws: Worksheet, row: int, col: int, value, *, bold: bool = False, italic: bool = False,
         align: Alignment = WRAP_TOP, fill: PatternFill | None = None, border: bool = True, size: float = 11):
    """Write a cell. Text is always stored as text (`xlsxcell.set_value`): an agency typing "=SUM(A1)" or "-" must
    never get a formula."""
    cell = ws.cell(row=row, column=col)
    if isinstance(value, str):
        value = clean_text(value)
        if len(value) > XLSX_MAX_CELL:
            value = value[: XLSX_MAX_CELL - 60] + " … (bị cắt do giới hạn của Excel; xem bản .docx)"
    set_value(cell, value)
    cell.font = Font(name=FONT, size=size, bold=bold, italic=italic)
    cell.alignment = align
    if fill is not None:
        cell.fill = fill
    if border:
        cell.border = BORDER
    return cell


def _title(ws: Worksheet, text: str, row: int = 1, *, size: float = 13, bold: bool = True,
           italic: bool = False, height: float = 22) -> None:
    _put(ws, row, 1, text, bold=bold, italic=italic, size=size, border=False,
         align=Alignment(horizontal="left", vertical="center"))
    ws.row_dimensions[row].height = height


def _status_pages(n: int, first: int, then: int) -> list[range]:
    """Agency columns 0..n-1 by printed page: at most `first` on the first page, `then` on each further one (the
    further pages repeat fewer columns), as even as possible over the further pages."""
    if n <= first:
        return [range(n)]
    rest = n - first
    pages = -(-rest // max(1, then))
    size = -(-rest // pages)
    return [range(first)] + [range(i, min(n, i + size)) for i in range(first, n, size)]


PRINT_WIDTH_PT = (297 - 20 - 15) / 25.4 * 72  # A4 landscape less the side margins of `_print_setup`
PRINTED_UNIT_PT = xlsxfit.digit_points(XLSX_DEFAULT_SIZE)  # the widest a column width unit prints (LibreOffice)
MATRIX_SIZE = 9  # pt: the status matrix (nothing printed under 8 pt)
STATUS_COLUMNS = (("TT", 5), ("Nhiệm vụ", 32), ("Tình trạng chung", 14))
AGENCY_WIDTH = 7


def _height(cells, size: float, bold: bool = False, italic: bool = False) -> float:
    """The row height (pt) for cells (text, column width) of one font in this workbook (`xlsxfit.row_height`)."""
    return xlsxfit.row_height(cells, size, bold, italic, default_size=XLSX_DEFAULT_SIZE)


def _status_sheet(ws: Worksheet, c: Consolidation) -> None:
    """Tasks x agencies. Printed at full size (nothing under 8 pt): the agencies split over as many pages as
    needed, the task columns and the header row repeated on every page."""
    agencies = c.expected
    first = len(STATUS_COLUMNS) + 1  # first agency column
    last = first + len(agencies) - 1
    size = MATRIX_SIZE
    title_width = sum(w for _, w in STATUS_COLUMNS)
    for row, (text, bold, italic) in enumerate((
            (f"TÌNH TRẠNG THỰC HIỆN CÁC NHIỆM VỤ NĂM {c.year} - KẾ HOẠCH SỐ {c.plan.meta.number}", True, False),
            ("Mỗi ô: tình trạng do đơn vị báo cáo cho nhiệm vụ; chữ đậm: đơn vị chủ trì; ô trống: nhiệm vụ không "
             "giao cho đơn vị. Xanh: hoàn thành; vàng: đang thực hiện; đỏ: chưa thực hiện; xám: chưa có thông tin.",
             False, True),
            ("Tình trạng chung: theo báo cáo của các đơn vị chủ trì; khi chưa đủ đơn vị chủ trì báo cáo, ghi kèm số "
             "đơn vị đã báo cáo trên số đơn vị phải báo cáo.", False, True)), start=1):
        text_size = 12 if bold else size
        _put(ws, row, 1, text, bold=bold, italic=italic, size=text_size, border=False,
             align=Alignment(horizontal="left", vertical="center", wrap_text=True))
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(STATUS_COLUMNS))
        ws.row_dimensions[row].height = _height([(text, title_width)], text_size, bold, italic)
    header = 4
    for col, (text, width) in enumerate(STATUS_COLUMNS, start=1):
        _put(ws, header, col, text, bold=True, align=CENTER, fill=HEADER_FILL, size=size)
        ws.column_dimensions[get_column_letter(col)].width = width
    for i, agency in enumerate(agencies):
        col = first + i
        _put(ws, header, col, agency.name, bold=True, fill=HEADER_FILL, size=size,
             align=Alignment(horizontal="center", vertical="center", text_rotation=90, wrap_text=True))
        ws.column_dimensions[get_column_letter(col)].width = AGENCY_WIDTH
    ws.row_dimensions[header].height = max(
        _height(STATUS_COLUMNS, size, bold=True),
        xlsxfit.rotated_row_height([a.name for a in agencies], AGENCY_WIDTH, size, bold=True,
                                   default_size=XLSX_DEFAULT_SIZE))
    col_of = {a.id: first + i for i, a in enumerate(agencies)}
    widths = {col: w for col, (_, w) in enumerate(STATUS_COLUMNS, start=1)}
    row = header
    for group, tasks in c.groups:
        row += 1
        _put(ws, row, 1, group.numeral, bold=True, fill=GROUP_FILL, align=CENTER, size=size)
        _put(ws, row, 2, group.title, bold=True, fill=GROUP_FILL, size=size)
        for col in range(3, last + 1):
            _put(ws, row, col, None, fill=GROUP_FILL)
        ws.row_dimensions[row].height = _height([(group.title, widths[2])], size, bold=True)
        for t in tasks:
            row += 1
            name = t.task.task + (" (đã hết thời hạn)" if t.expired else "")
            _put(ws, row, 1, t.task.code, align=CENTER, size=size)
            _put(ws, row, 2, name, size=size)
            _put(ws, row, 3, t.status_label, bold=True, align=CENTER, fill=_fill(t.status), size=size)
            for col in range(first, last + 1):
                _put(ws, row, col, None)
            bold_cells = [(t.status_label, widths[3])]  # the overall status and every agency's (for a lead) in bold
            for contribution in t.leads + t.partners:
                _put(ws, row, col_of[contribution.agency.id], contribution.label, bold=contribution.role == "lead",
                     align=CENTER, fill=_fill(contribution.category), size=size)
                bold_cells.append((contribution.label, AGENCY_WIDTH))
            ws.row_dimensions[row].height = max(_height([(name, widths[2])], size),
                                                _height(bold_cells, size, bold=True))
    ws.freeze_panes = ws.cell(row=header + 1, column=first)
    ws.auto_filter.ref = f"A{header}:{ws.cell(row=row, column=max(last, 3)).coordinate}"
    _print_setup(ws, f"{header}:{header}", "A:B")  # the task, on every page; its overall status on the first
    room = PRINT_WIDTH_PT * 0.98 / PRINTED_UNIT_PT
    on_first = int((room - title_width) // AGENCY_WIDTH)
    on_next = int((room - STATUS_COLUMNS[0][1] - STATUS_COLUMNS[1][1]) // AGENCY_WIDTH)
    for page in _status_pages(len(agencies), on_first, on_next)[:-1]:
        ws.col_breaks.append(Break(id=first + page[-1]))  # a page ends after this agency's column


RESULT_SIZE = 10
RESULT_COLUMNS = (("TT", 5), ("Nhiệm vụ", 28), ("Đơn vị", 18), ("Vai trò", 8), ("Tình trạng", 11),
                  ("Kết quả thực hiện", 46), ("Ghi chú", 15))  # 131 units: one A4 landscape page wide


def _results_sheet(ws: Worksheet, c: Consolidation) -> None:
    columns = RESULT_COLUMNS
    size = RESULT_SIZE
    _title(ws, f"KẾT QUẢ THỰC HIỆN CÁC NHIỆM VỤ NĂM {c.year} - KẾ HOẠCH SỐ {c.plan.meta.number}")
    _title(ws, "Theo báo cáo được tính của mỗi đơn vị; chỉ gồm các nhiệm vụ đơn vị có ghi nội dung.", row=2,
           size=size, bold=False, italic=True, height=18)
    header = 4
    for col, (text, width) in enumerate(columns, start=1):
        _put(ws, header, col, text, bold=True, align=CENTER, fill=HEADER_FILL, size=size)
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.row_dimensions[header].height = _height(columns, size, bold=True)
    widths = [w for _, w in columns]
    row = header
    for t in c.tasks:
        for contribution in t.leads + t.partners:
            if not contribution.has_content:
                continue
            e = contribution.entry
            row += 1
            values = (t.task.code, t.task.task, contribution.agency.name, ROLE_NAMES[contribution.role],
                      contribution.label, e.result, e.note)
            for col, value in enumerate(values, start=1):
                if col in (1, 4):
                    _put(ws, row, col, value, align=CENTER, size=size)
                elif col == 5:
                    _put(ws, row, col, value, align=CENTER, fill=_fill(contribution.category), size=size)
                else:
                    _put(ws, row, col, value, size=size)
            ws.row_dimensions[row].height = _height(
                [(ws.cell(row=row, column=col).value, w) for col, w in enumerate(widths, start=1)], size)
    ws.freeze_panes = ws.cell(row=header + 1, column=3)
    ws.auto_filter.ref = f"A{header}:G{max(row, header)}"
    _print_setup(ws, f"{header}:{header}")


def _stats_sheet(ws: Worksheet, c: Consolidation) -> None:
    _title(ws, f"SỐ NHIỆM VỤ THEO TÌNH TRẠNG NĂM {c.year}")
    _title(ws, f"Kế hoạch số {c.plan.meta.number}; tình trạng của nhiệm vụ theo báo cáo của đơn vị chủ trì.", row=2,
           size=11, bold=False, italic=True, height=18)
    header = 4
    for col, (text, width) in enumerate((("Tình trạng", 26), ("Số nhiệm vụ (theo đơn vị chủ trì)", 24),
                                          ("Số lượt báo cáo của các đơn vị", 24)), start=1):
        _put(ws, header, col, text, bold=True, align=CENTER, fill=HEADER_FILL)
        ws.column_dimensions[ws.cell(row=header, column=col).column_letter].width = width
    ws.row_dimensions[header].height = 32
    tasks, entries = c.task_counts(), c.entry_counts()
    for i, k in enumerate(CATEGORIES, start=header + 1):
        _put(ws, i, 1, k, fill=_fill(k))
        _put(ws, i, 2, tasks[k], align=CENTER)
        _put(ws, i, 3, entries[k], align=CENTER)
    total = header + len(CATEGORIES) + 1
    _put(ws, total, 1, "Tổng số", bold=True)
    _put(ws, total, 2, sum(tasks.values()), bold=True, align=CENTER)
    _put(ws, total, 3, sum(entries.values()), bold=True, align=CENTER)

    chart = BarChart()
    chart.type = "col"
    chart.title = f"Số nhiệm vụ theo tình trạng năm {c.year}"
    chart.y_axis.title = "Số nhiệm vụ"
    chart.legend = None
    data = Reference(ws, min_col=2, min_row=header, max_row=header + len(CATEGORIES))
    cats = Reference(ws, min_col=1, min_row=header + 1, max_row=header + len(CATEGORIES))
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(cats)
    series = chart.series[0]
    for i, k in enumerate(CATEGORIES):
        point = DataPoint(idx=i)
        point.graphicalProperties.solidFill = {"Hoàn thành": "70AD47", "Đang thực hiện": "FFC000",
                                               "Chưa thực hiện": "C00000"}.get(k, "A6A6A6")
        series.dPt.append(point)
    series.dLbls = DataLabelList()
    series.dLbls.showVal = True
    series.dLbls.showSerName = series.dLbls.showCatName = series.dLbls.showLegendKey = False
    series.dLbls.showPercent = False
    chart.y_axis.majorGridlines = None
    chart.y_axis.delete = False
    chart.x_axis.delete = False
    chart.height, chart.width = 9, 15
    ws.add_chart(chart, f"A{total + 2}")
    _print_setup(ws, f"{header}:{header}", landscape=False)


def _print_setup(ws: Worksheet, title_rows: str, title_cols: str | None = None, *, landscape: bool = True) -> None:
    """A4 at full size (never shrunk to fit: the text must print at the size it has), decree-like margins, the
    header rows (and the columns `title_cols`) printed on every page."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE if landscape else ws.ORIENTATION_PORTRAIT
    ws.sheet_properties.pageSetUpPr.fitToPage = False
    ws.page_setup.scale = 100
    ws.print_title_rows = title_rows
    if title_cols:
        ws.print_title_cols = title_cols
    mm = 1 / 25.4
    margins = ws.page_margins
    margins.top, margins.bottom, margins.left, margins.right = 20 * mm, 20 * mm, 20 * mm, 15 * mm


def summary_xlsx(c: Consolidation) -> bytes:
    """The status matrix (tasks x agencies), the results text and a chart of tasks by status, as .xlsx bytes."""
    wb = Workbook()
    xlsxfit.use_default_font(wb, XLSX_DEFAULT_SIZE)  # column widths are in its digits, in Excel and LibreOffice alike
    _status_sheet(wb.active, c)
    wb.active.title = "Tình trạng"
    _results_sheet(wb.create_sheet("Kết quả"), c)
    _stats_sheet(wb.create_sheet("Thống kê"), c)
    wb.properties.creator = "kehoach"
    wb.properties.title = f"Tổng hợp kết quả thực hiện Kế hoạch số {c.plan.meta.number} năm {c.year}"
    wb.properties.created = wb.properties.modified = _stamp(c)
    buffer = io.BytesIO()
    # ExcelWriter directly: openpyxl's save_workbook would overwrite `modified` with the current time.
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()
    return normalize_zip(buffer.getvalue())
