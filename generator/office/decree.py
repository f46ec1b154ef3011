"""Building blocks of a document laid out per Nghị định 30/2020/NĐ-CP (../shared/reference/nd30-format.md), on
python-docx: the A4 page with the decree's margins and page numbers from page 2, the two-column header block, the
title, the signature block. Used by the agency form template and by the office's summary report."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from .ziputil import write_zip
from . import wml as ooxml


FONT = "Times New Roman"
GREY = RGBColor(0x80, 0x80, 0x80)
CENTER, JUSTIFY = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.JUSTIFY
TEXT_WIDTH_MM = 165  # A4 (210 mm) less the 30 mm and 15 mm side margins


def new_document():
    """An empty A4 portrait document: Times New Roman 14, margins 20/20/30/15 mm, page numbers from page 2."""
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(14)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    normal.element.rPr.rFonts.set(qn("w:cs"), FONT)
    normal.paragraph_format.space_after = Pt(0)
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    section.header_distance = Mm(10)
    section.different_first_page_header_footer = True  # the first page's header stays empty
    number = section.header.paragraphs[0]
    number.alignment = CENTER
    ooxml.page_number_field(number._p)
    for r in number.runs:
        r.font.size = Pt(13)
    return doc


def para(container, text="", *, size=14, bold=False, italic=False, align=None, before=0, after=0, indent=None,
         color=None):
    """Append a paragraph with one run of `text` to a document or table cell."""
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


def fill_cell(cell, text, **kw):
    """Replace a new table cell's empty paragraph with one holding `text`."""
    cell.paragraphs[0]._p.getparent().remove(cell.paragraphs[0]._p)
    return para(cell, text, **kw)


def short_rule(container, width_mm: float, within_mm: float) -> None:
    """A tiny paragraph whose bottom border draws a centred line `width_mm` long."""
    p = para(container, size=2)
    side = Mm((within_mm - width_mm) / 2)
    p.paragraph_format.left_indent = p.paragraph_format.right_indent = side
    p.paragraph_format.line_spacing = Pt(2)
    ooxml.bottom_border(p._p)


def borderless_table(doc, widths_mm: Sequence[float]):
    table = doc.add_table(rows=1, cols=len(widths_mm))
    ooxml.set_table_borders(table._tbl, "nil")
    ooxml.set_table_layout_fixed(table._tbl)
    for column, cell, width in zip(table.columns, table.rows[0].cells, widths_mm):
        column.width = cell.width = Mm(width)
    return table


def header_block(doc, parent: str | Sequence[str], body: str | Sequence[str], number: str, date_line: str, *,
                 subject: str = "") -> None:
    """Top of page 1: parent body / issuing body (bold, short line) / number, beside Quốc hiệu, Tiêu ngữ, date.
    `subject`: a công văn's trích yếu ("V/v ..."), under the number in the left column (12 pt, upright).

    `parent` and `body` are one paragraph each, or a paragraph per item (the lines a long name is split on, or the
    template's tags around them); an empty `parent` prints no line. Column widths: headers.py, which checks that
    each line fits (a line that does not fit would be broken by Word wherever it likes)."""
    from .pagelayout import HEADER_CELL_MARGIN_MM, HEADER_LEFT_MM, HEADER_RIGHT_MM

    table = borderless_table(doc, (HEADER_LEFT_MM, HEADER_RIGHT_MM))
    ooxml.set_table_indent(table._tbl, Mm(-5).twips)
    ooxml.set_table_cell_margins(table._tbl, Mm(HEADER_CELL_MARGIN_MM).twips, Mm(HEADER_CELL_MARGIN_MM).twips)
    left, right = table.rows[0].cells
    lines = [(t, False) for t in ([parent] if isinstance(parent, str) else parent) if t]
    lines += [(t, True) for t in ([body] if isinstance(body, str) else body)]
    for i, (text, bold) in enumerate(lines):
        (fill_cell if i == 0 else para)(left, text, size=13, bold=bold, align=CENTER)
    short_rule(left, 26, HEADER_LEFT_MM)
    para(left, number, size=13, align=CENTER, before=6)
    if subject:
        para(left, subject, size=12, align=CENTER, before=3)
    fill_cell(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=12, bold=True, align=CENTER)
    para(right, "Độc lập - Tự do - Hạnh phúc", size=14, bold=True, align=CENTER)
    short_rule(right, 62, HEADER_RIGHT_MM)
    para(right, date_line, size=14, italic=True, align=CENTER, before=6)


def title_block(doc, subject: str, receiver_line: str, *, title: str = "BÁO CÁO") -> None:
    """The document type ("BÁO CÁO"), the trích yếu with a short line under it, and the "Kính gửi" line."""
    para(doc, title, bold=True, align=CENTER, before=18)
    para(doc, subject, bold=True, align=CENTER)
    short_rule(doc, 35, TEXT_WIDTH_MM)
    para(doc, receiver_line, align=CENTER, before=12, after=12)


def signature_block(doc, recipients: Sequence[str], signer: str, *, note: str = "(Ký, ghi rõ họ tên, đóng dấu)",
                    label: str = "Nơi nhận:") -> None:
    """"Nơi nhận:" (12 bold italic, items 11) on the left; the signer's title and the signing note on the right."""
    table = borderless_table(doc, (80, 85))
    ooxml.forbid_row_split(table.rows[0]._tr)  # the recipients and the signer on one page
    left, right = table.rows[0].cells
    fill_cell(left, label, size=12, bold=True, italic=True)
    for item in recipients:
        para(left, item, size=11)
    fill_cell(right, signer, size=14, bold=True, align=CENTER)
    para(right, note, size=14, italic=True, align=CENTER)


def signer_block(doc, recipients: Sequence[str], authority: str, title: str, name: str = "") -> None:
    """The end of a document the issuing body signs: "Nơi nhận:" (12 bold italic, items 11) on the left; on the right
    the signing authority and title (upper case, bold; "KT. GIÁM ĐỐC" / "PHÓ GIÁM ĐỐC"), room for the signature and
    seal, and the signer's name (bold) if known. The table row is kept on one page."""
    table = borderless_table(doc, (80, 85))
    ooxml.forbid_row_split(table.rows[0]._tr)
    left, right = table.rows[0].cells
    fill_cell(left, "Nơi nhận:", size=12, bold=True, italic=True)
    for item in recipients:
        para(left, item, size=11)
    lines = [line for line in (authority, title) if line]
    fill_cell(right, lines[0].upper(), size=14, bold=True, align=CENTER)
    for line in lines[1:]:
        para(right, line.upper(), size=14, bold=True, align=CENTER)
    para(right, size=14, before=72)  # the signature and seal
    para(right, name, size=14, bold=True, align=CENTER)


def lean_bytes(doc) -> bytes:
    """The document as deterministic .docx bytes, without what python-docx's default template carries but these
    documents never use (about 800 KB of styles, a thumbnail, custom XML). Styles kept: the defaults, Normal,
    header/footer, and those the body uses (w:pStyle, w:rStyle, w:tblStyle), with the styles they are based on."""
    for rel in list(doc.part.rels.values()):
        if rel.reltype.endswith(("/stylesWithEffects", "/customXml")):
            doc.part.drop_rel(rel.rId)
    styles = doc.styles.element
    for latent in styles.findall(qn("w:latentStyles")):
        styles.remove(latent)
    by_id = {s.get(qn("w:styleId")): s for s in styles.findall(qn("w:style"))}
    keep = {"Normal", "Header", "HeaderChar", "Footer", "FooterChar"}
    keep |= {i for i, s in by_id.items() if s.get(qn("w:default")) in ("1", "true")}
    body = doc.element.body
    keep |= {el.get(qn("w:val")) for tag in ("w:pStyle", "w:rStyle", "w:tblStyle") for el in body.iter(qn(tag))}
    for style_id in list(keep):  # follow basedOn/link chains
        while style_id in by_id:
            link = by_id[style_id].find(qn("w:link"))
            if link is not None:
                keep.add(link.get(qn("w:val")))
            based = by_id[style_id].find(qn("w:basedOn"))
            if based is None:
                break
            style_id = based.get(qn("w:val"))
            keep.add(style_id)
    for style_id, s in by_id.items():
        if style_id not in keep:
            styles.remove(s)
    ooxml.complete_zoom(doc.settings.element)
    buf = io.BytesIO()
    doc.save(buf)
    # python-docx has no API to drop a package-level part: remove the default thumbnail at the zip level.
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zf:
        entries = [(i.filename, zf.read(i)) for i in zf.infolist() if i.filename != "docProps/thumbnail.jpeg"]
    return write_zip([
        (name, re.sub(rb'<Relationship [^>]*Target="docProps/thumbnail.jpeg"/>', b"", data)
         if name == "_rels/.rels" else data)
        for name, data in entries
    ])
