"""Builds the starting version of templates/bao-cao-don-vi.docx, the agency report form.

The .docx in templates/ is the source of truth: the office may edit it in Word or LibreOffice (wording, fonts,
spacing), keeping the Jinja tags ({{ ... }}, {%tr ... %}, {%p ... %}) and the content controls. This builder only
exists to (re)create it from scratch:  python -m generator.formtemplate templates/bao-cao-don-vi.docx
The task tables are formatted by named styles ("Bảng - nội dung" and its variants, Word's "Placeholder Text" for the
grey hints), so the office restyles every cell in one place and each form carries no per-cell formatting.
Variables the template may use are listed in README.md ("Mẫu biểu mẫu").
"""

from __future__ import annotations

import datetime as dt
import sys

from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt

from ..office import wml as ooxml
from ..office.decree import (GREY, JUSTIFY, header_block, lean_bytes, new_document, para as _para, signature_block,
    title_block)
from . import contract
from .contract import COLUMNS, HINT_LEAD, LABELS, PLACEHOLDERS, STATUSES

TASK_ID = "{{ t.id }}"  # the id of the task of a row, in the template's loop over a task list


CELL_MARGIN_MM = 1  # left and right, inside each cell (Word's default is 1.9 mm)


# Named styles of the task tables, defined once in styles.xml (ids ASCII, names as the office sees them in Word's
# style list): a table cell then carries only its w:pStyle, a placeholder run only its w:rStyle, instead of repeating
# the same direct formatting in every cell of every row (most of a form's XML).
TEXT, CENTRED, HEADING, CODE, VIA = "TableText", "TableTextCentered", "TableHeading", "TableCode", "TableNote"
TASK, DETAIL = "TableTask", "TableDetail"
PLACEHOLDER = "PlaceholderText"  # Word's own character style for the grey hint of a content control


def _add_styles(doc) -> None:
    """Table text 11 pt with no space before/after (a centred, a bold centred column-title and task-code variant,
    the 10 pt italic "(Giao chung: ...)" note), and the grey italic placeholder hint. The hint is a character style:
    a paragraph style would make what the clerk types in the cell grey and italic too.

    Rows may split across pages (a clerk's answer may be longer than a page, and a row that cannot split leaves the
    rest of the page blank); what must stay together is said by the styles: the column titles keep with the first
    row (and the header row repeats on every page), a task's own text keeps its lines together, and every table
    paragraph has widow/orphan control."""
    styles = doc.styles

    def paragraph(style_id, name, base, *, size=None, bold=None, italic=None, align=None, keep_next=None,
                  keep_lines=None, widows=None, before=None):
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.style_id = style_id
        style.base_style = _style(doc, base)
        style.quick_style = True
        if base == "Normal":  # explicit: a change of Normal's spacing in the office's copy must not reach the cells
            style.paragraph_format.space_before = style.paragraph_format.space_after = Pt(0)
        if size is not None:
            style.font.size = Pt(size)
        if bold is not None:
            style.font.bold = bold
        if italic is not None:
            style.font.italic = italic
        if align is not None:
            style.paragraph_format.alignment = align
        if keep_next is not None:
            style.paragraph_format.keep_with_next = keep_next
        if keep_lines is not None:
            style.paragraph_format.keep_together = keep_lines
        if widows is not None:
            style.paragraph_format.widow_control = widows
        if before is not None:
            style.paragraph_format.space_before = Pt(before)
        style.next_paragraph_style = style

    paragraph(TEXT, "Bảng - nội dung", "Normal", size=10.5, widows=True)
    paragraph(CENTRED, "Bảng - nội dung giữa", TEXT, align=WD_ALIGN_PARAGRAPH.CENTER)
    paragraph(HEADING, "Bảng - tiêu đề cột", CENTRED, bold=True, keep_next=True)
    paragraph(CODE, "Bảng - mã nhiệm vụ", CENTRED, bold=True)
    paragraph(TASK, "Bảng - nhiệm vụ", TEXT, keep_lines=True)
    paragraph(VIA, "Bảng - giao chung", TEXT, size=10, italic=True)
    paragraph(DETAIL, "Bảng - sản phẩm, thời gian", TEXT, size=10, keep_lines=True, before=1)
    hint = styles.add_style("Placeholder Text", WD_STYLE_TYPE.CHARACTER, builtin=True)
    hint.style_id = PLACEHOLDER
    hint.base_style = styles.default(WD_STYLE_TYPE.CHARACTER)
    hint.priority, hint.hidden, hint.unhide_when_used = 99, True, True  # as Word defines it
    hint.font.italic, hint.font.color.rgb = True, GREY


def _hint(p, text: str) -> None:
    """A grey hint at the end of paragraph `p`: an unstyled HINT_LEAD (a zero width space), then `text` in
    "Placeholder Text". Typing over a selected hint, LibreOffice gives the new text the formatting of the first
    character replaced (it keeps the flag and style of the content control's placeholder otherwise): what an agency
    types there then prints plain, like what Word writes when it replaces a placeholder."""
    p.add_run(HINT_LEAD)
    p.add_run(text, _style(p.part.document, PLACEHOLDER))


def _style(doc, style_id: str):
    return next(s for s in doc.styles if s.style_id == style_id)


def _cell_para(cell, text: str, style_id: str, *, first: bool = True, hint: bool = False):
    """A paragraph of `style_id` holding `text` (a placeholder hint when `hint`): the new cell's own empty paragraph
    when `first`, else a new one after it."""
    doc = cell.part.document
    p = cell.paragraphs[0] if first else cell.add_paragraph()
    p.style = _style(doc, style_id)
    if text and hint:
        _hint(p, text)
    elif text:
        p.add_run(text)
    return p


def _lock(cell, tag: str, title: str) -> None:
    """Wrap a prefilled cell's paragraphs in a locked content control (readable back by tag)."""
    ps = [p._p for p in cell.paragraphs]
    tc = cell._tc
    for p in ps:
        tc.remove(p)
    tc.append(ooxml.wrap_block_sdt(ps, tag, title, lock="sdtContentLocked"))


def _fill_in(cell, tag: str, title: str, hint: str, *, first: bool = True) -> None:
    p = _cell_para(cell, hint, TEXT, hint=True, first=first)
    cell._tc.remove(p._p)
    cell._tc.append(ooxml.wrap_block_sdt([p._p], tag, title, lock="sdtLocked", placeholder=True))


def _status(cell, tag: str) -> None:
    p = _cell_para(cell, PLACEHOLDERS["status"], CENTRED, hint=True)
    runs = [r._r for r in p.runs]
    for run in runs:
        p._p.remove(run)
    p._p.append(ooxml.dropdown_sdt(runs, tag, "Tình trạng", STATUSES))


def _keep(p):
    """A heading that stays on the page of what follows it (its table's header row, its section's text)."""
    p.paragraph_format.keep_with_next = True
    return p


def _jinja_row(table, tag: str) -> None:
    row = table.add_row()
    _cell_para(row.cells[0], tag, TEXT)


def _task_table(doc, var: str) -> None:
    table = doc.add_table(rows=1, cols=len(COLUMNS))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    ooxml.set_table_borders(table._tbl)
    ooxml.set_table_layout_fixed(table._tbl)
    ooxml.set_table_cell_margins(table._tbl, Mm(CELL_MARGIN_MM).twips, Mm(CELL_MARGIN_MM).twips)
    for i, (title, width) in enumerate(COLUMNS):
        table.columns[i].width = Mm(width)
    header = table.rows[0]
    ooxml.mark_header_row(header._tr)
    for cell, (title, width) in zip(header.cells, COLUMNS):
        cell.width = Mm(width)
        _cell_para(cell, title, HEADING)
        ooxml.set_cell_shading(cell._tc, "E7E6E6")
    _jinja_row(table, f"{{%tr for t in {var} %}}")
    row = table.add_row()
    c = row.cells
    for cell, (_, width) in zip(c, COLUMNS):
        cell.width = Mm(width)
    _cell_para(c[0], "{{ t.code }}", CODE)
    _lock(c[0], contract.tag(TASK_ID, "code"), "Mã nhiệm vụ")
    # The task cell: the task (with its "Giao chung" note), then its product and timeframe, each in its own
    # locked control, introduced by its label (formreader.LABELS).
    _cell_para(c[1], "{{ t.task }}", TASK)
    _cell_para(c[1], "{%p if t.via %}", TEXT, first=False)
    _cell_para(c[1], "({{ t.via }})", VIA, first=False)
    _cell_para(c[1], "{%p endif %}", TEXT, first=False)
    _lock(c[1], contract.tag(TASK_ID, "task"), "Nhiệm vụ")
    _cell_para(c[1], "{%p if t.deliverable %}", TEXT, first=False)
    _append_locked(c[1], _cell_para(c[1], f"{LABELS['deliverable']}{{{{ t.deliverable }}}}", DETAIL, first=False),
                   contract.tag(TASK_ID, "deliverable"), "Sản phẩm")
    _cell_para(c[1], "{%p endif %}", TEXT, first=False)
    _append_locked(c[1], _cell_para(c[1], f"{LABELS['timeframe']}{{{{ t.timeframe }}}}", DETAIL, first=False),
                   contract.tag(TASK_ID, "timeframe"), "Thời gian")
    _fill_in(c[2], contract.tag(TASK_ID, "result"), "Kết quả thực hiện", PLACEHOLDERS["result"])
    _status(c[3], contract.tag(TASK_ID, "status"))
    _append_locked(c[3], _cell_para(c[3], LABELS["note"].rstrip(), DETAIL, first=False), "{{ t.id }}|label",
                   "Nhãn")
    _fill_in(c[3], contract.tag(TASK_ID, "note"), "Ghi chú", PLACEHOLDERS["note"], first=False)
    _jinja_row(table, "{%tr endfor %}")


def _append_locked(cell, p, tag: str, title: str) -> None:
    """Wrap the cell's last paragraph `p` in a locked content control of its own."""
    cell._tc.remove(p._p)
    cell._tc.append(ooxml.wrap_block_sdt([p._p], tag, title, lock="sdtContentLocked"))


def build_template() -> bytes:
    doc = new_document()
    _add_styles(doc)
    header_block(doc, ["{%p if parent_header %}", "{{ parent_header }}", "{%p endif %}"],
                 ["{%p for line in agency_header_lines %}", "{{ line }}", "{%p endfor %}"], "{{ number_line }}",
                 "{{ date_line }}")
    title_block(doc, "{{ subject_line }}", "{{ receiver_line }}", title="{{ doc_title }}")
    justify = JUSTIFY
    _para(doc, "{{ opening }}", align=justify, indent=12.7, after=6)

    _keep(_para(doc, "I. KẾT QUẢ THỰC HIỆN CÁC NHIỆM VỤ ĐƯỢC GIAO", bold=True, after=6))
    for number_, title, var, empty in (
        ("1", "Nhiệm vụ chủ trì", "lead", "Không có nhiệm vụ chủ trì trong năm {{ year }}."),
        ("2", "Nhiệm vụ phối hợp", "partner", "Không có nhiệm vụ phối hợp trong năm {{ year }}."),
    ):
        _keep(_para(doc, f"{number_}. {title}", bold=True, indent=12.7, after=6))
        _para(doc, f"{{%p if {var} %}}")
        _task_table(doc, var)
        _para(doc, "{%p else %}")
        _para(doc, empty, italic=True, indent=12.7)
        _para(doc, "{%p endif %}")
    _para(doc, "{%p if expired %}")
    _keep(_para(doc, "3. Nhiệm vụ đã hết thời hạn theo Kế hoạch: báo cáo nếu chưa hoàn thành", bold=True,
                indent=12.7, before=6, after=6))
    _task_table(doc, "expired")
    _para(doc, "{%p endif %}")

    for heading, tag, hint in (
        ("II. KHÓ KHĂN, VƯỚNG MẮC", contract.tag(contract.SECTION, "kho-khan"), PLACEHOLDERS["kho-khan"]),
        ("III. KIẾN NGHỊ, ĐỀ XUẤT", contract.tag(contract.SECTION, "kien-nghi"), PLACEHOLDERS["kien-nghi"]),
    ):
        _keep(_para(doc, heading, bold=True, before=12, after=6))
        p = _para(doc, align=justify, indent=12.7)
        _hint(p, hint)  # grey italic on the run only: typed text stays plain
        body = p._p.getparent()
        index = body.index(p._p)
        body.insert(index, ooxml.wrap_block_sdt([p._p], tag, heading, lock="sdtLocked", placeholder=True))

    _para(doc, "{{ closing }}", align=justify, indent=12.7, before=12, after=12)
    signature_block(doc, ["{%p for line in recipients %}", "{{ line }}", "{%p endfor %}"], "{{ signer }}",
                    note="{{ signer_note }}", label="{% if recipients %}Nơi nhận:{% endif %}")
    doc.core_properties.title = "Báo cáo kết quả thực hiện kế hoạch"
    doc.core_properties.author = doc.core_properties.last_modified_by = "kehoach"
    doc.core_properties.created = doc.core_properties.modified = dt.datetime(2023, 2, 24)
    doc.core_properties.revision = 1
    return lean_bytes(doc)


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "templates/bao-cao-don-vi.docx"
    data = build_template()
    with open(out, "wb") as f:
        f.write(data)
    print(out)
