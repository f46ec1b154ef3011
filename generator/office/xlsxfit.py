"""Fitting Excel rows to their text: how tall a row must be for its wrapped text in Times New Roman.

Neither Excel nor LibreOffice grows a row written with a height, and a workbook written without heights prints each
wrapped text over the rows below it (LibreOffice) or on one line (Excel until opened and re-fitted). So kehoach
computes every height itself, the way a spreadsheet lays the text out: greedy word wrap at the printed column width,
each character as wide as the font says.

The widths come from the font: `generator/fontmetrics/liberation-serif.json` holds the advance widths of Liberation
Serif, the font metric-compatible with Times New Roman that LibreOffice prints Times New Roman with (Debian's
fonts-liberation2). That table is derived from the font files by `derive_metrics` (run
`python -m generator.xlsxfit FONT_DIR` to write it again; tests/test_xlsxfit.py checks it still equals the installed
font's), so the estimate, and the file written, are the same on every machine whatever fonts it has.

Column widths: a width in an .xlsx is in "characters" of the workbook's default font's widest digit. kehoach's
workbooks make that font Times New Roman (`use_default_font`; 12 pt for the appendix, 11 pt for the summary), whose
digits are half an em: 8 px at 96 dpi for 12 pt, so a width of w is about 8·w px = 6·w pt in Excel and in LibreOffice
alike. At a size whose digit is not a whole number of pixels Excel rounds it (11 pt: 7.33 px, 7 px) while LibreOffice
keeps it: `column_points` is the narrower, Excel's (the room text wraps in), `digit_points` the wider, LibreOffice's
(what a page must hold). (With Calibri as the default, LibreOffice without Calibri's metrics falls back to another
font and prints the columns a third wider than Excel does.) Every function taking a column width takes the
workbook's default font size as `default_size`.

The pure API: `text_width`, `wrap_lines`, `line_height`, `digit_points`, `column_points`, `row_height`,
`rotated_row_height`.
"""

from __future__ import annotations

import json
import math
import struct
import sys
from functools import lru_cache
from pathlib import Path


FONT = "Times New Roman"
DEFAULT_SIZE = 12
METRICS_FILE = Path(__file__).resolve().parents[1] / "fontmetrics" / "liberation-serif.json"

# The Liberation Serif files the table is derived from, one per style (bold, italic)
FONT_FILES = {
    (False, False): "LiberationSerif-Regular.ttf",
    (True, False): "LiberationSerif-Bold.ttf",
    (False, True): "LiberationSerif-Italic.ttf",
    (True, True): "LiberationSerif-BoldItalic.ttf",
}
# Code points kept in the table: Latin with every Vietnamese letter, combining marks, punctuation, currency signs
RANGES = ((0x20, 0x24F), (0x300, 0x36F), (0x1E00, 0x1EFF), (0x2000, 0x206F), (0x20A0, 0x20CF))

PX_PER_PT = 96 / 72
CELL_PADDING_PT = 2 * 2.25  # text inset, left plus right, inside a cell (3 px a side; LibreOffice uses about 1 pt)
ROW_PADDING_PT = 4.5  # above the first line and below the last together (6 px: Excel's rounding of lines to pixels)
SAFETY = 0.99  # wrap in a little less than the width left: kerning and hinting may widen a line slightly
MAX_ROW_PT = 408.75  # the tallest whole-pixel row (545 px) within the 409 pt Excel allows


# ---------------------------------------------------------------------------------------------------------------------
# Deriving the table from the font files (run rarely; the result is committed)

def _tables(data: bytes) -> dict[str, bytes]:
    count = struct.unpack_from(">H", data, 4)[0]
    tables = {}
    for i in range(count):
        tag, _checksum, offset, length = struct.unpack_from(">4sIII", data, 12 + 16 * i)
        tables[tag.decode("latin-1")] = data[offset:offset + length]
    return tables


def _cmap(table: bytes) -> dict[int, int]:
    """Code point -> glyph id from the Unicode subtable (format 12 if there is one, else format 4)."""
    count = struct.unpack_from(">H", table, 2)[0]
    subtables = {}
    for i in range(count):
        platform, encoding, offset = struct.unpack_from(">HHI", table, 4 + 8 * i)
        fmt = struct.unpack_from(">H", table, offset)[0]
        if (platform, encoding) in ((3, 1), (3, 10), (0, 3), (0, 4)):
            subtables.setdefault(fmt, offset)
    mapping: dict[int, int] = {}
    if 12 in subtables:
        offset = subtables[12]
        groups = struct.unpack_from(">I", table, offset + 12)[0]
        for g in range(groups):
            start, end, glyph = struct.unpack_from(">III", table, offset + 16 + 12 * g)
            for cp in range(start, end + 1):
                mapping[cp] = glyph + cp - start
        return mapping
    offset = subtables[4]
    segments = struct.unpack_from(">H", table, offset + 6)[0] // 2
    ends = struct.unpack_from(f">{segments}H", table, offset + 14)
    starts = struct.unpack_from(f">{segments}H", table, offset + 16 + 2 * segments)
    deltas = struct.unpack_from(f">{segments}h", table, offset + 16 + 4 * segments)
    range_base = offset + 16 + 6 * segments
    range_offsets = struct.unpack_from(f">{segments}H", table, range_base)
    for s in range(segments):
        for cp in range(starts[s], ends[s] + 1):
            if cp == 0xFFFF:
                continue
            if range_offsets[s] == 0:
                glyph = (cp + deltas[s]) & 0xFFFF
            else:
                at = range_base + 2 * s + range_offsets[s] + 2 * (cp - starts[s])
                glyph = struct.unpack_from(">H", table, at)[0]
                glyph = (glyph + deltas[s]) & 0xFFFF if glyph else 0
            if glyph:
                mapping[cp] = glyph
    return mapping


def font_metrics(path: Path) -> dict:
    """The metrics of one TrueType file: units per em, ascender, descender, line gap, advance width per character."""
    tables = _tables(Path(path).read_bytes())
    units = struct.unpack_from(">H", tables["head"], 18)[0]
    ascender, descender, line_gap = struct.unpack_from(">hhh", tables["hhea"], 4)
    metrics_count = struct.unpack_from(">H", tables["hhea"], 34)[0]
    advances = struct.unpack_from(f">{2 * metrics_count}H", tables["hmtx"])[0::2]
    widths = {}
    for cp, glyph in _cmap(tables["cmap"]).items():
        if any(lo <= cp <= hi for lo, hi in RANGES):
            widths[cp] = advances[min(glyph, metrics_count - 1)]
    return {"units_per_em": units, "ascender": ascender, "descender": descender, "line_gap": line_gap,
            "widths": widths}


def _runs(widths: dict[int, int]) -> list[list]:
    """{code point: width} as [[first code point, [widths of it and the following ones]], ...]."""
    runs: list[list] = []
    for cp in sorted(widths):
        if runs and runs[-1][0] + len(runs[-1][1]) == cp:
            runs[-1][1].append(widths[cp])
        else:
            runs.append([cp, [widths[cp]]])
    return runs


def derive_metrics(font_dir: Path) -> dict:
    """The table kehoach ships, from the four Liberation Serif files in `font_dir`."""
    styles = {}
    for (bold, italic), name in FONT_FILES.items():
        m = font_metrics(Path(font_dir) / name)
        m["widths"] = _runs(m["widths"])
        styles[_style_key(bold, italic)] = m
    return {"font": "Liberation Serif (metric-compatible with Times New Roman)", "source": sorted(FONT_FILES.values()),
            "styles": styles}


def metrics_json(metrics: dict) -> str:
    return json.dumps(metrics, ensure_ascii=True, sort_keys=True, separators=(",", ":")) + "\n"


# ---------------------------------------------------------------------------------------------------------------------
# Using the table

def _style_key(bold: bool, italic: bool) -> str:
    return {(False, False): "regular", (True, False): "bold", (False, True): "italic", (True, True): "bold-italic"}[
        (bold, italic)]


@lru_cache(maxsize=None)
def _style(bold: bool, italic: bool) -> tuple[dict[str, float], float, float]:
    """({character: width in em}, width in em of a character the table lacks, line height in em)."""
    style = json.loads(METRICS_FILE.read_text(encoding="ascii"))["styles"][_style_key(bold, italic)]
    units = style["units_per_em"]
    widths = {chr(first + i): w / units for first, run in style["widths"] for i, w in enumerate(run)}
    fallback = max(widths.values())  # unknown characters count as the widest one: never cut text
    line = (style["ascender"] - style["descender"]) / units
    return widths, fallback, line


def text_width(text: str, size: float = DEFAULT_SIZE, bold: bool = False, italic: bool = False) -> float:
    """The printed width of `text` on one line, in points."""
    widths, fallback, _line = _style(bold, italic)
    return sum(widths.get(ch, fallback) for ch in text) * size


def line_height(size: float = DEFAULT_SIZE, bold: bool = False, italic: bool = False) -> float:
    """The distance between two lines of wrapped text, in points: ascender + descender, as LibreOffice prints wrapped
    cell text (and Windows' tmHeight is); the font's line gap is not added between the lines of a cell."""
    return _style(bold, italic)[2] * size


def digit_points(default_size: float = DEFAULT_SIZE) -> float:
    """The width in points of the widest digit of Times New Roman `default_size`: one unit of column width in a
    workbook with that default font, as LibreOffice prints it (unrounded)."""
    widths, _fallback, _line = _style(False, False)
    return max(widths[d] for d in "0123456789") * default_size


def digit_pixels(default_size: float = DEFAULT_SIZE) -> int:
    """The widest digit in whole pixels at 96 dpi, as Excel measures the unit of column widths (12 pt: 8 px)."""
    return math.floor(digit_points(default_size) * PX_PER_PT + 0.5)


def column_points(width: float, default_size: float = DEFAULT_SIZE) -> float:
    """The width in points of a column `width` units wide, in a workbook whose default font is Times New Roman
    `default_size` (Excel's whole pixels: never wider than LibreOffice prints it)."""
    digit = digit_pixels(default_size)
    pixels = math.floor(((256 * width + math.floor(128 / digit)) / 256) * digit)
    return pixels / PX_PER_PT


def wrap_lines(text: str, width_pt: float, size: float = DEFAULT_SIZE, bold: bool = False,
               italic: bool = False) -> int:
    """How many lines `text` takes in a box `width_pt` wide: greedy word wrap, a word longer than the line broken."""
    widths, fallback, _line = _style(bold, italic)
    room = width_pt / size  # in em

    def w(s: str) -> float:
        return sum(widths.get(ch, fallback) for ch in s)

    space = widths.get(" ", fallback)
    total = 0
    for paragraph in text.split("\n"):
        lines, used = 1, 0.0
        for word in paragraph.split():
            need = w(word)
            if used and used + space + need > room:
                lines, used = lines + 1, 0.0
            if not used and need > room:  # a word wider than the line is broken inside it
                for ch in word:
                    cw = widths.get(ch, fallback)
                    if used and used + cw > room:
                        lines, used = lines + 1, 0.0
                    used += cw
                continue
            used += need if not used else space + need
        total += lines
    return total


def _whole_pixels(points: float) -> float:
    """`points` rounded up to a whole pixel (0.75 pt), as Excel shows heights, so a height that fits is never rounded
    down to one that cuts a line; at most the tallest row Excel allows."""
    return min(MAX_ROW_PT, math.ceil(round(points / 0.75, 6)) * 0.75)


def row_height(texts_and_widths, font_size: float = DEFAULT_SIZE, bold: bool = False, italic: bool = False, *,
               default_size: float = DEFAULT_SIZE) -> float:
    """The height in points a row needs for the tallest of its cells, each given as (text, column width in units),
    in a workbook whose default font is Times New Roman `default_size`.

    A merged cell is one (text, sum of the merged columns' widths). The result is in whole pixels (`_whole_pixels`).
    """
    lines = 1
    for text, width in texts_and_widths:
        if text:
            room = (column_points(width, default_size) - CELL_PADDING_PT) * SAFETY
            lines = max(lines, wrap_lines(str(text), room, font_size, bold, italic))
    return _whole_pixels(lines * line_height(font_size, bold, italic) + ROW_PADDING_PT)


def rotated_row_height(texts, width: float, font_size: float = DEFAULT_SIZE, bold: bool = False,
                       italic: bool = False, *, default_size: float = DEFAULT_SIZE) -> float:
    """The height in points a row needs for `texts` turned 90° in columns `width` units wide: the lines of a turned
    text stack across its column, so each text wraps in as many lines as the column holds, along the row's height.
    The lowest whole-pixel height (`_whole_pixels`) at which every text fits."""
    across = max(1, math.floor((column_points(width, default_size) - CELL_PADDING_PT) /
                               line_height(font_size, bold, italic)))

    def fits(pixels: int) -> bool:
        room = (pixels * 0.75 - ROW_PADDING_PT) * SAFETY
        return room > 0 and all(wrap_lines(str(t), room, font_size, bold, italic) <= across for t in texts if t)

    low, high = 1, round(MAX_ROW_PT / 0.75)  # in pixels: the answer is in [low, high]
    if not fits(high):
        return MAX_ROW_PT
    while low < high:  # wrapping in more room never takes more lines
        middle = (low + high) // 2
        if fits(middle):
            high = middle
        else:
            low = middle + 1
    return _whole_pixels(high * 0.75)


def use_default_font(wb, size: float = DEFAULT_SIZE) -> None:
    """Make Times New Roman `size` the default font of openpyxl workbook `wb` (call before adding styles).

    The default font (the "Normal" style's, the first in styles.xml) is the unit of every column width; openpyxl has
    no public way to set it, so the workbook's font list is started again with it.
    """
    from openpyxl.styles import Font
    from openpyxl.utils.indexed_list import IndexedList

    font = Font(name=FONT, size=size)
    wb._fonts = IndexedList([font])
    wb._named_styles["Normal"].font = font  # rebinds the style: font index 0


if __name__ == "__main__":  # python -m generator.xlsxfit /usr/share/fonts/truetype/liberation2
    METRICS_FILE.parent.mkdir(exist_ok=True)
    METRICS_FILE.write_text(metrics_json(derive_metrics(Path(sys.argv[1]))), encoding="ascii")
    print(f"wrote {METRICS_FILE}")
