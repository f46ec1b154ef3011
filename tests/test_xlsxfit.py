"""Row heights from font metrics (generator.xlsxfit): the shipped width table is the font's, the estimate wraps."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.office import xlsxfit

LIBERATION = Path("/usr/share/fonts/truetype/liberation2")  # Debian's fonts-liberation2 (Makefile installs it)


def test_shipped_table_is_derived_from_the_font_files():
    if not (LIBERATION / "LiberationSerif-Regular.ttf").is_file():
        pytest.skip("fonts-liberation2 is not installed")
    derived = xlsxfit.metrics_json(xlsxfit.derive_metrics(LIBERATION))
    assert xlsxfit.METRICS_FILE.read_text(encoding="ascii") == derived, (
        "generator/fontmetrics/liberation-serif.json differs from the installed font: "
        "run python -m generator.office.xlsxfit " + str(LIBERATION))


def test_vietnamese_letters_have_their_own_widths():
    widths, fallback, _line = xlsxfit._style(False, False)
    for ch in "ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹĂÂĐÊÔƠƯỆỰ–“”…":
        assert ch in widths, ch
    assert xlsxfit.text_width("0123456789") == pytest.approx(10 * 6)  # Times digits: half an em
    assert xlsxfit.text_width("W", bold=True) > xlsxfit.text_width("W") > xlsxfit.text_width("i")
    assert xlsxfit.text_width("中") == pytest.approx(fallback * 12)  # a character the table lacks counts widest


def test_column_width_units_are_eight_pixels():
    assert xlsxfit.column_points(10) == 60 and xlsxfit.column_points(41) == 246


def test_wrap_and_row_height():
    line = xlsxfit.line_height(12)
    assert 13 < line < 14
    word = "nhiệm vụ "
    text = word * 40  # 360 characters
    one = xlsxfit.row_height([("ngắn", 20)], 12)
    assert one == pytest.approx(line + xlsxfit.ROW_PADDING_PT, abs=0.75)
    narrow, wide = xlsxfit.row_height([(text, 20)], 12), xlsxfit.row_height([(text, 60)], 12)
    assert narrow > 2.5 * wide
    lines = xlsxfit.wrap_lines(text, 100)
    assert lines * 100 >= xlsxfit.text_width(text) * 0.9  # no line holds more than its width
    assert xlsxfit.row_height([(text, 20), ("x", 60)], 12) == narrow  # the tallest cell decides
    per_line = int(50 // xlsxfit.text_width("a"))  # a word longer than the line is broken inside it
    assert xlsxfit.wrap_lines("a" * 200, 50) == -(-200 // per_line)
    assert xlsxfit.wrap_lines("một\nhai\nba", 500) == 3
    for h in (one, narrow, wide):
        assert (h / 0.75) == int(h / 0.75)  # whole pixels: never rounded down by the spreadsheet
    assert xlsxfit.row_height([("Sở Kế hoạch", 10)], 12, bold=True) >= xlsxfit.row_height([("Sở Kế hoạch", 10)], 12)


def test_column_units_follow_the_workbook_default_font_size():
    assert xlsxfit.digit_pixels(12) == 8 and xlsxfit.digit_pixels(11) == 7  # 7.33 px: Excel rounds to whole pixels
    assert xlsxfit.column_points(10, default_size=11) == 52.5
    assert xlsxfit.digit_points(11) == pytest.approx(5.5)  # LibreOffice keeps the digit unrounded: wider
    assert xlsxfit.column_points(10, default_size=11) < 10 * xlsxfit.digit_points(11)
    text = "nhiệm vụ " * 12
    assert xlsxfit.row_height([(text, 20)], 10, default_size=11) > xlsxfit.row_height([(text, 20)], 10)


def test_rotated_text_height_is_the_lowest_that_holds_it():
    names = ["Ủy ban nhân dân thành phố Nha Trang", "Sở Tư pháp"]
    height = xlsxfit.rotated_row_height(names, 7, 9, bold=True, default_size=11)
    across = int((xlsxfit.column_points(7, 11) - xlsxfit.CELL_PADDING_PT) // xlsxfit.line_height(9, bold=True))
    assert across == 3  # a 7-unit column (36.75 pt) holds three lines of 9 pt turned text

    def lines(h: float) -> int:
        return xlsxfit.wrap_lines(names[0], (h - xlsxfit.ROW_PADDING_PT) * xlsxfit.SAFETY, 9, bold=True)

    assert lines(height) <= across < lines(height - 0.75)
    assert xlsxfit.rotated_row_height(names[1:], 7, 9, bold=True, default_size=11) < height


def test_no_row_is_taller_than_excel_allows():
    assert xlsxfit.row_height([("chữ " * 5000, 10)], 10) == xlsxfit.MAX_ROW_PT <= 409
    assert xlsxfit.rotated_row_height(["chữ " * 5000], 7, 9) == xlsxfit.MAX_ROW_PT
