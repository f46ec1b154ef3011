"""The consolidated report (`kehoach summary`): forms filled as in Word (and re-saved by LibreOffice) go through
`kehoach ingest`, and every filled value must come out in the .docx and the .xlsx under the right task and agency."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import docx
import openpyxl
import pytest
from formfill import Fill, fill_form, kehoach, lo_resave_many
from lo import requires_soffice, to_pdf

from generator.plan.assignments import assignments
from generator.returns.read import read_form
from generator.returns.store import Store
from generator.returns.summary import build_summary

SCT, NHA_TRANG, SKHDT, DIEN_KHANH = ("so-cong-thuong", "ubnd-thanh-pho-nha-trang", "so-ke-hoach-va-dau-tu",
                                     "ubnd-huyen-dien-khanh")
NAMES = {SCT: "Sở Công Thương", NHA_TRANG: "Ủy ban nhân dân thành phố Nha Trang", SKHDT: "Sở Kế hoạch và Đầu tư",
         DIEN_KHANH: "Ủy ban nhân dân huyện Diên Khánh"}

# What the clerks enter (agency -> task id -> Fill) and write in the free sections.
FILLS = {
    SCT: {
        "nv14": Fill(result=[[("Đã tổ chức ", ""), ("03 lớp", "b"), (" tập huấn cho 120 học viên.", "")],
                             "Đối tượng: cán bộ quản lý HTX."],
                     bullets=["Lớp 1: Nha Trang", "Lớp 2: Cam Ranh"], status="Hoàn thành", note="Kinh phí 150 triệu"),
        "nv15": Fill(result=["Hỗ trợ 5 HTX tham gia hội chợ."], outside=True, status="đang triển khai",
                     status_typed=True),
        "nv16": Fill(result=["=SUM(A1)", "+ số liệu @ quý IV"], status="Chưa thực hiện", note="-5 HTX"),
    },
    NHA_TRANG: {
        "nv14": Fill(result=["Cử 20 cán bộ HTX tham gia lớp tập huấn."], status="Hoàn thành"),
        "nv05": Fill(result=["Rà soát 45 HTX trên địa bàn.", "Giải thể 3 HTX ngừng hoạt động."],
                     status="Đang thực hiện", note="@tiếp tục năm 2025"),
    },
    SKHDT: {
        "nv04": Fill(result=["Trình UBND tỉnh kế hoạch phát triển KTTT năm 2025."], status="Hoàn thành"),
        "nv05": Fill(result=["Bố trí vốn hỗ trợ HTX."], status="Hoàn thành"),  # partner of II.2
    },
}
SECTIONS = {
    SCT: {"kho-khan": ["Kinh phí hạn chế.", "Thiếu cán bộ chuyên trách."], "kien-nghi": ["Tăng kinh phí xúc tiến."]},
    NHA_TRANG: {"kien-nghi": ["=HYPERLINK(\"http://x\")", "Bổ sung biên chế."]},
}


@dataclass
class Summary:
    folder: Path
    paragraphs: list[str]
    wb: openpyxl.Workbook
    xlsx: Path
    docx: Path
    stdout: str


def run_round_trip(forms: dict[str, bytes], tmp: Path) -> Summary:
    inbox = tmp / "nhan"
    inbox.mkdir(parents=True)
    for agency, data in forms.items():
        (inbox / f"{agency}.docx").write_bytes(data)
    r = kehoach("ingest", "--year", "2024", str(inbox), "--db", "bc.sqlite3", cwd=tmp)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.count("Đã nhận: ") == len(forms)
    r = kehoach("summary", "--year", "2024", "--db", "bc.sqlite3", cwd=tmp)
    assert r.returncode == 0, r.stdout + r.stderr
    folder = tmp / "output" / "khanh-hoa-1627" / "2024" / "tong-hop"
    assert sorted(p.name for p in folder.iterdir()) == ["bao-cao-tong-hop.docx", "tong-hop.xlsx"]
    document = docx.Document(folder / "bao-cao-tong-hop.docx")
    return Summary(folder, [p.text for p in document.paragraphs], openpyxl.load_workbook(folder / "tong-hop.xlsx"),
                   folder / "tong-hop.xlsx", folder / "bao-cao-tong-hop.docx", r.stdout)


def filled_forms(forms_2024) -> dict[str, bytes]:
    out = {a: fill_form(forms_2024[a], FILLS[a], SECTIONS.get(a)) for a in FILLS}
    out[DIEN_KHANH] = forms_2024[DIEN_KHANH]  # returned without filling anything
    return out


@pytest.fixture(scope="module")
def word_summary(forms_2024, tmp_path_factory):
    return run_round_trip(filled_forms(forms_2024), tmp_path_factory.mktemp("summary-word"))


# ==================================================================================================== readers


def task_block(paragraphs: list[str], code: str) -> list[str]:
    """The paragraphs of one task in the report, from "II.11. ..." to the next task or heading."""
    start = next(i for i, p in enumerate(paragraphs) if p.startswith(f"{code}. "))
    end = start + 1
    while end < len(paragraphs) and not re.match(r"^([IVX]+\.\d+\. |Nhóm [IVX]+\. |[IVX]+\. [A-ZĐ])", paragraphs[end]):
        end += 1
    return paragraphs[start:end]


def contribution(block: list[str], agency_name: str) -> tuple[str, list[str]]:
    """(status shown, result lines) of one agency inside a task block."""
    i = next(i for i, p in enumerate(block) if p.startswith(f"- {agency_name} ("))
    status = re.match(rf"- {re.escape(agency_name)} \((.*)\):$", block[i]).group(1)
    lines = []
    for p in block[i + 1:]:
        if p.startswith("- ") and " (" in p and p.endswith("):") or p.startswith(("Đơn vị ", "Ghi chú: ")):
            break
        lines.append(p)
    return status, lines


def matrix(wb) -> dict[tuple[str, str], object]:
    ws = wb["Tình trạng"]
    header = [c.value for c in ws[4]]
    cells = {}
    for row in ws.iter_rows(min_row=5):
        code = row[0].value
        if code and "." in str(code):
            for name, cell in zip(header[3:], row[3:]):
                cells[(code, name)] = cell
            cells[(code, "Tình trạng chung")] = row[2]
    return cells


def results(wb) -> dict[tuple[str, str], list]:
    ws = wb["Kết quả"]
    assert [c.value for c in ws[4]] == ["TT", "Nhiệm vụ", "Đơn vị", "Vai trò", "Tình trạng", "Kết quả thực hiện",
                                        "Ghi chú"]
    return {(r[0].value, r[2].value): r for r in ws.iter_rows(min_row=5)}


# ==================================================================================================== Word round trip


def check_summary(s: Summary, plan_2024) -> None:
    p = s.paragraphs
    text = "\n".join(p)
    assert "BÁO CÁO" in p
    assert ("Tổng hợp kết quả thực hiện Kế hoạch số 1627/KH-UBND ngày 24/02/2023 của UBND tỉnh Khánh Hòa về kinh tế "
            "tập thể năm 2024") in p
    assert "Kính gửi: Ủy ban nhân dân tỉnh Khánh Hòa." in p

    # II.11: lead Sở Công Thương, partner Nha Trang, each attributed
    block = task_block(p, "II.11")
    assert "Tình trạng chung: Hoàn thành." in block
    status, lines = contribution(block, NAMES[SCT])
    assert status == "hoàn thành"
    assert lines == ["Đã tổ chức 03 lớp tập huấn cho 120 học viên.", "Đối tượng: cán bộ quản lý HTX.",
                     "- Lớp 1: Nha Trang", "- Lớp 2: Cam Ranh"]
    assert "Ghi chú: Kinh phí 150 triệu" in block
    assert block.index("Đơn vị chủ trì:") < block.index("Đơn vị phối hợp:")
    assert block.index("Đơn vị phối hợp:") < block.index(f"- {NAMES[NHA_TRANG]} (hoàn thành):")
    assert contribution(block, NAMES[NHA_TRANG]) == ("hoàn thành", ["Cử 20 cán bộ HTX tham gia lớp tập huấn."])

    # II.12: typed outside the control, status typed by hand
    block = task_block(p, "II.12")
    assert contribution(block, NAMES[SCT]) == ("đang thực hiện", ["Hỗ trợ 5 HTX tham gia hội chợ."])
    assert "Tình trạng chung: Đang thực hiện." in block
    # II.13: formula-like text stays text
    block = task_block(p, "II.13")
    assert contribution(block, NAMES[SCT]) == ("chưa thực hiện", ["=SUM(A1)", "+ số liệu @ quý IV"])
    assert "Ghi chú: -5 HTX" in block
    # II.2: a district leads (with the other districts), Nha Trang reported
    block = task_block(p, "II.2")
    assert contribution(block, NAMES[NHA_TRANG]) == ("đang thực hiện", ["Rà soát 45 HTX trên địa bàn.",
                                                                         "Giải thể 3 HTX ngừng hoạt động."])
    assert block.index("Đơn vị phối hợp:") < block.index(f"- {NAMES[SKHDT]} (hoàn thành):")
    assert contribution(block, NAMES[SKHDT]) == ("hoàn thành", ["Bố trí vốn hỗ trợ HTX."])
    assert "Đơn vị chủ trì chưa gửi báo cáo: 7 đơn vị (danh sách tại mục I)." in block  # named once, in I
    assert any(line.startswith("Đơn vị chủ trì không báo cáo nội dung nhiệm vụ này: ")
               and NAMES[DIEN_KHANH] in line for line in block)  # returned the form empty
    # II.1: Sở KH&ĐT leads
    assert contribution(task_block(p, "II.1"), NAMES[SKHDT]) == (
        "hoàn thành", ["Trình UBND tỉnh kế hoạch phát triển KTTT năm 2025."])

    # difficulties (in the assessment) and recommendations, per agency
    kk = p[p.index("2. Khó khăn, vướng mắc do các cơ quan, đơn vị nêu"):p.index("IV. PHƯƠNG HƯỚNG, NHIỆM VỤ NĂM 2025")]
    assert "- Sở Công Thương: Kinh phí hạn chế." in kk and "Thiếu cán bộ chuyên trách." in kk
    kn = p[p.index("V. KIẾN NGHỊ, ĐỀ XUẤT"):]
    assert "- Sở Công Thương: Tăng kinh phí xúc tiến." in kn
    assert f"- {NAMES[NHA_TRANG]}: =HYPERLINK(\"http://x\")" in kn and "Bổ sung biên chế." in kn

    # who did not report: every expected agency but the four, named once in section I
    expected = [at.agency.name for at in assignments(plan_2024, 2024)]
    missing = next(x for x in p if x.startswith("Các cơ quan, đơn vị chưa gửi báo cáo ("))
    listed = missing.split("): ", 1)[1].rstrip(".").split("; ")
    assert listed == [n for n in expected if n not in NAMES.values()]
    assert f"Năm 2024, có {len(expected)} cơ quan, đơn vị được giao nhiệm vụ phải báo cáo; đã có 4 cơ quan" in text

    # counts by status (by lead): II.11, II.1 done; II.12, II.2 in progress; II.13 not done
    counts = {}
    doc = docx.Document(s.docx)
    for table in doc.tables:
        if table.rows[0].cells[0].text == "Tình trạng":
            counts = {r.cells[0].text: r.cells[1].text for r in table.rows[1:]}
    assert counts["Hoàn thành"] == "2" and counts["Đang thực hiện"] == "2" and counts["Chưa thực hiện"] == "1"
    assert counts["Tổng số"] == str(len([t for t in plan_2024.tasks if t.timeframe.status(2024) != "future"]))

    # .xlsx: the matrix
    m = matrix(s.wb)
    assert m[("II.11", NAMES[SCT])].value == "Hoàn thành" and m[("II.11", NAMES[SCT])].font.b  # lead in bold
    assert m[("II.11", NAMES[SCT])].fill.fgColor.rgb.endswith("C6EFCE")  # green
    assert m[("II.11", NAMES[NHA_TRANG])].value == "Hoàn thành" and not m[("II.11", NAMES[NHA_TRANG])].font.b
    assert m[("II.12", NAMES[SCT])].value == "Đang thực hiện"
    assert m[("II.12", NAMES[SCT])].fill.fgColor.rgb.endswith("FFEB9C")  # yellow
    assert m[("II.13", NAMES[SCT])].value == "Chưa thực hiện"
    assert m[("II.13", NAMES[SCT])].fill.fgColor.rgb.endswith("FFC7CE")  # red
    assert m[("II.2", NAMES[NHA_TRANG])].value == "Đang thực hiện"
    assert m[("II.2", NAMES[DIEN_KHANH])].value == "Không ghi tình trạng"
    assert m[("II.2", "Ủy ban nhân dân thị xã Ninh Hòa")].value == "Chưa báo cáo"
    assert m[("II.2", "Ủy ban nhân dân thị xã Ninh Hòa")].fill.fgColor.rgb.endswith("D9D9D9")  # grey
    assert m[("II.11", "Tình trạng chung")].value == "Hoàn thành"
    assert m[("II.11", "Sở Tư pháp")].value is None  # not assigned

    # .xlsx: the results text, exactly, with its line breaks; agency text is never a formula
    res = results(s.wb)
    row = res[("II.11", NAMES[SCT])]
    assert [c.value for c in row[3:]] == ["Chủ trì", "Hoàn thành", FILLS[SCT]["nv14"].expected_result(),
                                          "Kinh phí 150 triệu"]
    assert row[5].value == ("Đã tổ chức 03 lớp tập huấn cho 120 học viên.\nĐối tượng: cán bộ quản lý HTX.\n"
                            "- Lớp 1: Nha Trang\n- Lớp 2: Cam Ranh")
    assert res[("II.11", NAMES[NHA_TRANG])][3].value == "Phối hợp"
    assert res[("II.12", NAMES[SCT])][5].value == "Hỗ trợ 5 HTX tham gia hội chợ."
    formula_like = res[("II.13", NAMES[SCT])]
    assert formula_like[5].value == "=SUM(A1)\n+ số liệu @ quý IV" and formula_like[5].data_type == "s"
    assert formula_like[6].value == "-5 HTX" and formula_like[6].data_type == "s"
    assert res[("II.2", NAMES[NHA_TRANG])][6].value == "@tiếp tục năm 2025"
    assert res[("II.2", NAMES[NHA_TRANG])][6].data_type == "s"
    assert (("II.2", NAMES[DIEN_KHANH])) not in res  # nothing written: no row
    with zipfile.ZipFile(s.xlsx) as zf:
        sheets = [zf.read(n) for n in zf.namelist() if n.startswith("xl/worksheets/sheet")]
    assert sheets and not any(b"<f>" in x or b"<f " in x for x in sheets)  # no formula anywhere
    # the chart of tasks by status
    stats = s.wb["Thống kê"]
    assert stats._charts and stats._charts[0].tagname == "barChart"
    assert [[c.value for c in r] for r in stats.iter_rows(min_row=5, max_row=8, max_col=2)] == [
        ["Hoàn thành", 2], ["Đang thực hiện", 2], ["Chưa thực hiện", 1],
        ["Chưa có thông tin", int(counts["Tổng số"]) - 5]]


def test_word_filled_forms_round_trip(word_summary, plan_2024):
    check_summary(word_summary, plan_2024)
    assert f"(4/{len(assignments(plan_2024, 2024))} đơn vị đã báo cáo)" in word_summary.stdout


def test_summary_is_deterministic(word_summary, tmp_path):
    cwd = word_summary.folder.parents[3]
    r = kehoach("summary", "--year", "2024", "--db", "bc.sqlite3", "--out", str(tmp_path / "lan-2"), cwd=cwd)
    assert r.returncode == 0, r.stderr
    for name in ("bao-cao-tong-hop.docx", "tong-hop.xlsx"):
        assert (tmp_path / "lan-2" / name).read_bytes() == (word_summary.folder / name).read_bytes(), name


def test_resubmission_changes_the_summary(word_summary, plan_2024, forms_2024, tmp_path):
    """A second, different form from Sở Công Thương: version 2 counts, version 1 stays in the database."""
    cwd = word_summary.folder.parents[3]
    with Store(cwd / "bc.sqlite3") as store:
        submissions = dict(store.latest(plan_2024.id, 2024))
    v2 = fill_form(forms_2024[SCT], {"nv14": Fill(result=["Kết quả đã sửa."], status="Đang thực hiện")})
    db = tmp_path / "copy.sqlite3"
    db.write_bytes((cwd / "bc.sqlite3").read_bytes())
    with Store(db) as store:
        added = store.add(read_form(v2, plan_2024), v2, "so-cong-thuong-sua.docx")
        assert added.submission.version == 2
        latest = store.latest(plan_2024.id, 2024)
        assert [s.version for s in store.history(plan_2024.id, 2024, SCT)] == [1, 2]
    files = build_summary(plan_2024, 2024, latest)
    document = docx.Document(io.BytesIO(files["bao-cao-tong-hop.docx"]))
    block = task_block([p.text for p in document.paragraphs], "II.11")
    assert contribution(block, NAMES[SCT]) == ("đang thực hiện", ["Kết quả đã sửa."])
    assert "Tình trạng chung: Đang thực hiện." in block
    assert build_summary(plan_2024, 2024, submissions) != files  # the version 1 summary differed


def test_summary_without_database_is_refused(tmp_path):
    r = kehoach("summary", "--year", "2024", "--db", "khong-co.sqlite3", cwd=tmp_path)
    assert r.returncode == 1 and "chưa có cơ sở dữ liệu" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "output").exists() and not (tmp_path / "khong-co.sqlite3").exists()


@requires_soffice
@pytest.mark.libreoffice
def test_summary_docx_renders_as_an_official_document(word_summary, tmp_path):
    from pypdf import PdfReader

    pdf = PdfReader(to_pdf(word_summary.docx, tmp_path))
    first = " ".join(pdf.pages[0].extract_text().split())  # (header lines use non-breaking spaces)
    for words in ("UBND TỈNH KHÁNH HÒA", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "BÁO CÁO", "Kính gửi"):
        assert words in first
    box = pdf.pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (210, 297)  # A4 portrait
    assert "GIÁM ĐỐC" in pdf.pages[-1].extract_text()


# ==================================================================================================== LibreOffice


@requires_soffice
@pytest.mark.libreoffice
def test_forms_resaved_by_libreoffice_round_trip(forms_2024, plan_2024, tmp_path):
    """The same filled forms, opened and saved again by LibreOffice (tags dropped, paragraphs moved out of the
    controls, placeholders kept as plain text), give the same summary."""
    resaved = lo_resave_many({f"{a}.docx": d for a, d in filled_forms(forms_2024).items()}, tmp_path / "lo")
    for name, data in resaved.items():
        assert b'w:tag w:val="nv' not in data, "LibreOffice kept w:tag: the alias fallback is no longer exercised"
    s = run_round_trip({n[:-5]: d for n, d in resaved.items()}, tmp_path / "run")
    check_summary(s, plan_2024)
    with zipfile.ZipFile(s.xlsx) as zf:
        assert not any("Nhập kết quả".encode() in zf.read(n) for n in zf.namelist())
    assert not any("Nhập kết quả thực hiện" in p or p.strip() == "…" for p in s.paragraphs)
