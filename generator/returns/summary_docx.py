"""The consolidated report of a year as a Word document laid out per the decree."""

from __future__ import annotations

from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt

from ..forms.context import agency_heading, receiver_name
from ..forms.contract import STATUSES
from ..office import wml as ooxml
from ..office.decree import (TEXT_WIDTH_MM, fill_cell as _fill_cell, header_block, lean_bytes, new_document,
    para as _para, signer_block, title_block)
from ..office.vnformat import blank_date_line
from ..plan.assignments import receiver_at
from ..plan.headers import unbreakable
from .consolidate import (CATEGORIES, NO_INFO, NO_STATUS, Consolidation, Contribution, TaskSummary, _plan_ref, _stamp,
    title_line)
from .text import TABLE_CELLS, clean_text


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
