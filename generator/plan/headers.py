"""Whose name heads a document: the rule by kind of body (the registry, `headers`) applied to one agency (pure).

The left column of a document's header names the issuing body and, above it, the body it belongs to (cơ quan chủ
quản), if any; the date line starts with a place name (Nghị định 30/2020/NĐ-CP, Phụ lục I; see
../shared/reference/nd30-format.md). Which parent line and which place name a body uses depends on its kind:
a department sits under "UBND TỈNH ...", a People's Committee of a district or commune has no parent line and
dates its documents with its own place name, a central body's provincial branch sits under its central body.
The registry records that rule per kind, with its source; `heading` is the one place that applies it.

A proper name is never broken across lines: each line of a header is printed with non-breaking spaces, and a long
name is split only where the registry splits it (`header` given as a list of lines). `line_width_mm` estimates
the printed width of a line (Times New Roman bold, from the font's advance widths in xlsxfit) so that the loader can
refuse a line that would not fit the header column.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..office.pagelayout import HEADER_CELL_MARGIN_MM, HEADER_LEFT_MM


NBSP = "\u00a0"
HEADER_SIZE_PT = 13  # the parent and the body's name (nd30-format.md: 12-13 pt)
HEADER_COLUMN_MM = HEADER_LEFT_MM - 2 * HEADER_CELL_MARGIN_MM  # the width a line of the left column may take


@dataclass(frozen=True)
class Heading:
    parent: str  # the line above the body's name ("" when the body has none)
    lines: tuple[str, ...]  # the body's name, one item per printed line, upper case
    place: str  # the place name of the date line ("Khánh Hòa", "Nha Trang")


def line_width_mm(text: str, size_pt: float = HEADER_SIZE_PT, *, bold: bool = True) -> float:
    """The printed width of one header line in Times New Roman (the font's own advance widths, xlsxfit)."""
    from ..office.xlsxfit import text_width

    return text_width(text, size_pt, bold=bold) * 25.4 / 72


def unbreakable(line: str, *, bold: bool = True) -> str:
    """A header line whose words stay on one line (spaces made non-breaking), if it fits the column; a line too long
    for it (the loader warns) keeps its spaces, so that Word wraps it between words rather than inside one."""
    if line_width_mm(line.upper(), bold=bold) > HEADER_COLUMN_MM:
        return line
    return NBSP.join(line.split())


def heading(agency, rules, province_parent: str, province_place: str) -> Heading:
    """The header of `agency` (a model.Agency) under `rules` (kind -> model.HeaderRule): its parent line and place by
    the rule of its kind, its name as the lines the registry gives (or its name in upper case)."""
    rule = rules.get(agency.kind)
    parent = {"tinh": province_parent, "khong": "", "rieng": agency.parent_header or ""}[rule.parent if rule
                                                                                         else "tinh"]
    place = agency.place if rule is not None and rule.place == "rieng" and agency.place else province_place
    lines = agency.header_lines or ((agency.header or agency.name).upper(),)
    return Heading(parent, tuple(line.upper() for line in lines), place)
