"""The appendix as printed: phu-luc.xlsx converted by LibreOffice to PDF and read back with pdfplumber.

Nghị định 30/2020 prints no page number on page 1 and the number from page 2 on, centred at the top; a group row
("IV ...") stays on the page of its first task; each row is as tall as its wrapped text (about one line of slack at
most) and no text is cut. Checked on the plan itself and on the same tasks in many small groups, which puts group
rows at many places on the pages.
"""

from __future__ import annotations

import dataclasses
import statistics
import unicodedata

import pytest

from generator.forms.appendix import HEADERS, build_appendix
from lo import requires_soffice, to_pdf

pytestmark = [pytest.mark.libreoffice, requires_soffice]

pdfplumber = pytest.importorskip("pdfplumber")

MM = 72 / 25.4
TOP_MARGIN = 20 * MM  # the page number prints above it


def roman(n: int) -> str:
    out = ""
    for value, digits in ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out, n = out + digits, n - value
    return out


def small_groups(plan):
    """The plan's tasks in groups of 1, 2 or 3 (numbered I, II, ...; titles taken from the plan's groups in turn)."""
    tasks = [t for g in plan.groups for t in g.tasks]
    groups, size = [], 0
    while tasks:
        size = size % 3 + 1
        chunk, tasks = tasks[:size], tasks[size:]
        source = plan.groups[len(groups) % len(plan.groups)]
        numeral = roman(len(groups) + 1)
        chunk = tuple(dataclasses.replace(t, numeral=numeral, number=i) for i, t in enumerate(chunk, start=1))
        groups.append(dataclasses.replace(source, id=f"g{len(groups)}", numeral=numeral, tasks=chunk))
    return dataclasses.replace(plan, groups=tuple(groups))


def squeeze(text: str) -> str:
    """The text without any whitespace: a line break may fall after a hyphen, where the PDF has no space."""
    return "".join(unicodedata.normalize("NFC", text).split())


def _cluster(values, tol: float = 0.8) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > tol:
            out.append(v)
    return out


@dataclasses.dataclass
class Band:
    """One table row as printed: between two horizontal rules of one page."""

    page: int
    top: float
    bottom: float
    cells: list[list[dict]]  # words per column (a merged group title: all in column 1)
    chars: list[dict]

    def text(self, col: int, last: int | None = None) -> str:
        """The words of column `col` (through column `last`, for a merged cell) in reading order."""
        words = [w for c in range(col, (last if last is not None else col) + 1) for w in self.cells[c]]
        return " ".join(w["text"] for w in sorted(words, key=lambda w: (round(w["top"]), w["x0"])))

    def lines(self, col: int) -> list[float]:
        return _cluster((w["top"] for w in self.cells[col]), tol=2)


@dataclasses.dataclass
class Printed:
    pages: list  # per page: the words
    header_words: list  # per page: the words above the top margin (the page number)
    title_text: str  # the words on page 1 above the table
    bands: list[Band]
    page_width: float


def read_pdf(path) -> Printed:
    pages, headers, bands, title = [], [], [], ""
    with pdfplumber.open(path) as pdf:
        width = pdf.pages[0].width
        for number, page in enumerate(pdf.pages, start=1):
            words = page.extract_words(extra_attrs=["size"])
            chars = page.chars
            pages.append(words)
            headers.append([w for w in words if w["bottom"] < TOP_MARGIN])
            hs = _cluster(e["top"] for e in page.edges if e["orientation"] == "h")
            xs = _cluster(e["x0"] for e in page.edges if e["orientation"] == "v")
            assert len(xs) == 7, f"page {number}: {len(xs)} vertical rules, expected the 7 of a 6-column table"
            if number == 1:
                title = " ".join(w["text"] for w in words if TOP_MARGIN <= w["bottom"] and w["top"] < hs[0] - 1)
            for top, bottom in zip(hs, hs[1:]):
                inside = [w for w in words if top <= (w["top"] + w["bottom"]) / 2 < bottom]
                cells = [[w for w in inside if xs[c] <= w["x0"] < xs[c + 1]] for c in range(6)]
                band_chars = [c for c in chars if top <= (c["top"] + c["bottom"]) / 2 < bottom and c["text"].strip()]
                bands.append(Band(number, top, bottom, cells, band_chars))
            below = [w for w in words if w["top"] > hs[-1]]
            assert not below, f"page {number}: text under the table: {[w['text'] for w in below][:8]}"
    return Printed(pages, headers, title, bands, width)


def expected_rows(plan) -> list[tuple[str, list[str]]]:
    """(kind, cell texts) of every table row of `plan` as the appendix prints it, top to bottom."""
    rows = [("header", list(HEADERS))]
    for group in plan.groups:
        rows.append(("group", [group.numeral, group.title]))
        for t in group.tasks:
            rows.append(("task", [str(t.number), t.task, t.lead, t.partners, t.deliverable, t.timeframe.text]))
    return rows


def band_texts(band: Band, kind: str) -> list[str]:
    if kind == "group":
        return [band.text(0), band.text(1, last=5)]
    return [band.text(c) for c in range(6)]


@pytest.fixture(scope="module")
def printed(plan, tmp_path_factory):
    """name -> (plan, Printed) for the plan and for its tasks in small groups."""
    out = {}
    for name, variant in (("plan", plan), ("small-groups", small_groups(plan))):
        folder = tmp_path_factory.mktemp(f"appendix-print-{name}")
        xlsx = folder / "phu-luc.xlsx"
        xlsx.write_bytes(build_appendix(variant))
        out[name] = (variant, read_pdf(to_pdf(xlsx, folder)))
    return out


VARIANTS = ["plan", "small-groups"]


def table_bands(variant, doc: Printed) -> list[tuple[str, list[str], Band]]:
    """Each printed band matched with the row of the plan it prints (the header repeated on a page is dropped)."""
    rows = expected_rows(variant)
    header = [squeeze(h) for h in HEADERS]
    matched, i = [], 0
    for band in doc.bands:
        if i and [squeeze(band.text(c)) for c in range(6)] == header:
            assert band is next(b for b in doc.bands if b.page == band.page), "a header row inside a page"
            continue
        assert i < len(rows), f"page {band.page}: more table rows printed than the plan has"
        kind, cells = rows[i]
        matched.append((kind, cells, band))
        i += 1
    assert i == len(rows), f"{len(rows) - i} rows of the plan not printed"
    return matched


@pytest.mark.parametrize("name", VARIANTS)
def test_page_numbers_from_page_two_centred_at_the_top(printed, name):
    _variant, doc = printed[name]
    assert len(doc.pages) >= 2
    assert doc.header_words[0] == [], f"page 1 prints {[w['text'] for w in doc.header_words[0]]} at the top"
    left, right = 30 * MM, doc.page_width - 15 * MM
    for number, words in enumerate(doc.header_words[1:], start=2):
        assert [w["text"] for w in words] == [str(number)], f"page {number}: {[w['text'] for w in words]}"
        word = words[0]
        assert abs((word["x0"] + word["x1"]) / 2 - (left + right) / 2) < 3, f"page {number}: number not centred"
        assert 13 <= round(word["size"], 1) <= 14, f"page {number}: number in {word['size']} pt"


@pytest.mark.parametrize("name", VARIANTS)
def test_no_page_ends_with_a_group_row(printed, name):
    variant, doc = printed[name]
    matched = table_bands(variant, doc)
    groups = sum(1 for kind, _c, _b in matched if kind == "group")
    assert groups == len(variant.groups)
    for (kind, cells, band), (_next_kind, _next_cells, following) in zip(matched, matched[1:]):
        if kind == "group":
            assert following.page == band.page, (
                f"group {cells[0]} is the last row of page {band.page}; its first task is on page {following.page}")
    last_lines = [max(words, key=lambda w: w["bottom"]) for words in doc.pages]
    for number, (kind, cells, band) in enumerate(
            [next(m for m in reversed(matched) if m[2].page == p) for p in range(1, len(doc.pages))], start=1):
        assert band.top <= last_lines[number - 1]["top"] < band.bottom  # the page's last text line is in that row
        assert kind != "group", f"page {number} ends with group row {cells[0]}"


@pytest.mark.parametrize("name", VARIANTS)
def test_every_cell_prints_in_full_in_its_row(printed, name):
    variant, doc = printed[name]
    title = squeeze(doc.title_text)
    for line in (variant.meta.appendix_heading, variant.meta.appendix_title, variant.meta.appendix_attached):
        assert squeeze(line) in title, f"title line not printed in full: {line[:60]}"
    for kind, cells, band in table_bands(variant, doc):
        got = band_texts(band, kind)
        for col, (want, printed_text) in enumerate(zip(cells, got)):
            assert squeeze(printed_text) == squeeze(want), (
                f"page {band.page}, {kind} row {cells[0]}, column {col + 1}: printed {printed_text[-60:]!r}, "
                f"the plan has {want[-60:]!r}")
        for ch in band.chars:  # LibreOffice clips a row too short: the glyphs are in the PDF, outside their row
            assert band.top - 1 <= ch["top"] and ch["bottom"] <= band.bottom + 1, (
                f"page {band.page}, row {cells[0]}: text {ch['text']!r} cut by the row's bottom rule")


@pytest.mark.parametrize("name", VARIANTS)
def test_rows_are_no_more_than_a_line_taller_than_their_text(printed, name):
    variant, doc = printed[name]
    matched = table_bands(variant, doc)
    gaps = [b - a for _k, _c, band in matched for col in range(6)
            for a, b in zip(band.lines(col), band.lines(col)[1:])]
    pitch = statistics.median(gaps)  # one line of 12 pt text as LibreOffice prints it
    assert 12 < pitch < 16, f"lines {pitch:.1f} pt apart: the 12 pt text is not printed at 12 pt (scaled to fit?)"
    slack = []
    for kind, cells, band in matched:
        lines = max(len(band.lines(col)) for col in range(6))
        height = band.bottom - band.top
        assert height >= lines * pitch - 1, f"page {band.page}, row {cells[0]}: {lines} lines in {height:.1f} pt"
        extra = height - lines * pitch
        slack.append(extra)
        assert extra <= pitch + 6, (
            f"page {band.page}, {kind} row {cells[0]} ({cells[1][:40]}...): {height:.1f} pt for {lines} lines of "
            f"{pitch:.1f} pt, {extra / pitch:.1f} lines too tall")
    assert statistics.mean(slack) < pitch / 2 + 4  # most rows fit closely, not just within a line
