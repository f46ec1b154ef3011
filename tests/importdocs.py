"""Small Word documents for the importer's unit tests, written as raw WordprocessingML (so a test says exactly which
markup it reads: gridSpan, vMerge restart/continue, tblHeader, hMerge, several paragraphs and <w:br/> in a cell); Kế hoạch 1627
laid out as the original: tests/plandocs.py."""

from __future__ import annotations

import io
import zipfile
from xml.sax.saxutils import escape

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

_CT = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
       '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
       '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
       '<Default Extension="xml" ContentType="application/xml"/>'
       '<Override PartName="/word/document.xml" '
       'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
         '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
         '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
         'officeDocument" Target="word/document.xml"/></Relationships>')


def run(text: str) -> str:
    """Runs of `text`, "\\n" as <w:br/>."""
    parts = text.split("\n")
    inner = '<w:br/>'.join(f'<w:t xml:space="preserve">{escape(t)}</w:t>' for t in parts)
    return f"<w:r>{inner}</w:r>"


def p(text: str = "") -> str:
    return f"<w:p>{run(text)}</w:p>" if text else "<w:p/>"


def tc(*paras: str, span: int = 1, vmerge: str | None = None, hmerge: str | None = None) -> str:
    pr = ""
    if span > 1:
        pr += f'<w:gridSpan w:val="{span}"/>'
    if hmerge is not None:
        pr += f'<w:hMerge w:val="{hmerge}"/>' if hmerge else "<w:hMerge/>"
    if vmerge is not None:
        pr += f'<w:vMerge w:val="{vmerge}"/>' if vmerge else "<w:vMerge/>"
    body = "".join(p(t) for t in paras) or "<w:p/>"
    return f"<w:tc><w:tcPr>{pr}</w:tcPr>{body}</w:tc>"


def tr(*cells: str, header: bool = False) -> str:
    pr = "<w:trPr><w:tblHeader/></w:trPr>" if header else ""
    return f"<w:tr>{pr}{''.join(cells)}</w:tr>"


_BORDERS = "<w:tblBorders>" + "".join(f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
                                      for side in ("top", "left", "bottom", "right", "insideH", "insideV")) + "</w:tblBorders>"


def tbl(*rows: str, cols: int = 6, borders: bool = True, width: int = 9000) -> str:
    """A table of `cols` equal grid columns, `width` twips wide (ruled, as a plan's PHỤ LỤC is: the PDF reader finds
    tables by their lines)."""
    grid = "".join(f'<w:gridCol w:w="{width // cols}"/>' for _ in range(cols))
    pr = f'<w:tblPr><w:tblW w:w="{width}" w:type="dxa"/>{_BORDERS if borders else ""}</w:tblPr>'
    return f"<w:tbl>{pr}<w:tblGrid>{grid}</w:tblGrid>{''.join(rows)}</w:tbl>"


def docx(body: str) -> bytes:
    doc = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{W_NS}"><w:body>{body}'
           "<w:sectPr/></w:body></w:document>")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CT)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("word/document.xml", doc)
    return buf.getvalue()


HEADER_ROW = ("TT", "Nhiệm vụ", "Đơn vị chủ trì", "Đơn vị phối hợp", "Sản phẩm hoàn thành", "Thời gian hoàn thành")


def header_table(issuer: str, number: str, place_date: str) -> str:
    return tbl(tr(tc(*issuer.split("\n"), "-------", f"Số: {number}"),
                  tc("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "---------------",
                     place_date)), cols=2, borders=False, width=10000)
