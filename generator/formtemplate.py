"""Builds the starting version of templates/bao-cao-don-vi.docx, the agency report form.

The .docx in templates/ is the source of truth: the office may edit it in Word or LibreOffice (wording, fonts,
spacing), keeping the Jinja tags ({{ ... }}, {%tr ... %}, {%p ... %}) and the content controls. This builder only
exists to (re)create it from scratch:  python -m generator.formtemplate templates/bao-cao-don-vi.docx
Variables the template may use are listed in README.md ("Mẫu biểu mẫu").
"""

from __future__ import annotations

import datetime as dt
import io
import re
import sys
import zipfile

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from . import ooxml
from .ziputil import write_zip

FONT = "Times New Roman"
STATUSES = ("Hoàn thành", "Đang thực hiện", "Chưa thực hiện")
# Task table columns (width in mm; the text width of A4 portrait with 30/15 mm margins is 165 mm).
COLUMNS = (("TT", 15), ("Nhiệm vụ", 43), ("Sản phẩm", 22), ("Thời gian", 22), ("Kết quả thực hiện", 34),
           ("Tình trạng", 15), ("Ghi chú", 14))
GREY = RGBColor(0x80, 0x80, 0x80)


def _para(container, text="", *, size=14, bold=False, italic=False, align=None, before=0, after=0, indent=None,
          color=None):
    p = container.add_paragraph()
    pf = p.paragraph_format
    pf.space_before, pf.space_after = Pt(before), Pt(after)
    if align is not None:
        p.alignment = align
    if indent is not None:
        pf.first_line_indent = Mm(indent)
    if text:
        run = p.add_run(text)
        run.font.size, run.bold, run.italic = Pt(size), bold, italic
        if color is not None:
            run.font.color.rgb = color
    return p


def _short_rule(cell, width_mm: float, cell_mm: float) -> None:
    """A tiny paragraph whose bottom border draws a centred line `width_mm` long."""
    p = _para(cell, size=2)
    side = Mm((cell_mm - width_mm) / 2)
    p.paragraph_format.left_indent = p.paragraph_format.right_indent = side
    p.paragraph_format.line_spacing = Pt(2)
    ooxml.bottom_border(p._p)


def _fill_cell(cell, text, **kw):
    cell.paragraphs[0]._p.getparent().remove(cell.paragraphs[0]._p)
    return _para(cell, text, **kw)


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


def _header_block(doc) -> None:
    left_mm, right_mm = 72, 100  # a little wider than the text (165 mm): long agency names stay on one line
    table = doc.add_table(rows=1, cols=2)
    ooxml.set_table_borders(table._tbl, "nil")
    ooxml.set_table_layout_fixed(table._tbl)
    ooxml.set_table_indent(table._tbl, Mm(-5).twips)
    table.columns[0].width, table.columns[1].width = Mm(left_mm), Mm(right_mm)
    left, right = table.rows[0].cells
    left.width, right.width = Mm(left_mm), Mm(right_mm)
    center = WD_ALIGN_PARAGRAPH.CENTER
    _fill_cell(left, "{{ parent_header }}", size=13, align=center)
    _para(left, "{{ agency_header }}", size=13, bold=True, align=center)
    _short_rule(left, 26, left_mm)
    _para(left, "Số:      /BC-{{ agency_code }}", size=13, align=center, before=6)
    _fill_cell(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=12, bold=True, align=center)
    _para(right, "Độc lập - Tự do - Hạnh phúc", size=14, bold=True, align=center)
    _short_rule(right, 62, right_mm)
    _para(right, "{{ date_line }}", size=14, italic=True, align=center, before=6)


def build_template() -> bytes:
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(14)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    normal.paragraph_format.space_after = Pt(0)
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    section.header_distance = Mm(10)
    section.different_first_page_header_footer = True
    number = section.header.paragraphs[0]
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    ooxml.page_number_field(number._p)
    for r in number.runs:
        r.font.size = Pt(13)

    _header_block(doc)
    center, justify = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.JUSTIFY
    _para(doc, "BÁO CÁO", bold=True, align=center, before=18)
    _para(doc, "{{ subject_line }}", bold=True, align=center)
    rule = _para(doc, size=2)
    rule.paragraph_format.left_indent = rule.paragraph_format.right_indent = Mm(65)
    ooxml.bottom_border(rule._p)
    _para(doc, "Kính gửi: {{ receiver_name }}", align=center, before=12, after=12)
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
    _signature_block(doc)
    doc.core_properties.title = "Báo cáo kết quả thực hiện kế hoạch"
    doc.core_properties.author = doc.core_properties.last_modified_by = "kehoach"
    doc.core_properties.created = doc.core_properties.modified = dt.datetime(2023, 2, 24)
    doc.core_properties.revision = 1
    _make_lean(doc)
    buf = io.BytesIO()
    doc.save(buf)
    return _without_thumbnail(buf.getvalue())


def _without_thumbnail(docx: bytes) -> bytes:
    """python-docx has no API to drop a package-level part; remove the default thumbnail at the zip level."""
    with zipfile.ZipFile(io.BytesIO(docx)) as zf:
        entries = [(i.filename, zf.read(i)) for i in zf.infolist() if i.filename != "docProps/thumbnail.jpeg"]
    entries = [
        (name, re.sub(rb'<Relationship [^>]*Target="docProps/thumbnail.jpeg"/>', b"", data) if name == "_rels/.rels" else data)
        for name, data in entries
    ]
    return write_zip(entries)


def _make_lean(doc) -> None:
    """Drop what python-docx's default template carries but the form never uses (about 800 KB of styles,
    a thumbnail, custom XML), so every generated form is small and quick to write."""
    for rel in list(doc.part.rels.values()):
        if rel.reltype.endswith(("/stylesWithEffects", "/customXml")):
            doc.part.drop_rel(rel.rId)
    styles = doc.styles.element
    for latent in styles.findall(qn("w:latentStyles")):
        styles.remove(latent)
    keep = {"Normal", "Header", "HeaderChar", "Footer", "FooterChar"}
    by_id = {s.get(qn("w:styleId")): s for s in styles.findall(qn("w:style"))}
    keep |= {i for i, s in by_id.items() if s.get(qn("w:default")) in ("1", "true")}
    for style_id in list(keep):  # follow basedOn/link chains
        while style_id in by_id:
            ref = by_id[style_id].find(qn("w:basedOn"))
            link = by_id[style_id].find(qn("w:link"))
            for el in (link,):
                if el is not None:
                    keep.add(el.get(qn("w:val")))
            if ref is None:
                break
            style_id = ref.get(qn("w:val"))
            keep.add(style_id)
    for style_id, s in by_id.items():
        if style_id not in keep:
            styles.remove(s)


def _signature_block(doc) -> None:
    table = doc.add_table(rows=1, cols=2)
    ooxml.set_table_borders(table._tbl, "nil")
    ooxml.set_table_layout_fixed(table._tbl)
    table.columns[0].width, table.columns[1].width = Mm(80), Mm(85)
    left, right = table.rows[0].cells
    left.width, right.width = Mm(80), Mm(85)
    _fill_cell(left, "Nơi nhận:", size=12, bold=True, italic=True)
    _para(left, "- {{ receiver_name }};", size=11)
    _para(left, "- Lưu: VT.", size=11)
    center = WD_ALIGN_PARAGRAPH.CENTER
    _fill_cell(right, "THỦ TRƯỞNG CƠ QUAN", size=14, bold=True, align=center)
    _para(right, "(Ký, ghi rõ họ tên, đóng dấu)", size=14, italic=True, align=center)


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "templates/bao-cao-don-vi.docx"
    data = build_template()
    with open(out, "wb") as f:
        f.write(data)
    print(out)
