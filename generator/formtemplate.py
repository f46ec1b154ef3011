"""Builds the starting version of templates/bao-cao-don-vi.docx, the agency report form.

The .docx in templates/ is the source of truth: the office may edit it in Word or LibreOffice (wording, fonts,
spacing), keeping the Jinja tags ({{ ... }}, {%tr ... %}, {%p ... %}) and the content controls. This builder only
exists to (re)create it from scratch:  python -m generator.formtemplate templates/bao-cao-don-vi.docx
Variables the template may use are listed in README.md ("Mẫu biểu mẫu").
"""

from __future__ import annotations

import datetime as dt
import sys

from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt

from . import ooxml
from .decree import GREY, JUSTIFY, fill_cell as _fill_cell, header_block, lean_bytes, new_document
from .decree import para as _para
from .decree import signature_block, title_block

STATUSES = ("Hoàn thành", "Đang thực hiện", "Chưa thực hiện")
# Task table columns (width in mm; the text width of A4 portrait with 30/15 mm margins is 165 mm).
COLUMNS = (("TT", 15), ("Nhiệm vụ", 43), ("Sản phẩm", 22), ("Thời gian", 22), ("Kết quả thực hiện", 34),
           ("Tình trạng", 15), ("Ghi chú", 14))


def _lock(cell, tag: str, title: str) -> None:
    """Wrap a prefilled cell's paragraphs in a locked content control (readable back by tag)."""
    ps = [p._p for p in cell.paragraphs]
    tc = cell._tc
    for p in ps:
        tc.remove(p)
    tc.append(ooxml.wrap_block_sdt(ps, tag, title, lock="sdtContentLocked"))


def _fill_in(cell, tag: str, title: str, hint: str) -> None:
    p = _fill_cell(cell, hint, size=11, italic=True, color=GREY)
    cell._tc.remove(p._p)
    cell._tc.append(ooxml.wrap_block_sdt([p._p], tag, title, lock="sdtLocked", placeholder=True))


def _status(cell, tag: str) -> None:
    p = _fill_cell(cell, "", size=11, align=WD_ALIGN_PARAGRAPH.CENTER)
    run = p.add_run("Chọn")
    run.font.size, run.italic = Pt(11), True
    run.font.color.rgb = GREY
    p._p.remove(run._r)
    p._p.append(ooxml.dropdown_sdt([run._r], tag, "Tình trạng", STATUSES))


def _jinja_row(table, tag: str) -> None:
    row = table.add_row()
    _fill_cell(row.cells[0], tag, size=11)


def _task_table(doc, var: str) -> None:
    table = doc.add_table(rows=1, cols=len(COLUMNS))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    ooxml.set_table_borders(table._tbl)
    ooxml.set_table_layout_fixed(table._tbl)
    for i, (title, width) in enumerate(COLUMNS):
        table.columns[i].width = Mm(width)
    header = table.rows[0]
    ooxml.mark_header_row(header._tr)
    for cell, (title, width) in zip(header.cells, COLUMNS):
        cell.width = Mm(width)
        _fill_cell(cell, title, size=11, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
        ooxml.set_cell_shading(cell._tc, "E7E6E6")
    _jinja_row(table, f"{{%tr for t in {var} %}}")
    row = table.add_row()
    ooxml.forbid_row_split(row._tr)
    c = row.cells
    for cell, (_, width) in zip(c, COLUMNS):
        cell.width = Mm(width)
    _fill_cell(c[0], "{{ t.code }}", size=11, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    _lock(c[0], "{{ t.id }}|code", "Mã nhiệm vụ")
    _fill_cell(c[1], "{{ t.task }}", size=11)
    _para(c[1], "{%p if t.via %}", size=11)
    _para(c[1], "({{ t.via }})", size=10, italic=True)
    _para(c[1], "{%p endif %}", size=11)
    _lock(c[1], "{{ t.id }}|task", "Nhiệm vụ")
    _fill_cell(c[2], "{{ t.deliverable }}", size=11)
    _lock(c[2], "{{ t.id }}|deliverable", "Sản phẩm")
    _fill_cell(c[3], "{{ t.timeframe }}", size=11, align=WD_ALIGN_PARAGRAPH.CENTER)
    _lock(c[3], "{{ t.id }}|timeframe", "Thời gian")
    _fill_in(c[4], "{{ t.id }}|result", "Kết quả thực hiện", "Nhập kết quả thực hiện")
    _status(c[5], "{{ t.id }}|status")
    _fill_in(c[6], "{{ t.id }}|note", "Ghi chú", "…")
    _jinja_row(table, "{%tr endfor %}")


def build_template() -> bytes:
    doc = new_document()
    header_block(doc, "{{ parent_header }}", "{{ agency_header }}", "Số:      /BC-{{ agency_code }}",
                 "{{ date_line }}")
    title_block(doc, "{{ subject_line }}", "Kính gửi: {{ receiver_name }}")
    justify = JUSTIFY
    _para(doc, "{{ opening }}", align=justify, indent=12.7, after=6)

    _para(doc, "I. KẾT QUẢ THỰC HIỆN CÁC NHIỆM VỤ ĐƯỢC GIAO", bold=True, after=6)
    for number_, title, var, empty in (
        ("1", "Nhiệm vụ chủ trì", "lead", "Không có nhiệm vụ chủ trì trong năm {{ year }}."),
        ("2", "Nhiệm vụ phối hợp", "partner", "Không có nhiệm vụ phối hợp trong năm {{ year }}."),
    ):
        _para(doc, f"{number_}. {title}", bold=True, indent=12.7, after=6)
        _para(doc, f"{{%p if {var} %}}")
        _task_table(doc, var)
        _para(doc, "{%p else %}")
        _para(doc, empty, italic=True, indent=12.7)
        _para(doc, "{%p endif %}")
    _para(doc, "{%p if expired %}")
    _para(doc, "3. Nhiệm vụ đã hết thời hạn theo Kế hoạch: báo cáo nếu chưa hoàn thành", bold=True, indent=12.7,
          before=6, after=6)
    _task_table(doc, "expired")
    _para(doc, "{%p endif %}")

    for heading, tag, hint in (
        ("II. KHÓ KHĂN, VƯỚNG MẮC", "section|kho-khan", "Nêu khó khăn, vướng mắc trong quá trình thực hiện."),
        ("III. KIẾN NGHỊ, ĐỀ XUẤT", "section|kien-nghi", "Nêu kiến nghị, đề xuất."),
    ):
        _para(doc, heading, bold=True, before=12, after=6)
        p = _para(doc, hint, italic=True, align=justify, indent=12.7, color=GREY)
        body = p._p.getparent()
        index = body.index(p._p)
        body.insert(index, ooxml.wrap_block_sdt([p._p], tag, heading, lock="sdtLocked", placeholder=True))

    _para(doc, "{{ closing }}", align=justify, indent=12.7, before=12, after=12)
    signature_block(doc, ["- {{ receiver_name }};", "- Lưu: VT."], "THỦ TRƯỞNG CƠ QUAN")
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
