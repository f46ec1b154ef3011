"""The report forms as the office prints them (LibreOffice -> PDF, read back with pdfplumber): few pages and none of
them half empty, no heading stranded at a page foot, room to write the result, the header of each kind of body as
that body heads its own documents, and the receiving body's own working sheet instead of a letter to itself."""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pdfplumber
import pytest
from formfill import Fill, fill_form
from lxml import etree

from generator.returns.read import read_form
from lo import requires_soffice, to_pdfs

pytestmark = [pytest.mark.libreoffice, requires_soffice]

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MM = 72 / 25.4
PAGE_H = 297 * MM
TEXT_TOP, TEXT_BOTTOM = 20 * MM, PAGE_H - 20 * MM  # the decree's top and bottom margins
LEFT_COLUMN_RIGHT = (30 - 5 + 79) * MM  # the header's left column: from 5 mm left of the margin, 79 mm wide
HEADING = re.compile(r"^(?:[IVX]+\. [A-ZĐ]|\d\. Nhiệm vụ)")
RESULT_TITLE = "Kết quả thực hiện"

SCT, NHA_TRANG, VAN_NINH, SKHDT = ("so-cong-thuong", "ubnd-thanh-pho-nha-trang", "ubnd-huyen-van-ninh",
                                   "so-ke-hoach-va-dau-tu")
LONG_ANSWER = [
    "Sở Công Thương đã tham mưu Ủy ban nhân dân tỉnh ban hành văn bản chỉ đạo các đơn vị triển khai Nghị quyết số "
    "20-NQ/TW, tổ chức 04 hội nghị quán triệt cho cán bộ chủ chốt của các phòng chuyên môn và các hợp tác xã "
    "thương mại, dịch vụ trên địa bàn tỉnh, với tổng số 320 lượt người tham dự.",
    "Phối hợp với Báo Khánh Hòa và Đài Phát thanh và Truyền hình Khánh Hòa xây dựng 12 chuyên mục, 36 tin bài về mô "
    "hình hợp tác xã kiểu mới, hợp tác xã ứng dụng thương mại điện tử, đăng tải trên cổng thông tin điện tử của Sở.",
]  # a real answer: in the old 34 mm column, about two thirds of a page
BULLETS = ["Hội nghị tại Nha Trang: 120 người", "Hội nghị tại Cam Ranh: 80 người", "Hội nghị tại Ninh Hòa: 120 người"]


@dataclass(frozen=True)
class Page:
    """What the tests read from one printed page, taken out of pdfplumber at once (its parsed PDF objects are large,
    and a test process that grows stays large: later tests measure the memory of the processes it forks)."""

    words: list[dict]  # every word, with its position (x0, x1, top, bottom)
    v_edges: list[tuple[float, float, float]]  # vertical lines (table borders): (x, top, bottom)
    text: str
    left: list[str]  # the lines of the header's left column (page 1 only)
    right: list[str]  # and of its right column


@dataclass(frozen=True)
class Printed:
    pages: list[Page]


def snapshot(path: Path) -> Printed:
    def column(page, bbox) -> list[str]:
        return [" ".join(line.split()) for line in (page.crop(bbox).extract_text() or "").splitlines() if line.strip()]

    pages = []
    with pdfplumber.open(path) as pdf:
        for n, page in enumerate(pdf.pages):
            pages.append(Page(
                [{k: w[k] for k in ("text", "x0", "x1", "top", "bottom")} for w in page.extract_words()],
                [(e["x0"], e["top"], e["bottom"]) for e in page.edges if e["orientation"] == "v"],
                page.extract_text() or "",
                column(page, (0, 0, LEFT_COLUMN_RIGHT, 60 * MM)) if n == 0 else [],
                column(page, (LEFT_COLUMN_RIGHT, 0, page.width, 60 * MM)) if n == 0 else [],
            ))
            page.close()
    return Printed(pages)


def words(page: Page) -> list[dict]:
    """The words of a page's text area (not the page number above the top margin)."""
    return [w for w in page.words if w["top"] >= TEXT_TOP - 2]


def text_lines(page) -> list[str]:
    """The page's lines of text below the top margin, top to bottom (words of about the same baseline)."""
    rows: list[list[dict]] = []
    for w in sorted(words(page), key=lambda w: (round(w["bottom"]), w["x0"])):
        if rows and abs(rows[-1][0]["bottom"] - w["bottom"]) < 3:
            rows[-1].append(w)
        else:
            rows.append([w])
    return [" ".join(w["text"] for w in sorted(r, key=lambda w: w["x0"])) for r in rows]


def fullness(page) -> float:
    """How far down the text area the lowest line of text reaches (0: empty, 1: full)."""
    lowest = max(w["bottom"] for w in words(page))
    return (lowest - TEXT_TOP) / (TEXT_BOTTOM - TEXT_TOP)


def left_column(page: Page) -> list[str]:
    """The lines of the header's left column on page 1 (the issuing body and the number)."""
    return page.left


def right_column(page: Page) -> list[str]:
    return page.right


def all_text(pdf: Printed) -> str:
    return " ".join(" ".join(p.text.split()) for p in pdf.pages)


# ------------------------------------------------------------------------------------------------------ fixtures


def filled_sct(data: bytes, plan) -> tuple[bytes, dict[str, Fill]]:
    """Sở Công Thương's form with every task answered: a long answer with bullets for I.1, a short one elsewhere."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        root = etree.fromstring(zf.read("word/document.xml"))
    ids = [t.get(W + "val")[: -len("|result")] for t in root.iter(W + "tag") if t.get(W + "val").endswith("|result")]
    fills = {}
    for n, task_id in enumerate(ids):
        if plan.task(task_id).code == "I.1":
            fills[task_id] = Fill(result=LONG_ANSWER, bullets=BULLETS, status="Đang thực hiện",
                                  note="Kinh phí 150 triệu đồng")
        else:
            fills[task_id] = Fill(result=[f"Đã phối hợp triển khai nhiệm vụ {plan.task(task_id).code} theo kế hoạch."],
                                  status=("Hoàn thành", "Đang thực hiện")[n % 2])
    return fill_form(data, fills, {"kho-khan": ["Kinh phí hạn chế."], "kien-nghi": ["Bổ sung kinh phí."]}), fills


@pytest.fixture(scope="module")
def printed(form_pack, plan_2024, tmp_path_factory) -> dict[str, object]:
    """The forms rendered by LibreOffice in one run: name -> what was printed (and the .docx files by name)."""
    src = tmp_path_factory.mktemp("print-src")
    p2024, p2026 = form_pack(2024), form_pack(2026)
    files = {
        "sct": p2024 / f"{SCT}.docx", "nha-trang": p2024 / f"{NHA_TRANG}.docx",
        "van-ninh": p2024 / f"{VAN_NINH}.docx", "skhdt": p2024 / f"{SKHDT}.docx",
        "cuc-thue": p2024 / "cuc-thue-tinh.docx", "stc-2026": p2026 / "so-tai-chinh.docx",
        "xa-2026": p2026 / "ubnd-cap-xa.docx",
    }
    for name, path in files.items():
        shutil.copy(path, src / f"{name}.docx")
    filled, fills = filled_sct((p2024 / f"{SCT}.docx").read_bytes(), plan_2024)
    (src / "sct-filled.docx").write_bytes(filled)
    out = tmp_path_factory.mktemp("print-pdf")
    pdfs = to_pdfs(sorted(src.glob("*.docx")), out)
    return {"pdf": {p.stem: snapshot(p) for p in pdfs}, "docx": {p.stem: p for p in src.glob("*.docx")},
            "fills": fills}


# ------------------------------------------------------------------------------------------------------ pages


@pytest.mark.parametrize("name", ["sct", "sct-filled"])
def test_pages_are_not_half_empty(printed, name):
    """A page holds as much of the tables as fits: rows split across pages (the header row repeated), so an answer
    in row I.1 does not push the whole table onto page 2."""
    pdf = printed["pdf"][name]
    full = [round(fullness(p), 2) for p in pdf.pages]
    assert all(f >= 0.5 for f in full[:-1]), f"{name}: pages filled to {full}"
    if name == "sct":
        assert len(pdf.pages) <= 6, f"the blank 2024 form of Sở Công Thương prints on {len(pdf.pages)} pages"


@pytest.mark.parametrize("name", ["sct", "sct-filled", "nha-trang", "skhdt"])
def test_no_heading_at_the_foot_of_a_page(printed, name):
    for n, page in enumerate(printed["pdf"][name].pages[:-1], start=1):
        last = text_lines(page)[-1]
        assert not HEADING.match(last), f"{name}: page {n} ends with the heading {last!r}"
        assert not (last.startswith("TT ") and "Nhiệm vụ" in last), f"{name}: page {n} ends with a table header"


def test_status_fits_on_one_line(printed):
    pdf = printed["pdf"]["sct-filled"]
    expected = sum(f.status == "Đang thực hiện" for f in printed["fills"].values())
    found = sum(line.count("Đang thực hiện") for p in pdf.pages for line in text_lines(p))
    assert found == expected, f'"Đang thực hiện" on one line {found} times of {expected}'


# ------------------------------------------------------------------------------------------------------ columns


def test_result_column_is_at_least_40_percent_in_the_grid(printed):
    with zipfile.ZipFile(printed["docx"]["sct"]) as zf:
        root = etree.fromstring(zf.read("word/document.xml"))
    tables = [t for t in root.iter(W + "tbl") if RESULT_TITLE in "".join(t.find(W + "tr").itertext())]
    assert len(tables) == 3  # lead, partner, expired
    for tbl in tables:
        grid = [int(c.get(W + "w")) for c in tbl.find(W + "tblGrid")]
        titles = ["".join(tc.itertext()) for tc in tbl.find(W + "tr").findall(W + "tc")]
        share = grid[titles.index(RESULT_TITLE)] / sum(grid)
        assert share >= 0.4, f"result column {share:.0%} of the table ({grid})"


def test_result_column_is_at_least_40_percent_on_paper(printed):
    page = printed["pdf"]["sct"].pages[0]
    ket = next(w for w in page.words if w["text"] == "Kết" and any(
        v["text"] == "TT" and abs(v["top"] - w["top"]) < 8 for v in page.words))
    xs = sorted({round(x, 0) for x, top, bottom in page.v_edges if top - 3 <= ket["top"] <= bottom})
    left = max(x for x in xs if x < ket["x0"])
    right = min(x for x in xs if x > ket["x0"] + 40)
    share = (right - left) / (xs[-1] - xs[0])
    assert share >= 0.4, f"printed result column {right - left:.0f} of {xs[-1] - xs[0]:.0f} pt ({share:.0%})"


# ------------------------------------------------------------------------------------------------------ headers


@pytest.mark.parametrize("name, unit, place", [("nha-trang", "THÀNH PHỐ NHA TRANG", "Nha Trang"),
                                               ("van-ninh", "HUYỆN VẠN NINH", "Vạn Ninh")])
def test_district_people_committee_heads_as_itself(printed, name, unit, place):
    page = printed["pdf"][name].pages[0]
    left = left_column(page)
    assert left[:2] == ["ỦY BAN NHÂN DÂN", unit], left  # no parent line, the name on one line
    assert not any("TỈNH KHÁNH HÒA" in line for line in left), left
    assert re.fullmatch(rf"{place}, ngày\s*tháng\s*năm 2024", right_column(page)[2]), right_column(page)


def test_commune_generic_form_has_no_parent_line(printed):
    page = printed["pdf"]["xa-2026"].pages[0]
    left = left_column(page)
    assert left[0] == "ỦY BAN NHÂN DÂN" and "TỈNH KHÁNH HÒA" not in " ".join(left[:2]), left
    assert not right_column(page)[2].startswith("Khánh Hòa"), right_column(page)


def test_central_branch_heads_under_its_central_body(printed):
    left = left_column(printed["pdf"]["cuc-thue"].pages[0])
    assert left[:2] == ["TỔNG CỤC THUẾ", "CỤC THUẾ TỈNH KHÁNH HÒA"], left


# ------------------------------------------------------------------------------------------------------ receiver


@pytest.mark.parametrize("name, receiver", [("skhdt", "Sở Kế hoạch và Đầu tư"), ("stc-2026", "Sở Tài chính")])
def test_receiving_body_gets_a_working_sheet_not_a_letter_to_itself(printed, name, receiver):
    pdf = printed["pdf"][name]
    text = all_text(pdf)
    assert "Kính gửi" not in text
    assert f"- {receiver};" not in text and f"Báo cáo gửi {receiver}" not in text
    assert "PHIẾU TỔNG HỢP" in text and "Tài liệu làm việc nội bộ" in text
    assert "tổng hợp vào báo cáo" in text
    other = all_text(printed["pdf"]["sct"])  # an ordinary department's form is a letter to the receiver
    assert "Kính gửi: Sở Kế hoạch và Đầu tư" in other and "PHIẾU TỔNG HỢP" not in other


# ------------------------------------------------------------------------------------------------------ contract


def test_filled_form_reads_back(printed, plan_2024):
    reading = read_form(Path(printed["docx"]["sct-filled"]).read_bytes(), plan_2024)
    fills = printed["fills"]
    got = {e.task_id: e for e in reading.entries}
    for task_id, fill in fills.items():
        assert got[task_id].result == fill.expected_result(), task_id
        assert got[task_id].status == fill.status, task_id
    assert not any("điền sẵn" in w for w in reading.warnings), reading.warnings
    assert not any("chưa điền" in w or "chưa chọn" in w for w in reading.warnings), reading.warnings
