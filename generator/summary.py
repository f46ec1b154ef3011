"""The planning office's consolidated report of a year: returned forms -> one Word report and one Excel matrix.

Pure: `consolidate` turns the plan and the submissions that count (the latest of each agency) into a
`Consolidation`; `summary_docx` and `summary_xlsx` turn that into bytes. Equal inputs give equal bytes (fixed
document dates derived from the plan and year, normalised zips); the time a form was received is never printed.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.label import DataLabelList
from openpyxl.chart.marker import DataPoint
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from . import ooxml, xlsxfit
from .assignments import assignments, receiver_at
from .formreader import STATUSES, TABLE_CELLS, Entry, clean_text
from .decree import TEXT_WIDTH_MM, header_block, lean_bytes, new_document, signer_block, title_block
from .decree import fill_cell as _fill_cell
from .decree import para as _para
from .forms import agency_heading, receiver_name
from .headers import unbreakable
from .model import Agency, Group, Plan, Task
from .store import Submission
from .vnformat import blank_date_line, short_date
from .xlsxcell import set_value
from .ziputil import normalize_zip

FONT = xlsxfit.FONT
XLSX_DEFAULT_SIZE = 11  # pt: the workbook's default font, Times New Roman (the unit of its column widths)
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
    def basis(self) -> tuple[Contribution, ...]:
        """The agencies whose reports make the task's status: its leads, or its partners when no lead must report."""
        return self.leads or self.partners

    @property
    def status(self) -> str:
        """The task's status: that of its leads (of its partners when no lead must report); several leads that
        disagree make it "Đang thực hiện"; no status reported: NO_INFO."""
        statuses = {c.entry.status for c in self.basis if c.entry is not None and c.entry.status}
        if not statuses:
            return NO_INFO
        if len(statuses) == 1:
            return statuses.pop()
        return "Đang thực hiện"

    @property
    def reporting(self) -> tuple[int, int]:
        """(how many of the basis agencies reported a status for the task, how many must)."""
        return sum(1 for c in self.basis if c.entry is not None and c.entry.status), len(self.basis)

    @property
    def complete(self) -> bool:
        """Every agency the status rests on reported one."""
        done, due = self.reporting
        return done == due

    @property
    def status_label(self) -> str:
        """The status as printed, saying how much it rests on: "Hoàn thành (3/33 đơn vị chủ trì đã báo cáo)"; bare
        only when every lead (or partner, see `basis`) reported a status."""
        done, due = self.reporting
        if done == due:
            return self.status
        who = "chủ trì" if self.leads else "phối hợp"
        return f"{self.status} ({done}/{due} đơn vị {who} đã báo cáo)"


@dataclass(frozen=True)
class Consolidation:
    plan: Plan
    year: int
    expected: tuple[Agency, ...]  # agencies that had to report, registry order
    submissions: Mapping[str, Submission]  # agency id -> the submission that counts
    groups: tuple[tuple[Group, tuple[TaskSummary, ...]], ...]
    late: frozenset[str] | None = None  # agencies whose report arrived after the deadline (None: not known)

    @property
    def tasks(self) -> tuple[TaskSummary, ...]:
        return tuple(t for _, ts in self.groups for t in ts)

    @property
    def reported(self) -> tuple[Agency, ...]:
        return tuple(a for a in self.expected if a.id in self.submissions)

    @property
    def missing(self) -> tuple[Agency, ...]:
        return tuple(a for a in self.expected if a.id not in self.submissions)

    @property
    def on_time(self) -> tuple[Agency, ...] | None:
        if self.late is None:
            return None
        return tuple(a for a in self.reported if a.id not in self.late)

    def task_counts(self, tasks: tuple[TaskSummary, ...] | None = None) -> dict[str, int]:
        counts = dict.fromkeys(CATEGORIES, 0)
        for t in self.tasks if tasks is None else tasks:
            counts[t.status] += 1
        return counts

    def complete_counts(self) -> dict[str, int]:
        """Tasks by status, counting only those every lead reported a status for."""
        return self.task_counts(tuple(t for t in self.tasks if t.complete))

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


def consolidate(plan: Plan, year: int, submissions: Mapping[str, Submission], *,
                late: Collection[str] | None = None) -> Consolidation:
    """Organise the submissions that count (one per agency) by the plan's groups and tasks (pure). `late`: the
    agencies whose report arrived after the deadline, if known.

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
    late_ids = None if late is None else frozenset(a for a in late if a in kept)
    return Consolidation(plan, year, expected, kept, tuple(groups), late_ids)


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

TABLE_ROW = TABLE_CELLS  # between the cells of a row of a table an agency typed inside a cell


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


def _keep(p, *, together: bool = True):
    """A heading: on the same page as the paragraph after it, and never split itself."""
    p.paragraph_format.keep_with_next = True
    p.paragraph_format.keep_together = together
    return p


def _header_block(doc, c: Consolidation) -> None:
    receiver = receiver_at(c.plan, c.year)
    head = agency_heading(c.plan, receiver)  # the receiver heads its report as it heads its own documents
    header_block(doc, unbreakable(head.parent, bold=False), [unbreakable(line) for line in head.lines],
                 f"Số:      /BC-{receiver.code}", blank_date_line(head.place, c.year))


def _heading(doc, text: str, *, before: float = 12) -> None:
    _keep(_body(doc, text, bold=True, before=before, after=6, indent=12.7))


def _grid(doc, rows: list[tuple[str, ...]], widths: tuple[float, ...], *, left_mm: float = 0,
          header: bool = True, total: bool = False, size: float = 13) -> None:
    """A bordered table of text, its first row a header repeated on every page (if `header`)."""
    table = doc.add_table(rows=1, cols=len(widths))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER if not left_mm else WD_TABLE_ALIGNMENT.LEFT
    ooxml.set_table_borders(table._tbl)
    ooxml.set_table_layout_fixed(table._tbl)
    if left_mm:
        ooxml.set_table_indent(table._tbl, Mm(left_mm).twips)
    center = WD_ALIGN_PARAGRAPH.CENTER
    for i, values in enumerate(rows):
        cells = table.rows[0].cells if i == 0 else table.add_row().cells
        ooxml.forbid_row_split(table.rows[i]._tr)
        for j, (cell, value, width) in enumerate(zip(cells, values, widths)):
            cell.width = Mm(width)
            bold = header and i == 0 or total and i == len(rows) - 1
            _fill_cell(cell, value, size=size, bold=bold, align=center if j or (header and i == 0) else None)
            if header and i == 0:
                ooxml.set_cell_shading(cell._tc, "E7E6E6")
    if header:
        ooxml.mark_header_row(table.rows[0]._tr)


def _counts_table(doc, c: Consolidation) -> None:
    tasks, complete, entries = c.task_counts(), c.complete_counts(), c.entry_counts()
    rows = [("Tình trạng", "Số nhiệm vụ (theo đơn vị chủ trì)", "Trong đó: mọi đơn vị chủ trì đã báo cáo",
             "Số lượt báo cáo của các đơn vị")]
    rows += [(k, str(tasks[k]), str(complete[k]), str(entries[k])) for k in CATEGORIES]
    rows += [("Tổng số", str(sum(tasks.values())), str(sum(complete.values())), str(sum(entries.values())))]
    _grid(doc, rows, (50, 38, 42, 35), total=True)


def _groups_table(doc, c: Consolidation) -> None:
    short = {"Hoàn thành": "Hoàn thành", "Đang thực hiện": "Đang thực hiện", "Chưa thực hiện": "Chưa thực hiện",
             NO_INFO: "Chưa có thông tin"}
    rows = [("Nhóm nhiệm vụ", *(short[k] for k in CATEGORIES), "Tổng số")]
    for group, tasks in c.groups:
        counts = c.task_counts(tasks)
        rows.append((f"Nhóm {group.numeral}", *(str(counts[k]) for k in CATEGORIES), str(len(tasks))))
    counts = c.task_counts()
    rows.append(("Tổng số", *(str(counts[k]) for k in CATEGORIES), str(len(c.tasks))))
    _grid(doc, rows, (30, 27, 27, 27, 32, 22), total=True)


def _is_table_row(line: str) -> bool:
    return TABLE_ROW in line


def _text_block(doc, text: str, *, left: float = 10, size: float = 14) -> None:
    """An agency's text, line by line; rows of a table it typed inside its cell ("a | b | c") as a table."""
    lines = _lines(text)
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and _is_table_row(lines[j]):
            j += 1
        if j - i >= 2:  # two rows or more: a table
            rows = [tuple(cell.strip() for cell in line.split(TABLE_ROW.strip())) for line in lines[i:j]]
            n = max(len(r) for r in rows)
            rows = [r + ("",) * (n - len(r)) for r in rows]
            width = (TEXT_WIDTH_MM - left - 2) / n
            _grid(doc, rows, (width,) * n, left_mm=left, header=False, size=13)
            i = j
            continue
        _body(doc, lines[i], indent=0, left=left, after=0, size=size)
        i += 1


def _contribution(doc, c: Contribution, *, prefix: str) -> None:
    e = c.entry
    assert e is not None
    p = _keep(_body(doc, "", indent=0, left=5, before=3, after=0))
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


NAMED_ABSENT = 3  # under a task, at most this many lead units that sent no report are named; more: their number


def _task(doc, t: TaskSummary) -> None:
    task = t.task
    p = _keep(_body(doc, "", indent=0, before=9, after=2))
    _run(p, f"{task.code}. ", bold=True)
    _run(p, clean_text(task.task), bold=True)
    info = f"Sản phẩm: {task.deliverable}; thời gian hoàn thành: {task.timeframe.text}"
    if t.expired:
        info += " (đã hết thời hạn theo Kế hoạch; chỉ báo cáo nếu chưa hoàn thành)"
    _keep(_body(doc, info + ".", italic=True, indent=0, after=2, size=13))
    p = _body(doc, "", indent=0, after=2)
    _run(p, "Tình trạng chung: ")
    _run(p, t.status_label, bold=True)
    _run(p, ".")
    for role, people, title in (("lead", t.leads, "Đơn vị chủ trì"), ("partner", t.partners, "Đơn vị phối hợp")):
        with_content = [c for c in people if c.has_content]
        if role == "partner" and not with_content:
            continue
        if with_content:
            _keep(_body(doc, f"{title}:", italic=True, indent=0, after=0))
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
            who = (_names(absent) if len(absent) <= NAMED_ABSENT
                   else f"{len(absent)} đơn vị (danh sách tại mục I)")
            _body(doc, f"{title} chưa gửi báo cáo: {who}.", italic=True, indent=0, after=0)


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


DOTS = "…" * 33  # one line of the text width at 14 pt


def _office_part(doc, c: Consolidation, what: str, items: tuple[str, ...]) -> None:
    """A clearly marked place for the receiving body's own writing, with a dotted line per item."""
    receiver = receiver_name(c.plan, c.year)
    _body(doc, f"[Phần do {receiver} viết trước khi trình ký: {what}.]", italic=True)
    for item in items:
        _keep(_body(doc, f"{item}:", indent=12.7, after=0))
        _body(doc, DOTS, indent=0, after=3, align=WD_ALIGN_PARAGRAPH.LEFT)


def _reporting_sentence(c: Consolidation) -> str:
    expected, reported, missing, on_time = c.expected, c.reported, c.missing, c.on_time
    sentence = (f"Năm {c.year}, có {len(expected)} cơ quan, đơn vị được giao nhiệm vụ phải báo cáo; "
                f"đã có {len(reported)} cơ quan, đơn vị gửi báo cáo")
    if on_time is not None and reported:
        sentence += f" ({len(on_time)} đúng hạn, {len(reported) - len(on_time)} nộp muộn)"
    return sentence + (f", {len(missing)} cơ quan, đơn vị chưa gửi báo cáo." if missing
                       else "; tất cả các cơ quan, đơn vị đã gửi báo cáo.")


def _missing_paragraph(doc, c: Consolidation) -> None:
    """The one place the report names the agencies that sent no report."""
    missing = c.missing
    if not missing:
        return
    p = _body(doc, "")
    _run(p, f"Các cơ quan, đơn vị chưa gửi báo cáo ({len(missing)}): ", italic=True)
    _run(p, "; ".join(a.name for a in missing) + ".")


def _assessment(doc, c: Consolidation) -> None:
    """III. Đánh giá chung: what kehoach can count, the agencies' difficulties, the office's own assessment."""
    _heading(doc, "III. ĐÁNH GIÁ CHUNG")
    _heading(doc, "1. Số liệu tổng hợp", before=3)
    reported, expected, on_time = c.reported, c.expected, c.on_time
    figures = f"a) Tình hình báo cáo: {len(reported)}/{len(expected)} cơ quan, đơn vị đã gửi báo cáo"
    if on_time is not None and reported:
        figures += f", trong đó {len(on_time)} đúng hạn, {len(reported) - len(on_time)} nộp muộn"
    figures += f"; {len(c.missing)} chưa gửi báo cáo (danh sách tại mục I)." if c.missing else "."
    _body(doc, figures)
    complete = sum(1 for t in c.tasks if t.complete)
    _keep(_body(doc, f"b) Nhiệm vụ theo tình trạng: năm {c.year} có {len(c.tasks)} nhiệm vụ phải thực hiện hoặc báo "
                     f"cáo; {complete} nhiệm vụ có báo cáo tình trạng của mọi đơn vị chủ trì. Tình trạng của mỗi nhiệm "
                     "vụ lấy theo báo cáo của đơn vị chủ trì (nhiều đơn vị chủ trì báo cáo khác nhau: đang thực "
                     "hiện):", after=6))
    _counts_table(doc, c)
    _keep(_body(doc, "c) Nhiệm vụ theo nhóm và tình trạng:", before=6, after=6))
    _groups_table(doc, c)
    _heading(doc, "2. Khó khăn, vướng mắc do các cơ quan, đơn vị nêu")
    _free_sections(doc, c, "kho-khan", "Các cơ quan, đơn vị không nêu khó khăn, vướng mắc.")
    _heading(doc, f"3. Đánh giá của {receiver_name(c.plan, c.year)}")
    _office_part(doc, c, "ưu điểm; tồn tại, hạn chế; nguyên nhân",
                 ("a) Ưu điểm", "b) Tồn tại, hạn chế", "c) Nguyên nhân"))


def _next_year(doc, c: Consolidation) -> None:
    nxt = c.year + 1
    _heading(doc, f"IV. PHƯƠNG HƯỚNG, NHIỆM VỤ NĂM {nxt}")
    going_on = [t for t in c.plan.tasks if t.timeframe.status(nxt) == "active"]
    open_tasks = [t.task.code for t in c.tasks if not (t.status == "Hoàn thành" and t.complete)]
    _body(doc, f"Năm {nxt}, theo {_plan_ref(c.plan)}, có {len(going_on)} nhiệm vụ tiếp tục thực hiện (thường xuyên, "
               "hằng năm hoặc còn trong thời hạn).")
    if open_tasks:
        _body(doc, f"Các nhiệm vụ năm {c.year} chưa hoàn thành hoặc chưa có đủ báo cáo của đơn vị chủ trì, cần tiếp "
                   f"tục đôn đốc ({len(open_tasks)}): {', '.join(open_tasks)}.")
    _office_part(doc, c, f"phương hướng, nhiệm vụ trọng tâm năm {nxt}", ("Nhiệm vụ trọng tâm",))


def _recommendations(doc, c: Consolidation) -> None:
    _heading(doc, "V. KIẾN NGHỊ, ĐỀ XUẤT")
    _heading(doc, "1. Kiến nghị, đề xuất của các cơ quan, đơn vị", before=3)
    _free_sections(doc, c, "kien-nghi", "Các cơ quan, đơn vị không có kiến nghị, đề xuất.")
    _heading(doc, f"2. Kiến nghị, đề xuất của {receiver_name(c.plan, c.year)}")
    _office_part(doc, c, f"kiến nghị, đề xuất với {c.plan.meta.issuer_full}", ("Kiến nghị, đề xuất",))


def _signature(doc, c: Consolidation) -> None:
    receiver = receiver_at(c.plan, c.year)
    signer = c.plan.meta.report_signer(receiver.id)
    signer_block(doc, [f"- {c.plan.meta.issuer_full} (b/c);", "- Các sở, ban, ngành, địa phương;", "- Lưu: VT."],
                 signer.authority, signer.title, signer.name)


def summary_docx(c: Consolidation) -> bytes:
    """The consolidated report in the decree's format (A4 portrait, Times New Roman), as .docx bytes. Its outline is
    that of an annual report (nd30-format.md, "Annual reporting"): I. reporting, II. results task by task, III.
    đánh giá chung, IV. phương hướng, V. kiến nghị, đề xuất."""
    plan, m = c.plan, c.plan.meta
    receiver = receiver_name(plan, c.year)
    doc = new_document()
    _header_block(doc, c)
    title_block(doc, title_line(c), f"Kính gửi: {m.issuer_full}.")
    title = m.title[0].lower() + m.title[1:]
    _body(doc, f"Thực hiện {_plan_ref(plan)} của {m.issuer_full} về {title}, trên cơ sở báo cáo của các cơ quan, "
               f"đơn vị, {receiver} tổng hợp kết quả thực hiện năm {c.year} như sau:", after=6)

    _heading(doc, "I. TÌNH HÌNH BÁO CÁO CỦA CÁC CƠ QUAN, ĐƠN VỊ")
    _body(doc, _reporting_sentence(c))
    _missing_paragraph(doc, c)

    _heading(doc, "II. KẾT QUẢ THỰC HIỆN CÁC NHIỆM VỤ")
    _body(doc, f"Năm {c.year} có {len(c.tasks)} nhiệm vụ phải thực hiện hoặc báo cáo. Tình trạng chung của mỗi nhiệm "
               "vụ lấy theo báo cáo của đơn vị chủ trì và ghi rõ số đơn vị chủ trì đã báo cáo khi chưa đủ.", after=3)
    for group, tasks in c.groups:
        p = _keep(_body(doc, "", indent=0, before=12, after=3))
        _run(p, f"Nhóm {group.numeral}. {clean_text(group.title)}", bold=True, italic=True)
        for t in tasks:
            _task(doc, t)

    _assessment(doc, c)
    _next_year(doc, c)
    _recommendations(doc, c)

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


SUMMARY_DOCX = "bao-cao-tong-hop.docx"
SUMMARY_XLSX = "tong-hop.xlsx"


def build_summary(plan: Plan, year: int, submissions: Mapping[str, Submission], *,
                  late: Collection[str] | None = None) -> dict[str, bytes]:
    """File name -> bytes of the two summary files."""
    c = consolidate(plan, year, submissions, late=late)
    return {SUMMARY_DOCX: summary_docx(c), SUMMARY_XLSX: summary_xlsx(c)}

