"""The reader's paragraph text: a fast path (lxml's itertext over w:t) for plain paragraphs and plain table cells,
the exact element-by-element walk for anything special. Both must give what a person sees."""

from __future__ import annotations

import io
import zipfile

import pytest
from formfill import Fill, fill_form
from lxml import etree

from generator.office.ns import W
from generator.returns.package import _Budget, parse_xml
from generator.returns.text import _Doc, _cells
from generator.returns.rows import _rows
from generator.returns.read import read_form

W_NS = W[1:-1]
MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"


def document(data: bytes) -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return parse_xml(zf.read("word/document.xml"))


def test_fast_path_gives_the_walked_text_for_every_paragraph_of_real_forms(forms_2024):
    """Every paragraph of generated forms and of forms filled the way Word does (runs, breaks, bullet lists,
    placeholders left in place) reads the same by the fast path as by the exact walk."""
    fill = Fill(result=[[("Đã tổ chức ", ""), ("03 lớp", "b"), (" tập huấn", "i")], "Dòng 1\nDòng 2"],
                bullets=["Lớp 1", "Lớp 2"], status="Hoàn thành", note="Ghi chú")
    filled = fill_form(forms_2024["so-cong-thuong"], {"nv14": fill, "nv15": Fill(outside=True, result=["Ngoài ô"])},
                       {"kho-khan": ["Thiếu kinh phí.", "Thiếu nhân lực."]})
    checked = 0
    for data in (*forms_2024.values(), filled):
        doc = _Doc(document(data))
        walked = _Doc(doc.root)
        walked.special = set(doc.root.iter(W + "p"))  # every paragraph through the exact walk
        paragraphs = list(doc.root.iter(W + "p"))
        for p in paragraphs:
            assert doc.para_text(p) == walked.para_text(p)
        assert len(doc.special) < len(paragraphs) / 4  # the fast path is the common one (status lists are special)
        checked += len(paragraphs)
        rows = _rows(doc, _Budget(60))
        trs = [tr for tr in doc.root.iter(W + "tr") if _cells(tr)]
        assert len(rows) == len(trs)
        for row, tr in zip(rows, trs):
            for texts, tc in zip(row.cells, _cells(tr), strict=True):
                exact: list[str] = []
                walked.block_paragraphs(tc, exact)
                assert list(texts) == exact
        assert len(doc.exact_cells) < len(list(doc.root.iter(W + "tc"))) / 2
    assert checked > 1000


def paragraph(inner: str) -> str:
    return (f'<w:document xmlns:w="{W_NS}" xmlns:mc="{MC_NS}"><w:body><w:p>{inner}</w:p></w:body></w:document>')


def run(text: str) -> str:
    return f'<w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">{text}</w:t></w:r>'


@pytest.mark.parametrize("inner, expected", [
    (run("Báo cáo ") + run("quý I"), "Báo cáo quý I"),
    (run("a") + "<w:r><w:tab/></w:r>" + run("b"), "a\tb"),
    (run("dòng 1") + "<w:r><w:br/></w:r>" + run("dòng 2"), "dòng 1\ndòng 2"),
    (run("giữ") + '<w:del w:id="1" w:author="x"><w:r><w:delText>xóa</w:delText></w:r></w:del>', "giữ"),
    ('<w:moveFrom w:id="2" w:author="x">' + run("chuyển đi") + "</w:moveFrom>" + run("còn lại"), "còn lại"),
    (run("chữ") + "<mc:AlternateContent><mc:Choice Requires=\"wps\">" + run("khung") + "</mc:Choice>"
     "</mc:AlternateContent>", "chữ"),
    ('<w:sdt><w:sdtPr><w:showingPlcHdr/></w:sdtPr><w:sdtContent>' + run("Chọn") + "</w:sdtContent></w:sdt>"
     + run("gõ tay"), "gõ tay"),
    ('<w:sdt><w:sdtPr><w:tag w:val="nv1|status"/></w:sdtPr><w:sdtContent>' + run("Hoàn thành")
     + "</w:sdtContent></w:sdt>", "Hoàn thành"),
    ('<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> PAGE </w:instrText></w:r>'
     '<w:r><w:fldChar w:fldCharType="separate"/></w:r>' + run("3") + '<w:r><w:fldChar w:fldCharType="end"/></w:r>',
     "3"),
    (run("COVID") + "<w:r><w:noBreakHyphen/></w:r>" + run("19"), "COVID-19"),
    ('<w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr>' + run("tab stop only"), "tab stop only"),
    ('<w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="3"/></w:numPr></w:pPr>' + run("ý một"), "- ý một"),
    ('<w:pPr><w:numPr><w:numId w:val="0"/></w:numPr></w:pPr>' + run("không đánh dấu"), "không đánh dấu"),
    # LibreOffice writes Enter typed in a control it shows as an input field by starting a new w:t in the run
    ("<w:r><w:t>nguồn gốc.</w:t><w:t>Đội ngũ</w:t><w:t>giảng viên</w:t></w:r>", "nguồn gốc.\nĐội ngũ\ngiảng viên"),
    ("<w:r><w:t>a</w:t></w:r><w:r><w:t>b</w:t></w:r>", "ab"),  # two runs: one line
    ("<w:r><w:t>a</w:t><w:rPr/><w:t>b</w:t></w:r>", "ab"),
    # LibreOffice 7.4 keeps w:showingPlcHdr on what was typed over the hint: only a hint is a placeholder
    ('<w:sdt><w:sdtPr><w:showingPlcHdr/></w:sdtPr><w:sdtContent>' + run("\u200b") + run("Chọn") + "</w:sdtContent>"
     "</w:sdt>", ""),
    ('<w:sdt><w:sdtPr><w:showingPlcHdr/></w:sdtPr><w:sdtContent>' + run("\u200b") + run("Nhập kết quả thực hiện")
     + "</w:sdtContent></w:sdt>", ""),
    ('<w:sdt><w:sdtPr><w:showingPlcHdr/></w:sdtPr><w:sdtContent>' + run("Hoàn thành") + "</w:sdtContent></w:sdt>",
     "Hoàn thành"),
])
def test_paragraph_text(inner, expected):
    root = etree.fromstring(paragraph(inner).encode())
    doc = _Doc(root)
    p = root.find(f"{W}body/{W}p")
    assert doc.para_text(p) == expected


def test_filled_form_reads_back_through_the_fast_path(forms_2024, plan_2024):
    fill = Fill(result=["Đã tổ chức 03 lớp tập huấn.", "Dòng 1\nDòng 2"], bullets=["Lớp 1"], status="Hoàn thành",
                note="Ghi chú")
    reading = read_form(fill_form(forms_2024["so-cong-thuong"], {"nv14": fill}), plan_2024)
    entry = next(e for e in reading.entries if e.task_id == "nv14")
    assert entry.result == "Đã tổ chức 03 lớp tập huấn.\nDòng 1\nDòng 2\n- Lớp 1"
    assert (entry.status, entry.note) == ("Hoàn thành", "Ghi chú")
    assert not any("điền sẵn" in w for w in reading.warnings)


def cell(inner: str) -> str:
    return (f'<w:document xmlns:w="{W_NS}" xmlns:mc="{MC_NS}"><w:body><w:tbl><w:tr><w:tc>{inner}</w:tc></w:tr></w:tbl>'
            "</w:body></w:document>")


def para(text: str) -> str:
    return f"<w:p>{run(text)}</w:p>"


@pytest.mark.parametrize("inner, expected", [
    (para("một") + para("hai"), ["một", "hai"]),
    ('<w:sdt><w:sdtPr><w:tag w:val="nv1|task"/></w:sdtPr><w:sdtContent>' + para("trong ô") + "</w:sdtContent></w:sdt>",
     ["trong ô"]),
    (para("ngoài") + "<w:tbl><w:tr><w:tc>" + para("bảng lồng") + "</w:tc></w:tr></w:tbl>", ["ngoài", "bảng lồng"]),
    (para("Kết quả:") + "<w:tbl><w:tr><w:tc>" + para("Chỉ tiêu") + "</w:tc><w:tc>" + para("Năm 2024") +
     "</w:tc></w:tr><w:tr><w:tc>" + para("Số lớp") + "</w:tc><w:tc><w:p><w:r><w:t>3</w:t><w:t>(đạt)</w:t></w:r></w:p>"
     "</w:tc></w:tr><w:tr><w:tc><w:p/></w:tc><w:tc><w:p/></w:tc></w:tr></w:tbl><w:p/>",
     ["Kết quả:", "Chỉ tiêu | Năm 2024", "Số lớp | 3 (đạt)", ""]),  # a typed table: a line per row, cells by " | "
    ('<w:del w:id="1" w:author="x">' + para("đã xóa") + "</w:del>" + para("còn"), ["còn"]),
    ("<w:p>" + run("khung:") + '<w:r><w:pict><w:txbxContent>' + para("chữ trong khung") + "</w:txbxContent></w:pict>"
     "</w:r></w:p>", ["khung:chữ trong khung"]),
    ('<w:p><w:pPr><w:numPr><w:numId w:val="3"/></w:numPr></w:pPr>' + run("ý một") + "</w:p>", ["- ý một"]),
    ('<w:p><w:pPr><w:numPr><w:numId w:val="3"/></w:numPr></w:pPr><w:r><w:t>Kiến nghị:</w:t><w:t>UBND tỉnh;</w:t>'
     "</w:r></w:p>", ["- Kiến nghị:\nUBND tỉnh;"]),
    ('<w:sdt><w:sdtPr><w:alias w:val="Kết quả thực hiện [nv1|result]"/></w:sdtPr><w:sdtContent><w:p><w:r>'
     "<w:t>một</w:t><w:t>hai</w:t></w:r></w:p></w:sdtContent></w:sdt>", ["một\nhai"]),
])
def test_cell_paragraphs(inner, expected):
    rows = _rows(_Doc(etree.fromstring(cell(inner).encode())), _Budget(60))  # (a nested table's row comes second)
    assert list(rows[0].cells[0]) == expected

