"""How much room a text takes when printed in Times New Roman: line counts of wrapped cell text and the row heights
that hold them, for workbooks whose rows must be tall enough (LibreOffice Calc does not grow a row on opening an
.xlsx, so a wrapped text in a row without a height overprints the rows below it).

Widths are Times New Roman's advance widths (1/1000 em; Liberation Serif, which LibreOffice prints in its place, has
the same metrics). Vietnamese letters take the width of their base letter: the diacritics sit above or below it.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:()-/%\"'+=@|*[]!?&"
_REGULAR = dict(zip(_CHARS, map(int, (
    "444 500 444 500 444 333 500 500 278 278 500 278 778 500 500 500 500 333 389 278 500 500 722 500 500 444 "
    "722 667 667 722 611 556 722 722 333 389 722 611 889 722 722 556 722 667 556 611 722 722 944 722 722 611 "
    "500 500 500 500 500 500 500 500 500 500 250 250 250 278 278 333 333 333 278 833 408 180 564 564 921 200 "
    "500 333 333 333 444 778").split())))
_BOLD = dict(zip(_CHARS, map(int, (
    "500 556 444 556 444 333 500 556 278 333 556 278 833 556 500 556 556 444 389 333 556 500 722 500 500 444 "
    "722 667 722 722 667 611 778 778 389 500 778 667 944 722 778 611 778 722 556 667 722 722 1000 722 722 667 "
    "500 500 500 500 500 500 500 500 500 500 250 250 250 333 333 333 333 333 278 1000 555 278 570 570 930 220 "
    "500 333 333 333 500 833").split())))
_SPECIAL = {"đ": "d", "Đ": "D", "…": "...", "–": "-", "—": "mm", "“": '"', "”": '"', "‘": "'", "’": "'"}

LINE = 1.17  # a line of Times New Roman is about 1.15 em high in LibreOffice Calc and Excel; a little more, safely
PADDING_PT = 4.0  # above and below the text of a cell
MAX_ROW_PT = 409.0  # the tallest row Excel allows
SLACK = 0.96  # wrap as if the column were 4 % narrower: Excel and LibreOffice break lines a little differently


@lru_cache(maxsize=1 << 14)
def _char(c: str, bold: bool) -> int:
    table = _BOLD if bold else _REGULAR
    if c in table:
        return table[c]
    base = _SPECIAL.get(c) or unicodedata.normalize("NFD", c)[:1]
    if base and all(b in table for b in base):
        return sum(table[b] for b in base)
    return 1000 if unicodedata.east_asian_width(c) in "WF" else 556


def text_width(text: str, size: float, bold: bool = False) -> float:
    """The printed width of `text` on one line, in points."""
    return sum(_char(c, bold) for c in text) * size / 1000


def column_points(width: float) -> float:
    """The printable width inside a column of `width` Excel units (7 px of the default font each, less padding)."""
    return width * 7 * 0.75 - 4


def wrapped_lines(text: str, width_pt: float, size: float, bold: bool = False) -> int:
    """How many lines `text` takes in a cell `width_pt` wide (greedy word wrap; "\\n" starts a line)."""
    room = width_pt * SLACK
    space = text_width(" ", size, bold)
    total = 0
    for paragraph in text.split("\n"):
        lines, used = 1, 0.0
        for word in paragraph.split():
            w = text_width(word, size, bold)
            if used and used + space + w > room:
                lines, used = lines + 1, 0.0
            used += w if not used else space + w
            while used > room:  # a word longer than the line breaks across lines
                lines, used = lines + 1, used - room
        total += lines
    return total


def row_height(cells, size: float, bold: bool = False) -> float:
    """A row height (pt) for the tallest of its `cells`, (text, column width in Excel units[, size[, bold]])."""
    tallest = 1.0
    for cell in cells:
        text, width = cell[0], cell[1]
        s = cell[2] if len(cell) > 2 else size
        b = cell[3] if len(cell) > 3 else bold
        if text:
            tallest = max(tallest, wrapped_lines(str(text), column_points(width), s, b) * s * LINE)
    return round(min(MAX_ROW_PT, tallest + PADDING_PT), 1)
