"""The planning office's consolidated report of a year: returned forms -> one Word report and one Excel matrix.

Pure: `consolidate` turns the plan and the submissions that count (the latest of each agency) into a
`Consolidation`; `summary_docx` and `summary_xlsx` turn that into bytes. Equal inputs give equal bytes (fixed
document dates derived from the plan and year, normalised zips); the time a form was received is never printed.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass

from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.label import DataLabelList
from openpyxl.chart.marker import DataPoint
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from . import ooxml
from .assignments import assignments, receiver_at
from .formreader import STATUSES, Entry, clean_text
from .decree import fill_cell as _fill_cell, header_block, lean_bytes, new_document, signature_block, title_block
from .decree import para as _para
from .forms import receiver_name
from .model import Agency, Group, Plan, Task
from .store import Submission
from .vnformat import blank_date_line, short_date
from .xlsxcell import set_value
from .ziputil import normalize_zip

FONT = "Times New Roman"
NO_INFO = "Chưa có thông tin"  # a task no lead (or partner) reported a status for
NOT_REPORTED = "Chưa báo cáo"  # an agency that sent no form
NO_STATUS = "Không ghi tình trạng"  # an agency that sent its form but left the status empty
OTHER = "Khác"  # a status typed by hand that is none of STATUSES
CATEGORIES = STATUSES + (NO_INFO,)
COLOURS = {  # Excel fills: green, yellow, red, grey
    "Hoàn thành": "C6EFCE",
    "Đang thực hiện": "FFEB9C",
    "Chưa thực hiện": "FFC7CE",
    NO_INFO: "D9D9D9",
    NOT_REPORTED: "D9D9D9",
    NO_STATUS: "D9D9D9",
    OTHER: "D9D9D9",
}
ROLE_NAMES = {"lead": "Chủ trì", "partner": "Phối hợp"}
XLSX_MAX_CELL = 32_767


# ==================================================================================================== consolidation


@dataclass(frozen=True)
class Contribution:
    agency: Agency
    role: str  # "lead" | "partner"
    reported: bool  # the agency sent a form this year
    entry: Entry | None  # its row for the task (None: no form, or the row is missing)

    @property
    def has_content(self) -> bool:
        return self.entry is not None and not self.entry.is_empty

    @property
    def label(self) -> str:
        """The status as shown: one of STATUSES, the text typed, or why there is none."""
        if not self.reported:
            return NOT_REPORTED
        if self.entry is None or not self.entry.status_text:
            return NO_STATUS
        return self.entry.status or self.entry.status_text

    @property
    def category(self) -> str:
        if not self.reported:
            return NOT_REPORTED
        if self.entry is None or not self.entry.status_text:
            return NO_STATUS
        return self.entry.status or OTHER


@dataclass(frozen=True)
class TaskSummary:
    task: Task
    expired: bool  # its timeframe ended before the year
    leads: tuple[Contribution, ...]
    partners: tuple[Contribution, ...]

    @property
    def status(self) -> str:
        """The task's status: that of its leads (of its partners when no lead must report); several leads that
        disagree make it "Đang thực hiện"; no status reported: NO_INFO."""
        basis = self.leads or self.partners
        statuses = {c.entry.status for c in basis if c.entry is not None and c.entry.status}
        if not statuses:
            return NO_INFO
        if len(statuses) == 1:
            return statuses.pop()
        return "Đang thực hiện"


@dataclass(frozen=True)
class Consolidation:
    plan: Plan
    year: int
    expected: tuple[Agency, ...]  # agencies that had to report, registry order
    submissions: Mapping[str, Submission]  # agency id -> the submission that counts
    groups: tuple[tuple[Group, tuple[TaskSummary, ...]], ...]

    @property
    def tasks(self) -> tuple[TaskSummary, ...]:
        return tuple(t for _, ts in self.groups for t in ts)

    @property
    def reported(self) -> tuple[Agency, ...]:
        return tuple(a for a in self.expected if a.id in self.submissions)

    @property
    def missing(self) -> tuple[Agency, ...]:
        return tuple(a for a in self.expected if a.id not in self.submissions)

    def task_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(CATEGORIES, 0)
        for t in self.tasks:
            counts[t.status] += 1
        return counts

    def entry_counts(self) -> dict[str, int]:
        """Reports (task, agency) by status, over the agencies that sent a form."""
        counts = dict.fromkeys(CATEGORIES, 0)
        for t in self.tasks:
            for c in t.leads + t.partners:
                if c.reported:
                    counts[c.entry.status if c.entry is not None and c.entry.status else NO_INFO] += 1
        return counts

    def sections(self, name: str) -> list[tuple[Agency, str]]:
        return [(a, self.submissions[a.id].sections.get(name, "")) for a in self.reported
                if self.submissions[a.id].sections.get(name, "").strip()]


def consolidate(plan: Plan, year: int, submissions: Mapping[str, Submission]) -> Consolidation:
    """Organise the latest submissions by the plan's groups and tasks (pure).

    Who answers for what comes from `assignments` (the agencies in force at the year's deadline), so the summary
    attributes each task exactly as the forms sent that year did."""
    expected_tasks = assignments(plan, year)
    expected = tuple(at.agency for at in expected_tasks)
    roles: dict[str, dict[str, str]] = {}  # task id -> agency id -> role, agencies in registry order
    for at in expected_tasks:
        for a in at.all:
            roles.setdefault(a.task.id, {})[at.agency.id] = a.role
    entries = {aid: {e.task_id: e for e in s.entries} for aid, s in submissions.items()}
    groups = []
    for group in plan.groups:
        tasks = []
        for task in group.tasks:
            when = task.timeframe.status(year)
            if when == "future" or task.id not in roles:
                continue
            leads, partners = [], []
            for agency in expected:
                role = roles[task.id].get(agency.id)
                if role is None:
                    continue
                c = Contribution(agency, role, agency.id in entries, entries.get(agency.id, {}).get(task.id))
                (leads if role == "lead" else partners).append(c)
            tasks.append(TaskSummary(task, when == "expired", tuple(leads), tuple(partners)))
        if tasks:
            groups.append((group, tuple(tasks)))
    reporting = {a.id for a in expected}
    kept = {aid: s for aid, s in submissions.items() if aid in reporting}
    return Consolidation(plan, year, expected, kept, tuple(groups))


def _stamp(c: Consolidation) -> dt.datetime:
    """The fixed document date of a summary: the reporting deadline of the year."""
    m = c.plan.meta
    return dt.datetime(c.year, m.deadline_month, m.deadline_day)


def _plan_ref(plan: Plan) -> str:
    return f"Kế hoạch số {plan.meta.number} ngày {short_date(plan.meta.date)}"


def title_line(c: Consolidation) -> str:
    m = c.plan.meta
    return f"Tổng hợp kết quả thực hiện {_plan_ref(c.plan)} của {m.issuer} về {m.subject} năm {c.year}"


# ==================================================================================================== .docx


def _lines(text: str) -> list[str]:
    return [line for line in clean_text(text).split("\n")]


def _run(p, text: str, *, size: float = 14, bold: bool = False, italic: bool = False):
    r = p.add_run(text)
    r.font.size, r.bold, r.italic = Pt(size), bold, italic
    return r


def _body(doc, text: str = "", *, bold=False, italic=False, indent=12.7, before=0, after=3, size=14, left=None,
          align=WD_ALIGN_PARAGRAPH.JUSTIFY):
    p = _para(doc, text, size=size, bold=bold, italic=italic, align=align, before=before, after=after,
              indent=indent)
    if left is not None:
        p.paragraph_format.left_indent = Mm(left)
    p.paragraph_format.line_spacing = 1.1
    return p


def _header_block(doc, c: Consolidation) -> None:
    receiver = receiver_at(c.plan, c.year)
    header_block(doc, c.plan.meta.parent_header, receiver.header_text, f"Số:      /BC-{receiver.code}",
                 blank_date_line(c.plan.meta.place, c.year))


def _heading(doc, text: str, *, before: float = 12) -> None:
    p = _body(doc, text, bold=True, before=before, after=6, indent=12.7)
    p.paragraph_format.keep_with_next = True


def _counts_table(doc, c: Consolidation) -> None:
    tasks, entries = c.task_counts(), c.entry_counts()
    widths = (70, 45, 45)
    table = doc.add_table(rows=1, cols=3)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    ooxml.set_table_borders(table._tbl)
    ooxml.set_table_layout_fixed(table._tbl)
    center = WD_ALIGN_PARAGRAPH.CENTER
    rows = [("Tình trạng", "Số nhiệm vụ (theo đơn vị chủ trì)", "Số lượt báo cáo của các đơn vị")]
    rows += [(k, str(tasks[k]), str(entries[k])) for k in CATEGORIES]
    rows += [("Tổng số", str(sum(tasks.values())), str(sum(entries.values())))]
    for i, values in enumerate(rows):
        cells = table.rows[0].cells if i == 0 else table.add_row().cells
        for j, (cell, value, width) in enumerate(zip(cells, values, widths)):
            cell.width = Mm(width)
            bold = i in (0, len(rows) - 1)
            _fill_cell(cell, value, size=13, bold=bold, align=center if j or i == 0 else None)
            if i == 0:
                ooxml.set_cell_shading(cell._tc, "E7E6E6")
    ooxml.mark_header_row(table.rows[0]._tr)


def _text_block(doc, text: str, *, left: float = 10, size: float = 14) -> None:
    for line in _lines(text):
        _body(doc, line, indent=0, left=left, after=0, size=size)


def _contribution(doc, c: Contribution, *, prefix: str) -> None:
    e = c.entry
    assert e is not None
    p = _body(doc, "", indent=0, left=5, before=3, after=0)
    _run(p, f"{prefix}{c.agency.name}", bold=True)
    label = c.label.lower() if c.label in STATUSES + (NO_STATUS,) else c.label  # text typed by hand: verbatim
    _run(p, f" ({label}):", italic=True)
    if e.result:
        _text_block(doc, e.result)
    else:
        _body(doc, "Không ghi kết quả thực hiện.", italic=True, indent=0, left=10, after=0)
    if e.note:
        lines = _lines(e.note)
        p = _body(doc, "", indent=0, left=10, after=0)
        _run(p, "Ghi chú: ", italic=True)
        _run(p, lines[0])
        for line in lines[1:]:
            _body(doc, line, indent=0, left=10, after=0)


def _names(agencies) -> str:
    return ", ".join(a.name for a in agencies)


def _task(doc, t: TaskSummary) -> None:
    task = t.task
    p = _body(doc, "", indent=0, before=9, after=2)
    p.paragraph_format.keep_with_next = True
    _run(p, f"{task.code}. ", bold=True)
    _run(p, clean_text(task.task), bold=True)
    info = f"Sản phẩm: {task.deliverable}; thời gian hoàn thành: {task.timeframe.text}"
    if t.expired:
        info += " (đã hết thời hạn theo Kế hoạch; chỉ báo cáo nếu chưa hoàn thành)"
    p = _body(doc, info + ".", italic=True, indent=0, after=2, size=13)
    p.paragraph_format.keep_with_next = True
    p = _body(doc, "", indent=0, after=2)
    _run(p, "Tình trạng chung: ")
    _run(p, t.status, bold=True)
    _run(p, ".")
    for role, people, title in (("lead", t.leads, "Đơn vị chủ trì"), ("partner", t.partners, "Đơn vị phối hợp")):
        with_content = [c for c in people if c.has_content]
        if role == "partner" and not with_content:
            continue
        if with_content:
            _body(doc, f"{title}:", italic=True, indent=0, after=0).paragraph_format.keep_with_next = True
            for c in with_content:
                _contribution(doc, c, prefix="- ")
        silent = [c.agency for c in people if c.reported and not c.has_content]
        absent = [c.agency for c in people if not c.reported]
        if role == "lead" and not with_content and not people:
            _body(doc, "Không có đơn vị chủ trì phải báo cáo.", italic=True, indent=0, after=0)
        if role == "lead" and silent:
            _body(doc, f"{title} không báo cáo nội dung nhiệm vụ này: {_names(silent)}.", italic=True, indent=0,
                  after=0)
        if role == "lead" and absent:
            _body(doc, f"{title} chưa gửi báo cáo: {_names(absent)}.", italic=True, indent=0, after=0)


def _free_sections(doc, c: Consolidation, name: str, none: str) -> None:
    items = c.sections(name)
    if not items:
        _body(doc, none, italic=True)
        return
    for agency, text in items:
        lines = _lines(text)
        p = _body(doc, "")
        _run(p, f"- {agency.name}: ", bold=True)
        _run(p, lines[0])
        for line in lines[1:]:
            _body(doc, line)


def _signature(doc, c: Consolidation) -> None:
    receiver = receiver_at(c.plan, c.year)
    signature_block(doc, [f"- {c.plan.meta.issuer_full} (b/c);", "- Các sở, ban, ngành, địa phương;", "- Lưu: VT."],
                    "GIÁM ĐỐC" if receiver.kind == "so" else "THỦ TRƯỞNG CƠ QUAN")


def summary_docx(c: Consolidation) -> bytes:
    """The consolidated report in the decree's format (A4 portrait, Times New Roman), as .docx bytes."""
    plan, m = c.plan, c.plan.meta
    receiver = receiver_name(plan, c.year)
    doc = new_document()
    _header_block(doc, c)
    title_block(doc, title_line(c), f"Kính gửi: {m.issuer_full}.")
    title = m.title[0].lower() + m.title[1:]
    _body(doc, f"Thực hiện {_plan_ref(plan)} của {m.issuer_full} về {title}, trên cơ sở báo cáo của các cơ quan, "
               f"đơn vị, {receiver} tổng hợp kết quả thực hiện năm {c.year} như sau:", after=6)

    expected, reported, missing = c.expected, c.reported, c.missing
    _heading(doc, "I. TÌNH HÌNH BÁO CÁO CỦA CÁC CƠ QUAN, ĐƠN VỊ")
    sentence = (f"Năm {c.year}, có {len(expected)} cơ quan, đơn vị được giao nhiệm vụ phải báo cáo; "
                f"đã có {len(reported)} cơ quan, đơn vị gửi báo cáo")
    sentence += (f", {len(missing)} cơ quan, đơn vị chưa gửi báo cáo (danh sách tại mục V)." if missing
                 else "; tất cả các cơ quan, đơn vị đã gửi báo cáo.")
    _body(doc, sentence)

    _heading(doc, "II. KẾT QUẢ THỰC HIỆN CÁC NHIỆM VỤ")
    _heading(doc, "1. Tổng hợp chung", before=3)
    _body(doc, f"Năm {c.year} có {len(c.tasks)} nhiệm vụ phải thực hiện hoặc báo cáo. Tình trạng của mỗi nhiệm vụ "
               "lấy theo báo cáo của đơn vị chủ trì (nhiều đơn vị chủ trì báo cáo khác nhau: đang thực hiện):",
          after=6)
    _counts_table(doc, c)
    _heading(doc, "2. Kết quả thực hiện từng nhiệm vụ")
    for group, tasks in c.groups:
        p = _body(doc, "", indent=0, before=12, after=3)
        p.paragraph_format.keep_with_next = True
        _run(p, f"Nhóm {group.numeral}. {clean_text(group.title)}", bold=True, italic=True)
        for t in tasks:
            _task(doc, t)

    _heading(doc, "III. KHÓ KHĂN, VƯỚNG MẮC")
    _free_sections(doc, c, "kho-khan", "Các cơ quan, đơn vị không nêu khó khăn, vướng mắc.")
    _heading(doc, "IV. KIẾN NGHỊ, ĐỀ XUẤT")
    _free_sections(doc, c, "kien-nghi", "Các cơ quan, đơn vị không có kiến nghị, đề xuất.")
    _heading(doc, "V. CÁC CƠ QUAN, ĐƠN VỊ CHƯA GỬI BÁO CÁO")
    if missing:
        _body(doc, f"Đến thời điểm tổng hợp, {len(missing)} cơ quan, đơn vị chưa gửi báo cáo:")
        for i, agency in enumerate(missing, start=1):
            _body(doc, f"{i}. {agency.name}{'.' if i == len(missing) else ';'}", after=0)
    else:
        _body(doc, "Tất cả các cơ quan, đơn vị đã gửi báo cáo.", italic=True)

    _body(doc, f"Trên đây là báo cáo tổng hợp kết quả thực hiện {_plan_ref(plan)} năm {c.year}, {receiver} kính "
               f"báo cáo {m.issuer_full} xem xét, chỉ đạo./.", before=12, after=12)
    _signature(doc, c)

    doc.core_properties.title = f"Báo cáo tổng hợp kết quả thực hiện Kế hoạch số {m.number} năm {c.year}"
    doc.core_properties.author = doc.core_properties.last_modified_by = "kehoach"
    doc.core_properties.created = doc.core_properties.modified = _stamp(c)
    doc.core_properties.revision = 1
    return lean_bytes(doc)


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


def _status_sheet(ws: Worksheet, c: Consolidation) -> None:
    agencies = c.expected
    first = 4  # first agency column
    last = first + len(agencies) - 1
    _title(ws, f"TÌNH TRẠNG THỰC HIỆN CÁC NHIỆM VỤ NĂM {c.year} - KẾ HOẠCH SỐ {c.plan.meta.number}")
    _title(ws, "Mỗi ô: tình trạng do đơn vị báo cáo cho nhiệm vụ. Chữ đậm: đơn vị chủ trì; ô trống: nhiệm vụ không "
               "giao cho đơn vị. Xanh: hoàn thành; vàng: đang thực hiện; đỏ: chưa thực hiện; xám: chưa có thông tin.",
           row=2, size=11, bold=False, italic=True, height=18)
    header = 4
    for col, (text, width) in enumerate((("TT", 7), ("Nhiệm vụ", 48), ("Tình trạng chung", 14)), start=1):
        _put(ws, header, col, text, bold=True, align=CENTER, fill=HEADER_FILL)
        ws.column_dimensions[ws.cell(row=header, column=col).column_letter].width = width
    for i, agency in enumerate(agencies):
        col = first + i
        _put(ws, header, col, agency.name, bold=True, fill=HEADER_FILL,
             align=Alignment(horizontal="center", vertical="bottom", text_rotation=90, wrap_text=True))
        ws.column_dimensions[ws.cell(row=header, column=col).column_letter].width = 11
    ws.row_dimensions[header].height = 190
    col_of = {a.id: first + i for i, a in enumerate(agencies)}
    row = header
    for group, tasks in c.groups:
        row += 1
        _put(ws, row, 1, group.numeral, bold=True, fill=GROUP_FILL, align=CENTER)
        _put(ws, row, 2, group.title, bold=True, fill=GROUP_FILL)
        for col in range(3, last + 1):
            _put(ws, row, col, None, fill=GROUP_FILL)
        for t in tasks:
            row += 1
            _put(ws, row, 1, t.task.code, align=CENTER)
            _put(ws, row, 2, t.task.task + (" (đã hết thời hạn)" if t.expired else ""))
            _put(ws, row, 3, t.status, bold=True, align=CENTER, fill=_fill(t.status))
            for col in range(first, last + 1):
                _put(ws, row, col, None)
            for contribution in t.leads + t.partners:
                _put(ws, row, col_of[contribution.agency.id], contribution.label, bold=contribution.role == "lead",
                     align=CENTER, fill=_fill(contribution.category), size=10)
    ws.freeze_panes = ws.cell(row=header + 1, column=first)
    ws.auto_filter.ref = f"A{header}:{ws.cell(row=row, column=last).coordinate}"
    _landscape(ws, f"{header}:{header}")


def _results_sheet(ws: Worksheet, c: Consolidation) -> None:
    columns = (("TT", 7), ("Nhiệm vụ", 40), ("Đơn vị", 26), ("Vai trò", 10), ("Tình trạng", 15),
               ("Kết quả thực hiện", 70), ("Ghi chú", 30))
    _title(ws, f"KẾT QUẢ THỰC HIỆN CÁC NHIỆM VỤ NĂM {c.year} - KẾ HOẠCH SỐ {c.plan.meta.number}")
    _title(ws, "Theo báo cáo mới nhất của mỗi đơn vị; chỉ gồm các nhiệm vụ đơn vị có ghi nội dung.", row=2, size=11,
           bold=False, italic=True, height=18)
    header = 4
    for col, (text, width) in enumerate(columns, start=1):
        _put(ws, header, col, text, bold=True, align=CENTER, fill=HEADER_FILL)
        ws.column_dimensions[ws.cell(row=header, column=col).column_letter].width = width
    row = header
    for t in c.tasks:
        for contribution in t.leads + t.partners:
            if not contribution.has_content:
                continue
            e = contribution.entry
            row += 1
            _put(ws, row, 1, t.task.code, align=CENTER)
            _put(ws, row, 2, t.task.task)
            _put(ws, row, 3, contribution.agency.name)
            _put(ws, row, 4, ROLE_NAMES[contribution.role], align=CENTER)
            _put(ws, row, 5, contribution.label, align=CENTER, fill=_fill(contribution.category))
            _put(ws, row, 6, e.result)
            _put(ws, row, 7, e.note)
    ws.freeze_panes = ws.cell(row=header + 1, column=3)
    ws.auto_filter.ref = f"A{header}:G{max(row, header)}"
    _landscape(ws, f"{header}:{header}")


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
    _landscape(ws, f"{header}:{header}")
    ws.page_setup.orientation = ws.ORIENTATION_PORTRAIT
    ws.page_setup.fitToHeight = 1


def _landscape(ws: Worksheet, title_rows: str) -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.print_title_rows = title_rows
    mm = 1 / 25.4
    margins = ws.page_margins
    margins.top, margins.bottom, margins.left, margins.right = 20 * mm, 20 * mm, 20 * mm, 15 * mm


def summary_xlsx(c: Consolidation) -> bytes:
    """The status matrix (tasks x agencies), the results text and a chart of tasks by status, as .xlsx bytes."""
    wb = Workbook()
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


SUMMARY_DOCX = "bao-cao-tong-hop.docx"
SUMMARY_XLSX = "tong-hop.xlsx"


def build_summary(plan: Plan, year: int, submissions: Mapping[str, Submission]) -> dict[str, bytes]:
    """File name -> bytes of the two summary files."""
    c = consolidate(plan, year, submissions)
    return {SUMMARY_DOCX: summary_docx(c), SUMMARY_XLSX: summary_xlsx(c)}

