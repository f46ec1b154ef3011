"""The consolidated report of a round where 3 of the 33 lead units of I.1 reported: what it states (the share each
status rests on, who has not reported, the annual-report outline, the signature) and how it prints (LibreOffice ->
PDF -> pdfplumber: sizes, overprinting, headings at a page foot)."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import docx
import openpyxl
import pytest
from formfill import W, Fill, edit_document, fill_form, kehoach
from lo import requires_soffice, to_pdf
from lxml import etree

from generator.plan.assignments import assignments

SCT, NHA_TRANG, SKHDT = "so-cong-thuong", "ubnd-thanh-pho-nha-trang", "so-ke-hoach-va-dau-tu"
NAMES = {SCT: "Sở Công Thương", NHA_TRANG: "Ủy ban nhân dân thành phố Nha Trang", SKHDT: "Sở Kế hoạch và Đầu tư"}
LONG = ("Đã tổ chức quán triệt Nghị quyết cho cán bộ, công chức, viên chức và người lao động trong toàn ngành; "
        "lồng ghép nội dung vào hội nghị cán bộ, công chức và các buổi sinh hoạt chuyên đề hằng tháng. ") * 3
FILLS = {
    SCT: {"nv01": Fill(result=[LONG, "Tuyên truyền trên cổng thông tin điện tử."], status="Hoàn thành",
                       note="Kinh phí 20 triệu đồng"),
          "nv14": Fill(result=["Kết quả tập huấn:"], status="Hoàn thành")},
    NHA_TRANG: {"nv01": Fill(result=[LONG], status="Hoàn thành")},
    SKHDT: {"nv01": Fill(result=["Quán triệt tại hội nghị cơ quan."], status="Hoàn thành"),
            "nv04": Fill(result=["Trình UBND tỉnh kế hoạch năm 2025."], status="Đang thực hiện")},
}
SECTIONS = {SCT: {"kho-khan": ["Kinh phí hạn chế."], "kien-nghi": ["Tăng kinh phí xúc tiến thương mại."]},
            NHA_TRANG: {"kien-nghi": ["Bổ sung biên chế cho phòng Kinh tế."]}}
NESTED = [["Chỉ tiêu", "Năm 2023", "Năm 2024"], ["Số lớp", "2", "3"], ["Số học viên", "80", "120"]]
SIGN_NOTE = "(Ký, ghi rõ họ tên, đóng dấu)"


def _table(rows: list[list[str]]) -> etree._Element:
    """A small table as Word writes one inserted into a content control (grid, rows, cells of paragraphs)."""
    tbl = etree.Element(W + "tbl")
    pr = etree.SubElement(tbl, W + "tblPr")
    etree.SubElement(pr, W + "tblW").set(W + "w", "0")
    grid = etree.SubElement(tbl, W + "tblGrid")
    for _ in rows[0]:
        etree.SubElement(grid, W + "gridCol").set(W + "w", "1200")
    for row in rows:
        tr = etree.SubElement(tbl, W + "tr")
        for text in row:
            tc = etree.SubElement(tr, W + "tc")
            etree.SubElement(etree.SubElement(tc, W + "tcPr"), W + "tcW").set(W + "w", "1200")
            t = etree.SubElement(etree.SubElement(etree.SubElement(tc, W + "p"), W + "r"), W + "t")
            t.text = text
    return tbl


def with_nested_table(data: bytes, tag: str, rows: list[list[str]]) -> bytes:
    """The form with a table typed inside the content control `tag`, after its paragraphs (and a paragraph after
    it, as Word requires at the end of a cell)."""

    def change(root):
        for sdt in root.iter(W + "sdt"):
            t = sdt.find(f"{W}sdtPr/{W}tag")
            if t is not None and t.get(W + "val") == tag:
                content = sdt.find(W + "sdtContent")
                content.append(_table(rows))
                content.append(etree.Element(W + "p"))
                return
        raise AssertionError(tag)

    return edit_document(data, change)


@dataclass
class Round:
    folder: Path
    cwd: Path
    paragraphs: list[str]
    document: docx.document.Document
    wb: openpyxl.Workbook


def run_summary(cwd: Path, *args: str) -> Round:
    r = kehoach("summary", "--year", "2024", "--db", "bc.sqlite3", "--out", "tong-hop", *args, cwd=cwd)
    assert r.returncode == 0, r.stdout + r.stderr
    folder = cwd / "tong-hop"
    document = docx.Document(folder / "bao-cao-tong-hop.docx")
    return Round(folder, cwd, [p.text for p in document.paragraphs], document,
                 openpyxl.load_workbook(folder / "tong-hop.xlsx"))


@pytest.fixture(scope="module")
def round3(forms_2024, tmp_path_factory) -> Round:
    cwd = tmp_path_factory.mktemp("round3")
    arrived = {SCT: "10/12/2024", SKHDT: "10/12/2024", NHA_TRANG: "20/12/2024"}  # the deadline is 15/12/2024
    for agency, fills in FILLS.items():
        data = fill_form(forms_2024[agency], fills, SECTIONS.get(agency))
        if agency == SCT:
            data = with_nested_table(data, "nv14|result", NESTED)
        inbox = cwd / "nhan" / arrived[agency].replace("/", "-")
        inbox.mkdir(parents=True, exist_ok=True)
        (inbox / f"{agency}.docx").write_bytes(data)
    for day in sorted(set(arrived.values())):  # a batch per day the emails came
        r = kehoach("ingest", str(cwd / "nhan" / day.replace("/", "-")), "--db", "bc.sqlite3", "--year", "2024",
                    "--received", day, cwd=cwd)
        assert r.returncode == 0 and "Đã nhận: " in r.stdout, r.stdout + r.stderr
    return run_summary(cwd)


def block(paragraphs: list[str], code: str) -> list[str]:
    start = next(i for i, p in enumerate(paragraphs) if p.startswith(f"{code}. "))
    end = start + 1
    while end < len(paragraphs) and not re.match(r"^([IVX]+\.\d+\. |Nhóm [IVX]+\. |[IVX]+\. [A-ZĐ])", paragraphs[end]):
        end += 1
    return paragraphs[start:end]


def status_cells(wb) -> dict[str, str]:
    ws = wb["Tình trạng"]
    column = [c.value for c in ws[4]].index("Tình trạng chung")
    return {row[0].value: row[column].value for row in ws.iter_rows(min_row=5) if row[0].value and "." in row[0].value}


# ==================================================================================================== content


def test_the_overall_status_says_how_many_lead_units_it_rests_on(round3, plan_2024):
    leads = sum(1 for at in assignments(plan_2024, 2024) for a in at.all if a.task.id == "nv01" and a.role == "lead")
    assert leads == 33
    assert "Tình trạng chung: Hoàn thành (3/33 đơn vị chủ trì đã báo cáo)." in block(round3.paragraphs, "I.1")
    # II.1: its one lead (Sở Kế hoạch và Đầu tư) reported: no qualification
    assert "Tình trạng chung: Đang thực hiện." in block(round3.paragraphs, "II.1")
    assert "Tình trạng chung: Hoàn thành." in block(round3.paragraphs, "II.11")  # its one lead: Sở Công Thương
    cells = status_cells(round3.wb)
    assert cells["I.1"] == "Hoàn thành (3/33 đơn vị chủ trì đã báo cáo)"
    assert cells["II.1"] == "Đang thực hiện" and cells["II.11"] == "Hoàn thành"
    assert cells["I.2"] == "Chưa có thông tin (0/1 đơn vị chủ trì đã báo cáo)"


def test_the_units_that_did_not_report_are_named_once(round3, plan_2024):
    expected = [at.agency.name for at in assignments(plan_2024, 2024)]
    missing = [n for n in expected if n not in NAMES.values()]
    listing = [p for p in round3.paragraphs if p.startswith("Các cơ quan, đơn vị chưa gửi báo cáo")]
    assert listing == [f"Các cơ quan, đơn vị chưa gửi báo cáo ({len(missing)}): " + "; ".join(missing) + "."]
    assert sum("Ủy ban nhân dân huyện Trường Sa" in p for p in round3.paragraphs) == 1
    i1 = block(round3.paragraphs, "I.1")
    assert "Đơn vị chủ trì chưa gửi báo cáo: 30 đơn vị (danh sách tại mục I)." in i1
    for p in round3.paragraphs:  # under a task: a count, or a few names
        if p.startswith("Đơn vị chủ trì chưa gửi báo cáo: "):
            assert re.fullmatch(r"Đơn vị chủ trì chưa gửi báo cáo: \d+ đơn vị \(danh sách tại mục I\)\.", p) or \
                p.count(",") <= 2, p


def section(paragraphs: list[str], start: str, end: str) -> list[str]:
    return paragraphs[paragraphs.index(start) + 1:paragraphs.index(end)]


def test_the_report_follows_the_annual_report_outline(round3):
    p = round3.paragraphs
    headings = [x for x in p if re.match(r"^[IVX]+\. [A-ZĐ]", x)]
    assert headings == ["I. TÌNH HÌNH BÁO CÁO CỦA CÁC CƠ QUAN, ĐƠN VỊ", "II. KẾT QUẢ THỰC HIỆN CÁC NHIỆM VỤ",
                        "III. ĐÁNH GIÁ CHUNG", "IV. PHƯƠNG HƯỚNG, NHIỆM VỤ NĂM 2025", "V. KIẾN NGHỊ, ĐỀ XUẤT"]
    assessment = section(p, "III. ĐÁNH GIÁ CHUNG", "IV. PHƯƠNG HƯỚNG, NHIỆM VỤ NĂM 2025")
    assert ("a) Tình hình báo cáo: 3/36 cơ quan, đơn vị đã gửi báo cáo, trong đó 2 đúng hạn, 1 nộp muộn; 33 chưa "
            "gửi báo cáo (danh sách tại mục I).") in assessment
    assert any(x.startswith("b) Nhiệm vụ theo tình trạng: năm 2024 có 35 nhiệm vụ") for x in assessment)
    assert "- Sở Công Thương: Kinh phí hạn chế." in assessment
    assert "[Phần do Sở Kế hoạch và Đầu tư viết trước khi trình ký: ưu điểm; tồn tại, hạn chế; nguyên nhân.]" \
        in assessment
    tables = {t.rows[0].cells[0].text: [[c.text for c in r.cells] for r in t.rows] for t in round3.document.tables}
    by_status = {r[0]: r[1:] for r in tables["Tình trạng"]}
    assert by_status["Hoàn thành"][:2] == ["2", "1"]  # I.1 (3/33) and II.11; only II.11 rests on every lead
    assert by_status["Đang thực hiện"][:2] == ["1", "1"]
    assert by_status["Tổng số"][0] == "35"
    by_group = {r[0]: r[1:] for r in tables["Nhóm nhiệm vụ"]}
    assert by_group["Nhóm I"] == ["1", "0", "0", "2", "3"] and by_group["Tổng số"][-1] == "35"
    direction = section(p, "IV. PHƯƠNG HƯỚNG, NHIỆM VỤ NĂM 2025", "V. KIẾN NGHỊ, ĐỀ XUẤT")
    assert any(x.startswith("Các nhiệm vụ năm 2024 chưa hoàn thành hoặc chưa có đủ báo cáo") and "I.1, " in x
               for x in direction)
    recommendations = p[p.index("V. KIẾN NGHỊ, ĐỀ XUẤT"):]
    assert "- Sở Công Thương: Tăng kinh phí xúc tiến thương mại." in recommendations
    assert f"- {NAMES[NHA_TRANG]}: Bổ sung biên chế cho phòng Kinh tế." in recommendations


def signature_cell(document) -> list[str]:
    table = document.tables[-1]
    return [p.text for p in table.rows[0].cells[1].paragraphs]


def test_the_signature_block_is_the_signers_not_form_wording(round3, plan_copy):
    text = "\n".join(round3.paragraphs + [c.text for t in round3.document.tables for r in t.rows for c in r.cells])
    assert SIGN_NOTE not in text
    assert [x for x in signature_cell(round3.document) if x] == ["GIÁM ĐỐC"]
    plan_yaml = plan_copy / "plan.yaml"
    plan_yaml.write_text(plan_yaml.read_text(encoding="utf-8").replace(
        "  deadline: 15/12", "  signers:\n    - agency: so-ke-hoach-va-dau-tu\n      authority: KT. Giám đốc\n"
        "      title: Phó Giám đốc\n      name: Trần Văn Bình\n  deadline: 15/12"), encoding="utf-8")
    signed = run_summary(round3.cwd, "--plan", str(plan_copy))
    assert [x for x in signature_cell(signed.document) if x] == ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "Trần Văn Bình"]


def test_a_wrong_signing_authority_is_refused_with_its_line(plan_copy, tmp_path):
    plan_yaml = plan_copy / "plan.yaml"
    lines = plan_yaml.read_text(encoding="utf-8").replace(
        "  deadline: 15/12", "  signers:\n    - agency: so-ke-hoach-va-dau-tu\n      authority: Giám đốc ký\n"
        "  deadline: 15/12").split("\n")
    plan_yaml.write_text("\n".join(lines), encoding="utf-8")
    line = next(i for i, x in enumerate(lines, start=1) if "authority: Giám đốc ký" in x)
    r = kehoach("validate", "--plan", str(plan_copy), cwd=tmp_path)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert f"plan.yaml:{line}: " in r.stderr and 'thẩm quyền ký "Giám đốc ký"' in r.stderr + r.stdout


def test_a_table_typed_in_a_result_cell_keeps_its_rows(round3):
    rows = [" | ".join(r) for r in NESTED]
    with sqlite3.connect(round3.cwd / "bc.sqlite3") as conn:
        stored = conn.execute("SELECT result FROM entries JOIN submissions s ON s.id = entries.submission_id "
                              "WHERE s.agency = ? AND task_id = 'nv14'", (SCT,)).fetchone()[0]
    assert stored == "\n".join(["Kết quả tập huấn:", *rows])
    tables = [[[c.text for c in r.cells] for r in t.rows] for t in round3.document.tables]
    assert NESTED in tables  # a table in the report, under the agency's result
    ws = round3.wb["Kết quả"]
    results = {(r[0].value, r[2].value): r[5].value for r in ws.iter_rows(min_row=5)}
    assert results[("II.11", NAMES[SCT])] == stored


# ==================================================================================================== printed


def true_size(c: dict) -> float:
    """A character's font size: pdfplumber's `size` is the height of its box, which for text turned 90° (the
    agency names of the matrix) is its advance width."""
    return c["size"] if c["upright"] else c["x1"] - c["x0"]


def text_lines(page) -> list[tuple[float, float, float, float, str]]:
    """(top, bottom, x0, x1, text) of each upright line of text of a page, by pdfplumber's word grouping."""
    lines: dict[tuple[int, int], list[dict]] = {}
    for w in page.extract_words(keep_blank_chars=False, use_text_flow=False):
        if w["upright"]:
            lines.setdefault((round(w["top"]), int(w["x0"] // 1)), []).append(w)
    return [(min(x["top"] for x in ws), max(x["bottom"] for x in ws), min(x["x0"] for x in ws),
             max(x["x1"] for x in ws), " ".join(x["text"] for x in ws)) for ws in lines.values()]


@pytest.fixture(scope="module")
def printed(round3, tmp_path_factory):
    pdfplumber = pytest.importorskip("pdfplumber")
    out = tmp_path_factory.mktemp("printed")
    return {name: pdfplumber.open(to_pdf(round3.folder / name, out))
            for name in ("tong-hop.xlsx", "bao-cao-tong-hop.docx")}


@requires_soffice
@pytest.mark.libreoffice
def test_the_workbook_prints_nothing_under_8_pt(printed):
    pdf = printed["tong-hop.xlsx"]
    small = [(i + 1, c["text"], round(true_size(c), 1)) for i, page in enumerate(pdf.pages) for c in page.chars
             if c["text"].strip() and true_size(c) < 7.9]
    assert not small, small[:10]
    matrix = [page for page in pdf.pages if "Nhiệm vụ" in page.extract_text() and "Kết quả thực hiện" not in
              page.extract_text() and "SỐ NHIỆM VỤ" not in page.extract_text()]
    assert len(matrix) >= 3  # the 36 agencies over several pages ...
    for page in matrix:  # ... each with the task columns and the header row (print titles)
        text = page.extract_text()
        assert "TT" in text and "Nhiệm vụ" in text and re.search(r"\b[IV]+\.\d+\b", text), text[:200]


@requires_soffice
@pytest.mark.libreoffice
def test_no_text_overprints_on_the_results_sheet(printed):
    pages = [p for p in printed["tong-hop.xlsx"].pages if "Kết quả thực hiện" in (p.extract_text() or "")]
    assert pages
    for page in pages:
        lines = sorted(text_lines(page))
        for i, a in enumerate(lines):
            for b in lines[i + 1:]:
                if b[0] >= a[1]:
                    break
                overlap_x = min(a[3], b[3]) - max(a[2], b[2])
                overlap_y = min(a[1], b[1]) - max(a[0], b[0])
                assert overlap_x <= 0.5 or overlap_y <= 1.0, f"overprinted: {a[4]!r} / {b[4]!r}"


@requires_soffice
@pytest.mark.libreoffice
def test_the_report_body_is_13_to_14_pt_and_no_heading_ends_a_page(printed):
    pdf = printed["bao-cao-tong-hop.docx"]
    body, started = [], False
    for page in pdf.pages:
        for c in page.chars:
            if c["text"] == "B" and not started and "BÁO CÁO" in page.extract_text():
                started = True
            if started and c["top"] > 50 and c["text"].strip():  # below the page number (header at 10 mm)
                body.append(c)
    text = "".join(c["text"] for c in body)  # one character per char, no spaces
    end = text.index("Trênđâylàbáocáo")
    sizes = {round(c["size"]) for c in body[text.index("ThựchiệnKếhoạch"):end]}
    assert sizes <= {13, 14}, sizes
    for number, page in enumerate(pdf.pages[:-1], start=1):
        words = [w for w in page.extract_words(extra_attrs=["fontname"]) if w["top"] > 50]
        last_top = max(w["top"] for w in words)
        last = [w for w in words if abs(w["top"] - last_top) < 2]
        x0, x1, bottom = min(w["x0"] for w in last), max(w["x1"] for w in last), max(w["bottom"] for w in last)
        in_table = any(e["x0"] <= x0 and e["x1"] >= x1 and -1 <= e["top"] - bottom <= 8
                       for e in page.horizontal_edges)  # a table's last row (its totals) may end a page
        assert in_table or not all("Bold" in w["fontname"] for w in last), \
            f"page {number} ends with a heading: {' '.join(w['text'] for w in last)}"
