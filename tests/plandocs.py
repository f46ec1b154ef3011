"""Plan documents as a planning office receives them, written by the tests: Word files laid out as the originals are,
for `kehoach import-plan` to read (issue 17).

- `kh1627_docx(path)`: Kế hoạch 1627/KH-UBND of Khánh Hòa, built from the official text in
  ../shared/source/ke-hoach-1627-KH-UBND.txt (never from plan_data/): the header table, "KẾ HOẠCH" and the title, the
  body paragraphs as the text has them (its page-break artefacts included), the signature block, then on a new
  (landscape) page the PHỤ LỤC, its table split into one table per printed page where the text repeats the header row,
  each continuation starting with the repeated header (the first marked `w:tblHeader`, some continuations not marked),
  group rows (I, II, ...) whose title cell spans the width (`w:gridSpan`), the stray `<p>` of II.19 and III.1 as line
  breaks / separate paragraphs inside the cell, and the empty cell of II.2.
- `kh1627_pdf(docx, path)`: that document exported to PDF by LibreOffice.
- `second_plan_docx(path)` and `lam_dong_registry(folder)`: Kế hoạch 245/KH-UBND of UBND tỉnh Lâm Đồng on chuyển
  đổi số (invented, worded as such plans are): 17 tasks in 4 groups, quarter and month deadlines, a parenthetical
  sub-unit, a lead cell merged vertically over 3 rows (`w:vMerge`), an extra "Ghi chú" column, task numbers "1." and
  "1"; its province registry holds every agency the plan names but `UNKNOWN_AGENCIES`.

The files are byte-identical from one run to the next: the package is written part by part with fixed zip dates.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

SOURCE = Path(__file__).resolve().parents[2] / "shared" / "source" / "ke-hoach-1627-KH-UBND.txt"

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
HEADER = ("TT", "Nhiệm vụ", "Đơn vị chủ trì", "Đơn vị phối hợp", "Sản phẩm hoàn thành", "Thời gian hoàn thành")
ROMAN = re.compile(r"^[IVX]+$")

# A4 in twentieths of a point; margins of Nghị định 30 (top/bottom 20 mm, left 30 mm, right 15 mm).
PAGE_W, PAGE_H = 11906, 16838
MARGINS = dict(top=1134, bottom=1134, left=1701, right=851)
PORTRAIT_TEXT = PAGE_W - MARGINS["left"] - MARGINS["right"]  # 9354
LANDSCAPE_TEXT = PAGE_H - 1134 - 851  # 14853: the appendix pages, left margin 20 mm, right 15 mm


# --------------------------------------------------------------------------- WordprocessingML pieces


@dataclass
class Run:
    text: str = ""
    bold: bool = False
    italic: bool = False
    size: int | None = None  # points
    breaks_before: int = 0  # <w:br/> before the text (a line break inside the paragraph)
    breaks_after: int = 0

    def xml(self) -> str:
        props = ("<w:b/>" if self.bold else "") + ("<w:i/>" if self.italic else "")
        if self.size:
            props += f'<w:sz w:val="{self.size * 2}"/><w:szCs w:val="{self.size * 2}"/>'
        rpr = f"<w:rPr>{props}</w:rPr>" if props else ""
        text = f'<w:t xml:space="preserve">{escape(self.text)}</w:t>' if self.text else ""
        return f"<w:r>{rpr}{'<w:br/>' * self.breaks_before}{text}{'<w:br/>' * self.breaks_after}</w:r>"


def para(*runs: Run | str, align: str | None = None, indent: bool = False, after: int = 6, size: int | None = None,
         bold: bool = False, italic: bool = False, keep_next: bool = False, extra_ppr: str = "") -> str:
    """One <w:p>; plain strings are runs with the paragraph's bold/italic/size."""
    rs = [r if isinstance(r, Run) else Run(r, bold=bold, italic=italic, size=size) for r in runs]
    ppr = ""
    if keep_next:
        ppr += "<w:keepNext/>"
    ppr += f'<w:spacing w:before="0" w:after="{after * 20}"/>'
    if indent:
        ppr += '<w:ind w:firstLine="720"/>'
    if align:
        ppr += f'<w:jc w:val="{align}"/>'
    ppr += extra_ppr
    return f"<w:p><w:pPr>{ppr}</w:pPr>{''.join(r.xml() for r in rs)}</w:p>"


def inline_markup(text: str, size: int | None = None) -> list[Run]:
    """The extraction's **bold** and *italic* marks as runs (the marks themselves are not text of the plan)."""
    runs: list[Run] = []
    for piece in re.split(r"(\*\*[^*]+\*\*|\*[^*]+\*)", text):
        if not piece:
            continue
        if piece.startswith("**"):
            runs.append(Run(piece[2:-2], bold=True, size=size))
        elif piece.startswith("*"):
            runs.append(Run(piece[1:-1], italic=True, size=size))
        else:
            runs.append(Run(piece, size=size))
    return runs


@dataclass
class Cell:
    paragraphs: list[str]  # <w:p> elements
    span: int = 1  # w:gridSpan
    vmerge: str | None = None  # "restart" | "continue"


def borders(kind: str) -> str:
    sides = ("top", "left", "bottom", "right", "insideH", "insideV")
    if kind == "none":
        return "<w:tblBorders>" + "".join(f'<w:{s} w:val="nil"/>' for s in sides) + "</w:tblBorders>"
    return "<w:tblBorders>" + "".join(
        f'<w:{s} w:val="single" w:sz="4" w:space="0" w:color="000000"/>' for s in sides) + "</w:tblBorders>"


def table(widths: list[int], rows: list[list[Cell]], *, header_rows: int = 0, ruled: bool = True) -> str:
    """A <w:tbl> with a fixed grid; the first `header_rows` rows are marked to repeat on every page (w:tblHeader)."""
    grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
    out = [f'<w:tbl><w:tblPr><w:tblW w:w="{sum(widths)}" w:type="dxa"/><w:jc w:val="center"/>{borders("single" if ruled else "none")}'
           '<w:tblLayout w:type="fixed"/><w:tblCellMar><w:left w:w="85" w:type="dxa"/><w:right w:w="85" w:type="dxa"/>'
           f'</w:tblCellMar><w:tblLook w:val="04A0"/></w:tblPr><w:tblGrid>{grid}</w:tblGrid>']
    for ri, row in enumerate(rows):
        trpr = "<w:trPr><w:cantSplit/>" + ("<w:tblHeader/>" if ri < header_rows else "") + "</w:trPr>"
        out.append(f"<w:tr>{trpr}")
        col = 0
        for cell in row:
            width = sum(widths[col:col + cell.span])
            tcpr = f'<w:tcW w:w="{width}" w:type="dxa"/>'
            if cell.span > 1:
                tcpr += f'<w:gridSpan w:val="{cell.span}"/>'
            if cell.vmerge == "restart":
                tcpr += '<w:vMerge w:val="restart"/>'
            elif cell.vmerge == "continue":
                tcpr += "<w:vMerge/>"
            out.append(f"<w:tc><w:tcPr>{tcpr}</w:tcPr>{''.join(cell.paragraphs) or para()}</w:tc>")
            col += cell.span
        out.append("</w:tr>")
    out.append("</w:tbl>")
    return "".join(out)


def section(landscape: bool, *, last: bool) -> str:
    """A section's properties: inside the last paragraph of a section, or the body's final sectPr."""
    w, h = (PAGE_H, PAGE_W) if landscape else (PAGE_W, PAGE_H)
    orient = ' w:orient="landscape"' if landscape else ""
    left, right = (1134, 851) if landscape else (MARGINS["left"], MARGINS["right"])
    sect = (f'<w:sectPr><w:type w:val="nextPage"/><w:pgSz w:w="{w}" w:h="{h}"{orient}/>'
            f'<w:pgMar w:top="{MARGINS["top"]}" w:right="{right}" w:bottom="{MARGINS["bottom"]}" w:left="{left}" '
            'w:header="720" w:footer="720" w:gutter="0"/><w:cols w:space="720"/></w:sectPr>')
    return sect if last else f"<w:p><w:pPr>{sect}</w:pPr></w:p>"


def page_break() -> str:
    """An empty paragraph holding a page break: Word keeps two tables apart only with a paragraph between them."""
    return '<w:p><w:pPr><w:spacing w:before="0" w:after="0"/></w:pPr><w:r><w:br w:type="page"/></w:r></w:p>'


# --------------------------------------------------------------------------- the package


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    '<Override PartName="/word/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>'
    '<Override PartName="/word/settings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"/>'
    '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    '<Override PartName="/docProps/app.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
    "</Types>")
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="word/document.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" '
    'Target="docProps/core.xml"/>'
    '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" '
    'Target="docProps/app.xml"/>'
    "</Relationships>")
_DOC_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
    'Target="styles.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings" '
    'Target="settings.xml"/>'
    "</Relationships>")
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<w:styles xmlns:w="{W_NS}"><w:docDefaults><w:rPrDefault><w:rPr>'
    '<w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman" w:eastAsia="Times New Roman" w:cs="Times New Roman"/>'
    '<w:sz w:val="28"/><w:szCs w:val="28"/><w:lang w:val="vi-VN" w:eastAsia="en-US" w:bidi="ar-SA"/></w:rPr>'
    '</w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after="120" w:line="240" w:lineRule="auto"/></w:pPr>'
    '</w:pPrDefault></w:docDefaults>'
    '<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/></w:style>'
    '<w:style w:type="table" w:default="1" w:styleId="TableNormal"><w:name w:val="Normal Table"/><w:tblPr>'
    '<w:tblInd w:w="0" w:type="dxa"/><w:tblCellMar><w:top w:w="0" w:type="dxa"/><w:left w:w="108" w:type="dxa"/>'
    '<w:bottom w:w="0" w:type="dxa"/><w:right w:w="108" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style>'
    "</w:styles>")
_SETTINGS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<w:settings xmlns:w="{W_NS}"><w:defaultTabStop w:val="720"/><w:characterSpacingControl w:val="doNotCompress"/>'
    '<w:compat><w:compatSetting w:name="compatibilityMode" w:uri="http://schemas.microsoft.com/office/word" '
    'w:val="15"/></w:compat></w:settings>')


def _core(title: str, when: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<dc:title>{escape(title)}</dc:title><dc:creator>Văn phòng UBND tỉnh</dc:creator>"
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{when}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{when}</dcterms:modified></cp:coreProperties>')


_APP = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
        "<Application>Microsoft Office Word</Application></Properties>")


def write_docx(path: Path, body: str, *, title: str, when: str) -> Path:
    """A .docx package holding `body` (the children of <w:body>), written deterministically."""
    document = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                f'<w:document xmlns:w="{W_NS}" '
                'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
                f"<w:body>{body}</w:body></w:document>")
    parts = [("[Content_Types].xml", _CONTENT_TYPES), ("_rels/.rels", _ROOT_RELS),
             ("word/document.xml", document), ("word/_rels/document.xml.rels", _DOC_RELS),
             ("word/styles.xml", _STYLES), ("word/settings.xml", _SETTINGS),
             ("docProps/core.xml", _core(title, when)), ("docProps/app.xml", _APP)]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as z:
        for name, text in parts:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, unicodedata.normalize("NFC", text).encode("utf-8"))
    return path


# --------------------------------------------------------------------------- shared layout of a plan


def header_table(issuer_lines: tuple[str, str], number: str, place_date: str) -> str:
    """The two columns on top of page 1 (Nghị định 30): issuer and number | Quốc hiệu, Tiêu ngữ, place and date."""
    left, right = 3742, PORTRAIT_TEXT - 3742
    return table([left, right], [
        [Cell([para(Run(issuer_lines[0], bold=True, size=13), Run(issuer_lines[1], bold=True, size=13, breaks_before=1),
                    align="center", after=0)]),
         Cell([para(Run("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, size=13),
                    Run("Độc lập - Tự do - Hạnh phúc", bold=True, size=14, breaks_before=1), align="center",
                    after=0)])],
        [Cell([para(Run(f"Số: {number}", size=13), align="center", after=0)]),
         Cell([para(Run(place_date, italic=True, size=14), align="center", after=0)])],
    ], ruled=False)


def signature_table(recipients: list[str], authority_lines: list[str], name: str) -> str:
    """Nơi nhận (left, size 12 bold italic, then the list in 11) | the signer (right, bold), side by side."""
    left, right = 4536, PORTRAIT_TEXT - 4536
    signer = [para(*[Run(line, bold=True, breaks_before=1 if i else 0) for i, line in enumerate(authority_lines)],
                   align="center", after=0)]
    signer += [para(after=0)] * 3 + [para(Run(name, bold=True), align="center", after=0)]
    return table([left, right], [[
        Cell([para(Run("Nơi nhận:", bold=True, italic=True, size=12), after=0)]
             + [para(Run(line, size=11), after=0) for line in recipients]),
        Cell(signer),
    ]], ruled=False)


def title_block(kind: str, title: str) -> str:
    return para(kind, bold=True, align="center", after=0, keep_next=True) + para(title, bold=True, align="center")


# --------------------------------------------------------------------------- Kế hoạch 1627/KH-UBND


@dataclass
class Source:
    """The official text of Kế hoạch 1627, cut into the parts the document is laid out from."""

    title: str
    body: list[str]  # paragraphs from the opening paragraph to the one before "Nơi nhận:"
    recipients: list[str]
    signer: list[str]  # authority and title lines
    signer_name: str
    appendix_heading: str
    appendix_title: str
    appendix_attached: str
    pages: list[list[list[str]]] = field(default_factory=list)  # appendix rows per printed page, header first


def read_source(path: Path = SOURCE) -> Source:
    lines = path.read_text(encoding="utf-8").split("\n")
    paragraphs = [line for line in lines if line.strip()]
    at = {text: i for i, text in reversed(list(enumerate(paragraphs)))}
    assert paragraphs[0] == "KẾ HOẠCH", paragraphs[0]
    received, heading = at["Nơi nhận:"], at["PHỤ LỤC"]
    tail = paragraphs[received + 1:heading]
    recipients = [p for p in tail if p.startswith("- ")]
    signer_lines = [p for p in tail if not p.startswith("- ")]
    authority = [x.strip("*") for x in signer_lines[:-1]]  # "**TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH**"
    pages: list[list[list[str]]] = []
    first_table_line = next(i for i, line in enumerate(lines) if line.split("\t") == list(HEADER))
    for line in lines[first_table_line:]:
        if not line.strip():
            continue
        cells = line.split("\t")
        assert len(cells) == len(HEADER), line
        if cells == list(HEADER):
            pages.append([])
        pages[-1].append(cells)
    return Source(
        title=paragraphs[1], body=paragraphs[2:received], recipients=recipients, signer=authority,
        signer_name=signer_lines[-1], appendix_heading=paragraphs[heading], appendix_title=paragraphs[heading + 1],
        appendix_attached=paragraphs[heading + 2], pages=pages)


APPENDIX_WIDTHS = [680, 5200, 2500, 2900, 2000, 1573]  # TT, Nhiệm vụ, chủ trì, phối hợp, sản phẩm, thời gian
assert sum(APPENDIX_WIDTHS) == LANDSCAPE_TEXT


def _header_row(columns: tuple[str, ...]) -> list[Cell]:
    return [Cell([para(Run(c, bold=True, size=12), align="center", after=0)]) for c in columns]


def _cell_paragraphs(text: str, align: str | None = None) -> list[str]:
    return [para(Run(text, size=12), align=align, after=0)]


def _stray_p(text: str, as_breaks: bool) -> list[str]:
    """A cell of the source written "<p>...</p>": what Word has there, a line break (II.19) or an empty paragraph
    (III.1) on each side of the text."""
    inner = text.removeprefix("<p>").removesuffix("</p>")
    if as_breaks:
        return [para(Run(inner, size=12, breaks_before=1, breaks_after=1), after=0)]
    return [para(after=0), para(Run(inner, size=12), after=0), para(after=0)]


def appendix_row(cells: list[str], width: int, group: str | None) -> list[Cell]:
    """One row of the PHỤ LỤC: a group row (a numeral, then its title spanning the width) or a task row."""
    number = cells[0]
    if ROMAN.match(number):
        assert not any(c.strip() for c in cells[2:]), cells
        return [Cell([para(Run(number, bold=True, size=12), align="center", after=0)]),
                Cell([para(Run(cells[1], bold=True, size=12), align="both", after=0)], span=width - 1)]
    row = [Cell(_cell_paragraphs(number, "center"))]
    for ci, text in enumerate(cells[1:], start=1):
        if text.startswith("<p>"):
            row.append(Cell(_stray_p(text, as_breaks=group == "II")))
        elif not text:
            row.append(Cell([para(after=0)]))  # an empty cell (II.2's "Sản phẩm hoàn thành")
        else:
            row.append(Cell(_cell_paragraphs(text, "center" if ci == 5 else None)))
    return row


def appendix_tables(pages: list[list[list[str]]]) -> str:
    """The PHỤ LỤC table as Word left it: one table per printed page, each starting with the repeated header row,
    a page break between them. Only some repeated headers are marked as such (tblHeader): the first table's and
    every other continuation's; the rest are plain rows a reader must recognise by their text."""
    out: list[str] = []
    group = None
    for pi, page in enumerate(pages):
        header, *rows = page
        table_rows = [_header_row(tuple(header))]
        for cells in rows:
            if ROMAN.match(cells[0]):
                group = cells[0]
            table_rows.append(appendix_row(cells, len(HEADER), group))
        if pi:
            out.append(page_break())
        out.append(table(APPENDIX_WIDTHS, table_rows, header_rows=1 if pi % 2 == 0 else 0))
    return "".join(out)


def _body_paragraph(text: str) -> str:
    """A paragraph of the body: section headings ("I. ...", "1. ...", "1.1. ...") bold, as the original."""
    runs = inline_markup(text)
    if re.match(r"^(I|II|III|IV|V)\. ", text) or re.match(r"^\d+\.(\d+\.?)? [A-ZĐÂƯỦ]", text):
        return para(*[Run(r.text, bold=True, italic=r.italic) for r in runs], align="both", indent=True,
                    keep_next=True)
    return para(*runs, align="both", indent=True)


def kh1627_docx(path: Path) -> Path:
    """Kế hoạch 1627/KH-UBND as a Word document laid out as the original (see the module's docstring)."""
    src = read_source()
    body = [
        header_table(("ỦY BAN NHÂN DÂN", "TỈNH KHÁNH HÒA"), "1627/KH-UBND", "Khánh Hòa, ngày 24 tháng 02 năm 2023"),
        para(after=6),
        title_block("KẾ HOẠCH", src.title),
        *[_body_paragraph(p) for p in src.body],
        signature_table(src.recipients, src.signer, src.signer_name),
        section(landscape=False, last=False),  # the PHỤ LỤC starts a new page, landscape
        para(src.appendix_heading, bold=True, align="center", after=0),
        para(src.appendix_title, bold=True, align="center", after=0),
        para(src.appendix_attached, italic=True, align="center", after=12),
        appendix_tables(src.pages),
        para(after=0),  # Word always ends a document with a paragraph, never with a table
        section(landscape=True, last=True),
    ]
    return write_docx(path, "".join(body), title="Kế hoạch 1627/KH-UBND", when="2023-02-24T08:00:00Z")


def kh1627_rows() -> list[list[str]]:
    """The appendix rows of the official text (groups and tasks, the repeated headers left out), as the text has
    them: what the fixture was built from, for the fixture's own tests."""
    return [row for page in read_source().pages for row in page[1:]]


def kh1627_pdf(docx: Path, path: Path) -> Path:
    """`docx` exported to PDF by LibreOffice (`soffice --headless --convert-to pdf`, a private profile)."""
    from lo import to_pdf

    with tempfile.TemporaryDirectory() as tmp:
        pdf = to_pdf(Path(docx), Path(tmp))
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(pdf, path)
    return path


# --------------------------------------------------------------------------- a second province: Lâm Đồng 245/KH-UBND

LD_NUMBER = "245/KH-UBND"
LD_TITLE = ("Triển khai thực hiện Nghị quyết số 05-NQ/TU ngày 15/12/2023 của Ban Chấp hành Đảng bộ tỉnh Lâm Đồng về "
            "chuyển đổi số tỉnh Lâm Đồng giai đoạn 2024-2025")
LD_COLUMNS = ("TT", "Nội dung nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Sản phẩm", "Thời gian hoàn thành",
              "Ghi chú")
LD_WIDTHS = [620, 4300, 2150, 2650, 1900, 1633, 1600]
assert sum(LD_WIDTHS) == LANDSCAPE_TEXT
MERGED = None  # in the lead column: the cell above continues over this row (w:vMerge)
SUB_UNIT = "Sở Nội vụ (Ban Thi đua - Khen thưởng)"
UNKNOWN_AGENCIES = ("Tỉnh Đoàn", "Cục Thống kê tỉnh", "Ban Quản lý các khu công nghiệp tỉnh")

# (group title, [(number as printed, task, lead, partners, deliverable, timeframe, note)])
LD_GROUPS: list[tuple[str, list[tuple[str, str, str | None, str, str, str, str]]]] = [
    ("Chuyển đổi nhận thức, hoàn thiện cơ chế, chính sách về chuyển đổi số", [
        ("1.", "Tuyên truyền, phổ biến nâng cao nhận thức về chuyển đổi số cho cán bộ, công chức, viên chức và Nhân "
               "dân trên các phương tiện thông tin đại chúng",
         "Sở Thông tin và Truyền thông", "Báo Lâm Đồng, Đài Phát thanh - Truyền hình Lâm Đồng; UBND các huyện, thành phố",
         "Tin, bài, phóng sự chuyên đề", "Thường xuyên", ""),
        ("2.", "Rà soát, đề xuất sửa đổi, bổ sung các văn bản quy phạm pháp luật của tỉnh tạo hành lang pháp lý cho "
               "chuyển đổi số",
         "Sở Tư pháp", "Các sở, ban, ngành; UBND các huyện, thành phố", "Báo cáo rà soát; dự thảo văn bản",
         "Quý IV/2024", ""),
        ("3.", "Ban hành kế hoạch chuyển đổi số hằng năm của cơ quan, đơn vị, địa phương",
         "Các sở, ban, ngành; UBND các huyện, thành phố", "Sở Thông tin và Truyền thông", "Kế hoạch", "Hằng năm", ""),
        ("4.", "Xây dựng tiêu chí và tổ chức khen thưởng tập thể, cá nhân có thành tích xuất sắc trong chuyển đổi số",
         SUB_UNIT, "Sở Thông tin và Truyền thông; Tỉnh Đoàn", "Quyết định khen thưởng", "Quý I năm 2025",
         "Gắn với tổng kết năm 2024"),
    ]),
    ("Phát triển hạ tầng số, nền tảng số và dữ liệu số", [
        ("1", "Phát triển hạ tầng mạng di động 4G, 5G, phủ sóng các thôn, bon vùng sâu, vùng xa chưa có sóng di động",
         "Sở Thông tin và Truyền thông", "Các doanh nghiệp viễn thông trên địa bàn tỉnh; UBND các huyện, thành phố",
         "Báo cáo kết quả phủ sóng", "Giai đoạn 2024-2025", "Ưu tiên vùng đồng bào dân tộc thiểu số"),
        ("2", "Xây dựng Kho dữ liệu dùng chung của tỉnh; kết nối, chia sẻ dữ liệu với các cơ sở dữ liệu quốc gia",
         "Sở Thông tin và Truyền thông", "Công an tỉnh; Các sở, ban, ngành", "Kho dữ liệu dùng chung được vận hành",
         "Trước ngày 30/6/2025", ""),
        ("3", "Xây dựng cơ sở dữ liệu đất đai và kết nối với Cơ sở dữ liệu quốc gia về dân cư",
         "Sở Tài nguyên và Môi trường", "Công an tỉnh; UBND các huyện, thành phố", "Cơ sở dữ liệu đất đai", "2025", ""),
        ("4", "Triển khai các ứng dụng của Đề án 06 về phát triển ứng dụng dữ liệu dân cư, định danh và xác thực điện "
              "tử phục vụ chuyển đổi số",
         "Công an tỉnh", "Sở Thông tin và Truyền thông; Các sở, ban, ngành; UBND các huyện, thành phố", "Báo cáo",
         "Hằng năm", ""),
        ("5", "Cập nhật, chuẩn hóa số liệu thống kê kinh tế - xã hội của tỉnh trên nền tảng số",
         "Sở Kế hoạch và Đầu tư", "Cục Thống kê tỉnh", "Bộ số liệu thống kê", "Hằng năm", ""),
    ]),
    ("Phát triển chính quyền số", [
        ("1", "Nâng cấp Hệ thống thông tin giải quyết thủ tục hành chính của tỉnh, bảo đảm kết nối với Cổng Dịch vụ "
              "công quốc gia",
         "Văn phòng UBND tỉnh", "Sở Thông tin và Truyền thông", "Hệ thống được nâng cấp", "Tháng 6/2024", ""),
        ("2", "Số hóa hồ sơ, kết quả giải quyết thủ tục hành chính tại Trung tâm Phục vụ hành chính công tỉnh",
         MERGED, "Các sở, ban, ngành", "Hồ sơ được số hóa", "Thường xuyên", ""),
        ("3", "Triển khai hệ thống họp trực tuyến và văn phòng điện tử từ tỉnh đến cấp xã",
         MERGED, "Sở Thông tin và Truyền thông; UBND các huyện, thành phố", "Hệ thống họp trực tuyến", "Năm 2024", ""),
        ("4", "Đào tạo, bồi dưỡng kỹ năng số cho cán bộ, công chức, viên chức",
         "Sở Nội vụ", "Sở Thông tin và Truyền thông", "Các lớp bồi dưỡng", "Hằng năm", ""),
    ]),
    ("Phát triển kinh tế số và xã hội số", [
        ("1", "Hỗ trợ doanh nghiệp, hợp tác xã, hộ sản xuất đưa nông sản, sản phẩm OCOP lên sàn thương mại điện tử",
         "Sở Công Thương", "Sở Nông nghiệp và Phát triển nông thôn; UBND các huyện, thành phố",
         "Sản phẩm được đưa lên sàn", "Hằng năm", ""),
        ("2", "Ứng dụng công nghệ số trong quản lý các khu công nghiệp và xúc tiến đầu tư",
         "Ban Quản lý các khu công nghiệp tỉnh", "Sở Kế hoạch và Đầu tư", "Báo cáo", "Giai đoạn 2024-2025", ""),
        ("3", "Triển khai bệnh án điện tử tại các bệnh viện tuyến tỉnh",
         "Sở Y tế", "Bảo hiểm xã hội tỉnh", "Bệnh án điện tử được triển khai", "Năm 2025", ""),
        ("4", "Triển khai học bạ số, sổ điểm điện tử tại các cơ sở giáo dục phổ thông",
         "Sở Giáo dục và Đào tạo", "Sở Thông tin và Truyền thông; UBND các huyện, thành phố", "Học bạ số",
         "Giai đoạn 2024-2025", ""),
    ]),
]


def ld_tasks() -> list[tuple[str, str, str, str, str, str, str]]:
    """(code, task, lead, partners, deliverable, timeframe, note) of the 17 tasks as a reader should take them: the
    merged lead cell's text on every row it spans."""
    out = []
    for gi, (_, tasks) in enumerate(LD_GROUPS):
        lead = ""
        for ti, (_, task, lead_cell, partners, deliverable, timeframe, note) in enumerate(tasks):
            lead = lead if lead_cell is MERGED else lead_cell
            out.append((f"{_roman(gi + 1)}.{ti + 1}", task, lead, partners, deliverable, timeframe, note))
    return out


def _roman(n: int) -> str:
    return ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")[n - 1]


LD_BODY = [
    "Căn cứ Quyết định số 749/QĐ-TTg ngày 03/6/2020 của Thủ tướng Chính phủ phê duyệt Chương trình Chuyển đổi số quốc "
    "gia đến năm 2025, định hướng đến năm 2030;",
    "Thực hiện Nghị quyết số 05-NQ/TU ngày 15/12/2023 của Ban Chấp hành Đảng bộ tỉnh Lâm Đồng về chuyển đổi số tỉnh "
    "Lâm Đồng giai đoạn 2024-2025 (sau đây gọi tắt là Nghị quyết số 05-NQ/TU), Ủy ban nhân dân tỉnh Lâm Đồng ban hành "
    "Kế hoạch triển khai thực hiện như sau:",
    "I. MỤC ĐÍCH, YÊU CẦU",
    "1. Mục đích",
    "Cụ thể hóa các mục tiêu, nhiệm vụ của Nghị quyết số 05-NQ/TU; xác định rõ nhiệm vụ, trách nhiệm của các sở, ban, "
    "ngành, Ủy ban nhân dân các huyện, thành phố trong triển khai chuyển đổi số trên địa bàn tỉnh.",
    "2. Yêu cầu",
    "Các nhiệm vụ phải bám sát chủ trương của Trung ương và của tỉnh, có sản phẩm cụ thể, thời gian hoàn thành rõ ràng; "
    "gắn trách nhiệm người đứng đầu với kết quả chuyển đổi số của cơ quan, đơn vị, địa phương.",
    "II. NHIỆM VỤ, GIẢI PHÁP",
    "Các nhiệm vụ, giải pháp cụ thể, cơ quan chủ trì, cơ quan phối hợp, sản phẩm và thời gian hoàn thành tại Phụ lục "
    "kèm theo Kế hoạch này.",
    "III. TỔ CHỨC THỰC HIỆN",
    "1. Sở Thông tin và Truyền thông là cơ quan thường trực, chủ trì theo dõi, đôn đốc, hướng dẫn các cơ quan, đơn vị, "
    "địa phương triển khai Kế hoạch.",
    "2. Các sở, ban, ngành, Ủy ban nhân dân các huyện, thành phố căn cứ chức năng, nhiệm vụ tổ chức triển khai các nhiệm "
    "vụ được giao; định kỳ báo cáo kết quả thực hiện gửi Sở Thông tin và Truyền thông trước ngày 30 tháng 11 hằng năm "
    "để tổng hợp, báo cáo Ủy ban nhân dân tỉnh.",
    "3. Sở Tài chính tham mưu bố trí kinh phí thực hiện Kế hoạch theo phân cấp ngân sách hiện hành.",
    "Trong quá trình triển khai, nếu có khó khăn, vướng mắc, các cơ quan, đơn vị, địa phương phản ánh về Sở Thông tin "
    "và Truyền thông để tổng hợp, báo cáo Ủy ban nhân dân tỉnh xem xét, quyết định./.",
]
LD_RECIPIENTS = ["- Bộ Thông tin và Truyền thông (b/c);", "- TT Tỉnh ủy, TT HĐND tỉnh (b/c);",
                 "- CT, các PCT UBND tỉnh;", "- Các sở, ban, ngành;", "- UBND các huyện, thành phố;",
                 "- Báo Lâm Đồng, Đài PT-TH Lâm Đồng;", "- Lưu: VT, TKCT."]


def _ld_row(number: str, task: str, lead: str | None, partners: str, deliverable: str, timeframe: str,
            note: str, first_of_merge: bool) -> list[Cell]:
    if lead is MERGED:
        lead_cell = Cell([para(after=0)], vmerge="continue")
    else:
        lead_cell = Cell(_cell_paragraphs(lead), vmerge="restart" if first_of_merge else None)
    return [Cell(_cell_paragraphs(number, "center")), Cell(_cell_paragraphs(task, "both")), lead_cell,
            Cell(_cell_paragraphs(partners)), Cell(_cell_paragraphs(deliverable)),
            Cell(_cell_paragraphs(timeframe, "center")), Cell(_cell_paragraphs(note) if note else [para(after=0)])]


def second_plan_docx(path: Path) -> Path:
    """Kế hoạch 245/KH-UBND ngày 10/3/2024 of UBND tỉnh Lâm Đồng, with its PHỤ LỤC (see the module's docstring)."""
    rows = [_header_row(LD_COLUMNS)]
    for gi, (title, tasks) in enumerate(LD_GROUPS):
        rows.append([Cell([para(Run(_roman(gi + 1), bold=True, size=12), align="center", after=0)]),
                     Cell([para(Run(title, bold=True, size=12), after=0)], span=len(LD_COLUMNS) - 1)])
        for ti, (number, task, lead, partners, deliverable, timeframe, note) in enumerate(tasks):
            nxt = tasks[ti + 1][2] if ti + 1 < len(tasks) else ""
            rows.append(_ld_row(number, task, lead, partners, deliverable, timeframe, note, nxt is MERGED))
    body = [
        header_table(("ỦY BAN NHÂN DÂN", "TỈNH LÂM ĐỒNG"), LD_NUMBER, "Lâm Đồng, ngày 10 tháng 3 năm 2024"),
        para(after=6),
        title_block("KẾ HOẠCH", LD_TITLE),
        *[_body_paragraph(p) for p in LD_BODY],
        signature_table(LD_RECIPIENTS, ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"], "Nguyễn Văn Hòa"),
        section(landscape=False, last=False),
        para("PHỤ LỤC", bold=True, align="center", after=0),
        para("Nhiệm vụ triển khai thực hiện chuyển đổi số tỉnh Lâm Đồng giai đoạn 2024-2025", bold=True,
             align="center", after=0),
        para("(Kèm theo Kế hoạch số 245/KH-UBND ngày 10 tháng 3 năm 2024 của Ủy ban nhân dân tỉnh Lâm Đồng)",
             italic=True, align="center", after=12),
        table(LD_WIDTHS, rows, header_rows=1),
        para(after=0),
        section(landscape=True, last=True),
    ]
    return write_docx(path, "".join(body), title="Kế hoạch 245/KH-UBND", when="2024-03-10T08:00:00Z")


def _agency(id_: str, name: str, code: str, kind: str, reports: bool = True, **extra) -> str:
    lines = [f"  - id: {id_}", f'    name: "{name}"']
    for key in ("header", "parent_header", "place"):
        if key in extra:
            value = extra[key]
            lines.append(f"    {key}: " + (repr(value).replace("'", '"') if isinstance(value, list) else f'"{value}"'))
    lines += [f"    code: {code}", f"    kind: {kind}", f"    reports: {'true' if reports else 'false'}"]
    if "aliases" in extra:
        lines.append("    aliases: [" + ", ".join(f'"{a}"' for a in extra["aliases"]) + "]")
    lines.append('    source: "Kế hoạch 245/KH-UBND của UBND tỉnh Lâm Đồng (tài liệu kiểm thử)"')
    return "\n".join(lines)


LD_DEPARTMENTS = [  # (id, name, code, aliases)
    ("so-thong-tin-va-truyen-thong", "Sở Thông tin và Truyền thông", "STTTT", ["Sở Thông tin Truyền thông"]),
    ("van-phong-ubnd-tinh", "Văn phòng UBND tỉnh", "VPUBND", ["Văn phòng Ủy ban nhân dân tỉnh"]),
    ("so-noi-vu", "Sở Nội vụ", "SNV", []),
    ("so-ke-hoach-va-dau-tu", "Sở Kế hoạch và Đầu tư", "SKHĐT", []),
    ("so-tai-chinh", "Sở Tài chính", "STC", []),
    ("so-tu-phap", "Sở Tư pháp", "STP", []),
    ("so-khoa-hoc-va-cong-nghe", "Sở Khoa học và Công nghệ", "SKHCN", []),
    ("so-giao-duc-va-dao-tao", "Sở Giáo dục và Đào tạo", "SGDĐT", []),
    ("so-y-te", "Sở Y tế", "SYT", []),
    ("so-cong-thuong", "Sở Công Thương", "SCT", ["Sở Công thương"]),
    ("so-nong-nghiep-va-phat-trien-nong-thon", "Sở Nông nghiệp và Phát triển nông thôn", "SNN",
     ["Sở Nông nghiệp và Phát triển Nông thôn"]),
    ("so-tai-nguyen-va-moi-truong", "Sở Tài nguyên và Môi trường", "STNMT", []),
    ("so-lao-dong-thuong-binh-va-xa-hoi", "Sở Lao động – Thương binh và Xã hội", "SLĐTBXH",
     ["Sở Lao động - Thương binh và Xã hội"]),
    ("so-van-hoa-the-thao-va-du-lich", "Sở Văn hóa, Thể thao và Du lịch", "SVHTTDL", []),
    ("so-giao-thong-van-tai", "Sở Giao thông vận tải", "SGTVT", []),
    ("so-xay-dung", "Sở Xây dựng", "SXD", []),
]
LD_HEADERS = {  # names too long for one line of the header column, broken where no proper name is cut
    "so-thong-tin-va-truyen-thong": ["SỞ THÔNG TIN", "VÀ TRUYỀN THÔNG"],
    "so-nong-nghiep-va-phat-trien-nong-thon": ["SỞ NÔNG NGHIỆP VÀ", "PHÁT TRIỂN NÔNG THÔN"],
    "so-lao-dong-thuong-binh-va-xa-hoi": ["SỞ LAO ĐỘNG –", "THƯƠNG BINH VÀ XÃ HỘI"],
    "so-van-hoa-the-thao-va-du-lich": ["SỞ VĂN HÓA, THỂ THAO", "VÀ DU LỊCH"],
}
LD_DISTRICTS = [  # (id, name, place): the 12 district-level units of Lâm Đồng in 2024
    ("ubnd-thanh-pho-da-lat", "Ủy ban nhân dân thành phố Đà Lạt", "Đà Lạt"),
    ("ubnd-thanh-pho-bao-loc", "Ủy ban nhân dân thành phố Bảo Lộc", "Bảo Lộc"),
    ("ubnd-huyen-lac-duong", "Ủy ban nhân dân huyện Lạc Dương", "Lạc Dương"),
    ("ubnd-huyen-don-duong", "Ủy ban nhân dân huyện Đơn Dương", "Đơn Dương"),
    ("ubnd-huyen-duc-trong", "Ủy ban nhân dân huyện Đức Trọng", "Đức Trọng"),
    ("ubnd-huyen-lam-ha", "Ủy ban nhân dân huyện Lâm Hà", "Lâm Hà"),
    ("ubnd-huyen-dam-rong", "Ủy ban nhân dân huyện Đam Rông", "Đam Rông"),
    ("ubnd-huyen-di-linh", "Ủy ban nhân dân huyện Di Linh", "Di Linh"),
    ("ubnd-huyen-bao-lam", "Ủy ban nhân dân huyện Bảo Lâm", "Bảo Lâm"),
    ("ubnd-huyen-da-huoai", "Ủy ban nhân dân huyện Đạ Huoai", "Đạ Huoai"),
    ("ubnd-huyen-da-teh", "Ủy ban nhân dân huyện Đạ Tẻh", "Đạ Tẻh"),
    ("ubnd-huyen-cat-tien", "Ủy ban nhân dân huyện Cát Tiên", "Cát Tiên"),
]

LD_REGISTRY_HEAD = """\
# Danh mục đơn vị của tỉnh Lâm Đồng (tài liệu kiểm thử của kehoach: tests/plandocs.py). Không ghi sự kiện riêng
# của tỉnh: các thay đổi năm 2025 lấy từ lớp chung national-2025.yaml (kèm cảnh báo).
province: Lâm Đồng

headers:
  - {kind: so, parent: tinh, place: tinh, source: "Nghị định 30/2020/NĐ-CP, Phụ lục I"}
  - {kind: huyen, parent: khong, place: rieng, source: "nd30-format.md"}
  - {kind: xa, parent: khong, place: rieng, source: "nd30-format.md: như UBND cấp huyện"}
  - {kind: trung-uong, parent: rieng, place: tinh, source: "nd30-format.md"}
  - {kind: to-chuc, parent: khong, place: tinh, source: "nd30-format.md"}

agencies:
"""


def lam_dong_registry(root: Path) -> Path:
    """`root`/registries/ as plan_data/registries/ is laid out: a copy of the national layer and lam-dong.yaml, which
    names every agency of Kế hoạch 245 but the three `UNKNOWN_AGENCIES`. Returns the lam-dong.yaml path."""
    from generator.paths import plan_data_dir

    folder = Path(root) / "registries"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(plan_data_dir() / "registries" / "national-2025.yaml", folder / "national-2025.yaml")
    entries = []
    for id_, name, code, aliases in LD_DEPARTMENTS:
        extra = {"aliases": aliases} if aliases else {}
        if id_ in LD_HEADERS:
            extra["header"] = LD_HEADERS[id_]
        entries.append(_agency(id_, name, code, "so", **extra))
    entries.append(_agency("so-nong-nghiep-va-moi-truong", "Sở Nông nghiệp và Môi trường", "SNNMT", "so",
                           header=["SỞ NÔNG NGHIỆP", "VÀ MÔI TRƯỜNG"]).replace(
        "    source:", "    established: 2025-03-01\n    source:"))
    entries += [
        _agency("cong-an-tinh", "Công an tỉnh", "CAT", "trung-uong", header="CÔNG AN TỈNH LÂM ĐỒNG",
                parent_header="BỘ CÔNG AN"),
        _agency("bao-hiem-xa-hoi-tinh", "Bảo hiểm xã hội tỉnh", "BHXH", "trung-uong",
                header=["BẢO HIỂM XÃ HỘI", "TỈNH LÂM ĐỒNG"], parent_header="BẢO HIỂM XÃ HỘI VIỆT NAM"),
        _agency("bao-lam-dong", "Báo Lâm Đồng", "BLĐ", "bao-chi", reports=False),
        _agency("dai-phat-thanh-truyen-hinh-lam-dong", "Đài Phát thanh - Truyền hình Lâm Đồng", "LTV", "bao-chi",
                reports=False, aliases=["Đài Phát thanh và Truyền hình Lâm Đồng"]),
    ]
    entries += [_agency(i, n, "UBND", "huyen", header=["ỦY BAN NHÂN DÂN", n.removeprefix("Ủy ban nhân dân ").upper()],
                        place=p) for i, n, p in LD_DISTRICTS]
    departments = ", ".join([*(i for i, *_ in LD_DEPARTMENTS), "so-nong-nghiep-va-moi-truong"])
    districts = ", ".join(i for i, *_ in LD_DISTRICTS)
    groups = f"""
groups:
  - id: cac-so-ban-nganh
    name: Các sở, ban, ngành
    aliases: ["Các sở, ban, ngành của tỉnh", "các sở, ban, ngành tỉnh"]
    members: [{departments}]
    source: "tài liệu kiểm thử"
  - id: ubnd-cap-huyen
    name: UBND các huyện, thành phố
    aliases: ["Ủy ban nhân dân các huyện, thành phố"]
    members: [{districts}]
    source: "tài liệu kiểm thử: 12 đơn vị cấp huyện năm 2024"
  - id: doanh-nghiep-vien-thong
    name: Các doanh nghiệp viễn thông trên địa bàn tỉnh
    unspecified: true
    source: "tài liệu kiểm thử: doanh nghiệp, không báo cáo"
"""
    path = folder / "lam-dong.yaml"
    path.write_text(LD_REGISTRY_HEAD + "\n".join(entries) + "\n" + groups, encoding="utf-8")
    return path


# What a clerk adds to lam-dong.yaml for the three unknown agencies, following the review list.
UNKNOWN_ENTRIES = {
    "Tỉnh Đoàn": _agency("tinh-doan", "Tỉnh Đoàn", "TĐ", "to-chuc", header=["TỈNH ĐOÀN LÂM ĐỒNG"]),
    "Cục Thống kê tỉnh": _agency("cuc-thong-ke-tinh", "Cục Thống kê tỉnh", "CTK", "trung-uong",
                                 header="CỤC THỐNG KÊ TỈNH LÂM ĐỒNG", parent_header="TỔNG CỤC THỐNG KÊ"),
    "Ban Quản lý các khu công nghiệp tỉnh": _agency(
        "ban-quan-ly-cac-khu-cong-nghiep", "Ban Quản lý các khu công nghiệp tỉnh", "BQLKCN", "so",
        header=["BAN QUẢN LÝ", "CÁC KHU CÔNG NGHIỆP"]),
}


def add_unknown_agencies(registry: Path, only: list[str] | None = None) -> None:
    """Add the unknown agencies (all three, or those named in `only`) to the province registry's agencies, as a
    clerk would."""
    text = registry.read_text(encoding="utf-8")
    head, groups = text.split("\ngroups:\n", 1)
    entries = [e for name, e in UNKNOWN_ENTRIES.items() if only is None or name in only]
    registry.write_text(head.rstrip("\n") + "\n" + "\n".join(entries) + "\n\ngroups:\n" + groups, encoding="utf-8")


def ld_reference_plan(folder: Path, registry: str = "lam-dong") -> Path:
    """A plan folder for Kế hoạch 245 written by hand from the fixture's own data (what the document says), beside
    the registries/ of `lam_dong_registry`: the fixture's check that its registry and expectations hold, without the
    importer."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "plan.yaml").write_text(f"""\
id: {folder.name}
registry: {registry}
number: {LD_NUMBER}
date: 2024-03-10
issuer: UBND tỉnh Lâm Đồng
issuer_full: Ủy ban nhân dân tỉnh Lâm Đồng
place: Lâm Đồng
parent_header: UBND TỈNH LÂM ĐỒNG
title: "{LD_TITLE}"
subject: chuyển đổi số
implements: []
signer: {{authority: TM. ỦY BAN NHÂN DÂN, title: KT. CHỦ TỊCH, name: Nguyễn Văn Hòa}}
reporting: {{receiver: so-thong-tin-va-truyen-thong, deadline: 30/11, source: "mục III.2"}}
appendix: {{heading: PHỤ LỤC, title: "Nhiệm vụ", attached: "(Kèm theo Kế hoạch số 245/KH-UBND)"}}
""", encoding="utf-8")
    lines, tasks, n = ["groups:"], iter(ld_tasks()), 0
    for gi, (title, group) in enumerate(LD_GROUPS):
        lines += [f"  - id: nhom-{gi + 1}", f'    title: "{title}"', "    tasks:"]
        for _ in group:
            _code, task, lead, partners, deliverable, timeframe, _note = next(tasks)
            n += 1
            lines += [f"      - id: nv{n:02d}", f'        task: "{task}"', f'        lead: "{lead}"',
                      f'        partners: "{partners}"', f'        deliverable: "{deliverable}"',
                      f'        timeframe: "{timeframe}"']
    (folder / "tasks.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


# --------------------------------------------------------------------------- reading the tables back (for the tests)


def body_tables(path: Path) -> list:
    """The <w:tbl> elements of the document body, in order (lxml)."""
    from lxml import etree

    with zipfile.ZipFile(path) as z:
        root = etree.fromstring(z.read("word/document.xml"))
    return root.findall(f"{{{W_NS}}}body/{{{W_NS}}}tbl")


def grid_rows(tbl) -> list[list[dict]]:
    """Each row's cells as written in the XML (never repeated for a span or a vertical merge): text (paragraphs
    joined by "\n", <w:br/> as "\n"), span, vmerge, and whether the row is marked as a repeated header."""
    w = f"{{{W_NS}}}"
    rows = []
    for tr in tbl.findall(w + "tr"):
        header = tr.find(f"{w}trPr/{w}tblHeader") is not None
        cells = []
        for tc in tr.findall(w + "tc"):
            span = tc.find(f"{w}tcPr/{w}gridSpan")
            vm = tc.find(f"{w}tcPr/{w}vMerge")
            paragraphs = []
            for p in tc.findall(w + "p"):
                paragraphs.append("".join("\n" if el.tag == w + "br" else (el.text or "")
                                          for el in p.iter(w + "t", w + "br")))
            cells.append({"text": "\n".join(paragraphs), "paragraphs": len(paragraphs),
                          "span": int(span.get(w + "val")) if span is not None else 1,
                          "vmerge": None if vm is None else (vm.get(w + "val") or "continue"), "header": header})
        rows.append(cells)
    return rows
