"""The 2024 report forms as LibreOffice prints them: A4 portrait, the header block on page 1, the deadline sentence,
and page numbers from page 2 on (none on page 1)."""

from __future__ import annotations

import re

import pytest
from pypdf import PdfReader

from lo import requires_soffice, to_pdf

pytestmark = [pytest.mark.libreoffice, requires_soffice]

YEAR = 2024
AGENCIES = {  # id -> the header's first two lines (parent line or "ỦY BAN NHÂN DÂN", name), hand-written
    "so-cong-thuong": ("UBND TỈNH KHÁNH HÒA", "SỞ CÔNG THƯƠNG"),
    "ubnd-huyen-truong-sa": ("ỦY BAN NHÂN DÂN", "HUYỆN TRƯỜNG SA"),
}
A4 = (595.28, 841.89)  # points
TOP_MARGIN_PT = 20 / 25.4 * 72  # 20 mm
TEXT_CENTRE_X = (30 / 25.4 * 72 + (A4[0] - 15 / 25.4 * 72)) / 2  # middle between the 30 mm and 15 mm margins
TASK_CODE = re.compile(r"^[IVX]+\.\d*(\s|$)")


def squash(text: str) -> str:
    return " ".join(text.split())


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def text_above_body(page) -> list[tuple[str, float]]:
    """Text drawn above the top margin (the running header area): [(text, x)], from its real position on the page."""
    found = []

    def visit(text, cm, tm, font_dict, font_size):
        if not text.strip():
            return
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        if y > float(page.mediabox.top) - TOP_MARGIN_PT:
            found.append((text.strip(), x))

    page.extract_text(visitor_text=visit)
    return found


@pytest.fixture(scope="module")
def pdfs(form_pack, tmp_path_factory) -> dict[str, PdfReader]:
    pack = form_pack(YEAR)
    out = tmp_path_factory.mktemp("forms-pdf")
    return {agency: PdfReader(to_pdf(pack / f"{agency}.docx", out)) for agency in AGENCIES}


@pytest.fixture(params=sorted(AGENCIES))
def agency(request) -> str:
    return request.param


def test_every_page_is_a4_portrait(pdfs, agency):
    reader = pdfs[agency]
    assert len(reader.pages) >= 2, "these forms run over several pages"
    for n, page in enumerate(reader.pages, start=1):
        w, h = float(page.mediabox.width), float(page.mediabox.height)
        if (page.rotation or 0) % 180:
            w, h = h, w
        assert abs(w - A4[0]) <= 2 and abs(h - A4[1]) <= 2, f"page {n}: {w:.1f} x {h:.1f} pt"


def test_first_page_has_the_header_block(pdfs, agency):
    first = squash(pdfs[agency].pages[0].extract_text())
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in first
    assert "Độc lập - Tự do - Hạnh phúc" in first
    assert all(line in first for line in AGENCIES[agency])
    assert "Kính gửi: Sở Kế hoạch và Đầu tư" in first
    assert f"năm {YEAR}" in first


def test_deadline_sentence(pdfs, agency):
    text = squash(" ".join(page.extract_text() for page in pdfs[agency].pages))
    assert f"trước ngày 15 tháng 12 năm {YEAR}" in text
    assert "THỦ TRƯỞNG CƠ QUAN" in text


def test_page_numbers_from_page_two_only(pdfs, agency):
    pages = pdfs[agency].pages
    # Page 1: nothing in the header area, and the page opens with the header block, not with a number.
    assert text_above_body(pages[0]) == []
    assert squash(lines(pages[0].extract_text())[0]) == AGENCIES[agency][0]
    for n, page in enumerate(pages[1:], start=2):
        head = text_above_body(page)
        assert [t for t, _ in head] == [str(n)], f"page {n}: header area holds {head}"
        assert abs(head[0][1] - TEXT_CENTRE_X) < 15, f"page {n}: number not centred (x={head[0][1]:.1f})"
        assert lines(page.extract_text())[0] == str(n), f"page {n} does not start with its number"


def test_task_tables_repeat_their_header_row(pdfs, agency):
    """A page never opens in the middle of a task table without the repeated header row."""
    for n, page in enumerate(pdfs[agency].pages[1:], start=2):
        body = lines(page.extract_text())[1:]  # after the page number
        assert body, f"page {n} is empty"
        assert not TASK_CODE.match(body[0]), f"page {n} starts with task row {body[0]!r} without the table header"
