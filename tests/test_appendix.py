"""The PHỤ LỤC workbook, read back with openpyxl (and LibreOffice) and compared with the official source text."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import openpyxl
import pytest

from generator.forms.appendix import build_appendix
from lo import requires_soffice, to_pdf

SOURCE = Path(__file__).resolve().parents[1].parent / "shared" / "source" / "ke-hoach-1627-KH-UBND.txt"
HEADERS = ["TT", "Nhiệm vụ", "Đơn vị chủ trì", "Đơn vị phối hợp", "Sản phẩm hoàn thành", "Thời gian hoàn thành"]
ROMAN = re.compile(r"^[IVX]+$")
MM = 1 / 25.4


def clean(text: str) -> str:
    text = text.replace("<p>", "").replace("</p>", "")
    return " ".join(unicodedata.normalize("NFC", text).split())


@pytest.fixture(scope="module")
def source() -> dict:
    """The appendix of the official text: its three title lines and its table rows (header repeats dropped)."""
    if not SOURCE.is_file():
        pytest.skip(f"official source text not found at {SOURCE} (it lives in ../shared beside the repository)")
    lines = SOURCE.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "PHỤ LỤC")
    titles, rows = [], []
    for line in lines[start:]:
        cells = line.split("\t")
        if len(cells) == 6:
            if not line.startswith("TT\t"):
                rows.append([clean(c) for c in cells])
        elif line.strip() and not rows:
            titles.append(clean(line))
    return {"titles": titles, "rows": rows}


@pytest.fixture(scope="module")
def xlsx(plan, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("appendix") / "phu-luc.xlsx"
    path.write_bytes(build_appendix(plan))
    return path


@pytest.fixture(scope="module")
def ws(xlsx):
    wb = openpyxl.load_workbook(xlsx)
    assert wb.sheetnames == ["Phụ lục"]
    return wb["Phụ lục"]


def table_rows(ws) -> list[tuple]:
    return [tuple(c.value for c in row) for row in ws.iter_rows(min_row=6, max_col=6)]


def find_row(ws, numeral: str, number: int) -> int:
    """The sheet row of task `numeral`.`number`."""
    group = None
    for r in range(6, ws.max_row + 1):
        tt = ws.cell(r, 1).value
        if isinstance(tt, str):
            group = tt
        elif group == numeral and tt == number:
            return r
    raise AssertionError(f"task {numeral}.{number} not found")


def test_source_has_the_expected_shape(source):
    groups = [r for r in source["rows"] if ROMAN.match(r[0])]
    assert [g[0] for g in groups] == ["I", "II", "III", "IV", "V"]
    assert len(source["rows"]) - len(groups) == 35
    assert source["titles"][0] == "PHỤ LỤC" and len(source["titles"]) == 3


def test_titles_and_header_match_source(ws, source):
    for row, expected in enumerate(source["titles"], start=1):
        assert ws.cell(row, 1).value == expected
        assert f"A{row}:F{row}" in ws.merged_cells
    assert ws["A1"].font.b and ws["A2"].font.b and ws["A3"].font.i
    assert ws["A2"].alignment.wrap_text and ws["A2"].alignment.horizontal == "center"
    assert ws.row_dimensions[2].height >= 3 * 14  # the long title wraps to three lines at least
    assert all(ws.cell(4, c).value is None for c in range(1, 7))
    assert [ws.cell(5, c).value for c in range(1, 7)] == HEADERS
    for c in range(1, 7):
        cell = ws.cell(5, c)
        assert cell.font.b and cell.alignment.wrap_text and cell.fill.fgColor.rgb.endswith("D9D9D9")
        assert cell.border.top.style == cell.border.bottom.style == "thin"


def test_every_table_cell_matches_source(ws, source):
    rows = table_rows(ws)
    assert len(rows) == len(source["rows"]) == 40
    for got, want in zip(rows, source["rows"]):
        if ROMAN.match(want[0]):
            assert got[:2] == (want[0], want[1])
            assert got[2:] == (None,) * 4
        else:
            assert got[0] == int(want[0]), want
            assert isinstance(got[0], int)
            assert [v if v is not None else "" for v in got[1:]] == want[1:], f"row TT {want[0]}: {want[1][:40]}"


def test_empty_deliverable_is_an_empty_cell(ws):
    assert ws.cell(find_row(ws, "II", 2), 5).value is None


def test_print_settings(ws):
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == 9
    # printed at 100 %: "fit to page" would shrink the 12 pt text and make Excel ignore the manual page breaks
    assert not ws.sheet_properties.pageSetUpPr.fitToPage and int(ws.page_setup.scale) == 100
    widths = [ws.column_dimensions[c].width for c in "ABCDEF"]
    assert sum(widths) * 6 <= (297 - 30 - 15) * 72 / 25.4  # 6 pt a unit (Times New Roman 12 the default font)
    assert ws.parent._fonts[0].name == "Times New Roman" and ws.parent._fonts[0].sz == 12
    assert ws.print_title_rows.replace("$", "") == "5:5"
    assert ws.freeze_panes == "A6"
    assert ws.print_options.horizontalCentered
    m = ws.page_margins
    assert m.left == pytest.approx(30 * MM, abs=0.01) and m.right == pytest.approx(15 * MM, abs=0.01)
    assert m.top == pytest.approx(20 * MM, abs=0.01) and m.bottom == pytest.approx(20 * MM, abs=0.01)
    assert "&P" in (ws.oddHeader.center.text or "")
    assert ws.HeaderFooter.differentFirst and not ws.firstHeader.center.text  # page 1 has no number
    assert ws.row_breaks.brk and all(b.man for b in ws.row_breaks.brk)
    assert "$A$1:$F$" in str(ws.print_area)


def test_fonts_borders_and_merges(ws):
    row = find_row(ws, "I", 1)
    for c in range(1, 7):
        cell = ws.cell(row, c)
        assert cell.font.name == "Times New Roman" and cell.font.sz == 12
        assert cell.alignment.wrap_text and cell.alignment.vertical == "top"
        assert cell.border.left.style == cell.border.right.style == "thin"
    assert ws.cell(row, 1).alignment.horizontal == ws.cell(row, 6).alignment.horizontal == "center"
    assert ws.cell(1, 1).font.name == "Times New Roman" and ws.cell(1, 1).font.sz == 13
    group_rows = [r for r in range(6, ws.max_row + 1) if isinstance(ws.cell(r, 1).value, str)]
    assert len(group_rows) == 5
    for r in group_rows:
        assert f"B{r}:F{r}" in ws.merged_cells
        assert ws.cell(r, 2).font.b and ws.cell(r, 1).border.bottom.style == "thin"


def test_row_heights_follow_text_length(ws):
    for r in range(6, ws.max_row + 1):
        assert ws.row_dimensions[r].height, f"row {r} has no height"
    long_row, short_row = find_row(ws, "II", 10), find_row(ws, "II", 3)
    assert ws.row_dimensions[long_row].height > 2 * ws.row_dimensions[short_row].height
    # II.10's task text (about 500 characters) needs at least 8 lines in the 41-unit (246 pt) task column
    assert ws.row_dimensions[long_row].height >= 8 * 13.8


def test_two_builds_are_byte_identical(plan):
    first, second = build_appendix(plan), build_appendix(plan)
    assert first == second
    assert first[:2] == b"PK"


def test_document_properties_are_fixed(xlsx):
    props = openpyxl.load_workbook(xlsx).properties
    assert props.creator == "kehoach"
    assert props.created == props.modified
    assert props.created.year == 2023


@pytest.mark.libreoffice
@requires_soffice
def test_libreoffice_renders_a4_landscape_with_repeated_header(xlsx, tmp_path):
    from pypdf import PdfReader

    pdf = to_pdf(xlsx, tmp_path)
    pages = PdfReader(pdf).pages
    assert len(pages) >= 2
    for page in pages:
        assert float(page.mediabox.width) == pytest.approx(842, abs=2)
        assert float(page.mediabox.height) == pytest.approx(595, abs=2)
    texts = [" ".join(unicodedata.normalize("NFC", p.extract_text()).split()) for p in pages]
    assert "PHỤ LỤC" in texts[0]
    for text in texts[:2]:
        assert "Thời gian hoàn thành" in text
    everything = " ".join(texts)
    assert "Triển khai công tác nghiên cứu, quán triệt nội dung" in everything
    assert "Khuyến khích, hướng dẫn triển khai thực hiện các nhiệm vụ khoa học" in everything


@pytest.mark.parametrize("regroup", [False, True])
def test_manual_page_breaks_fill_pages_and_never_follow_a_group_row(plan, regroup, tmp_path):
    """Read back as Excel's page break preview shows them: every page fits the A4 landscape page between the margins
    (with the repeated header row), and no page ends with a group row."""
    from test_appendix_print import small_groups

    variant = small_groups(plan) if regroup else plan
    path = tmp_path / "phu-luc.xlsx"
    path.write_bytes(build_appendix(variant))
    sheet = openpyxl.load_workbook(path)["Phụ lục"]
    starts = [b.id + 1 for b in sheet.row_breaks.brk]
    assert starts == sorted(starts) and len(starts) >= 5
    room = (210 - 40) * 72 / 25.4
    bounds = [1, *starts, sheet.max_row + 1]
    for page, (first, end) in enumerate(zip(bounds, bounds[1:]), start=1):
        height = sum(sheet.row_dimensions[r].height for r in range(first, end))
        if page > 1:
            height += sheet.row_dimensions[5].height
        assert height <= room, f"page {page} (rows {first}-{end - 1}): {height:.0f} pt on a {room:.0f} pt page"
        if end <= sheet.max_row:
            assert not isinstance(sheet.cell(end - 1, 1).value, str), f"page {page} ends with a group row"
            following = sheet.row_dimensions[end].height  # the next page's first row (a group with its first task)
            if isinstance(sheet.cell(end, 1).value, str):
                following += sheet.row_dimensions[end + 1].height
            assert height + following > room - 6, f"page {page}: the next row would have fitted"
