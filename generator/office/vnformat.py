"""Vietnamese formatting per Nghị định 30/2020/NĐ-CP (see ../shared/reference/nd30-format.md)."""

from __future__ import annotations

import datetime as dt

from babel.dates import format_date


def long_date(d: dt.date) -> str:
    """'ngày 05 tháng 3 năm 2023': day below 10 and months 1-2 zero-padded (the decree's rule, not CLDR's)."""
    month = "MM" if d.month < 3 else "M"
    return format_date(d, f"'ngày' dd 'tháng' {month} 'năm' y", locale="vi")


def short_date(d: dt.date) -> str:
    """'24/02/2023', as plan numbers are cited ("Kế hoạch số 1627/KH-UBND ngày 24/02/2023")."""
    return format_date(d, "dd/MM/y", locale="vi")


DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d")  # how a clerk types a date (30/6/2025), and how a browser's date field sends it


def parse_date(text: str) -> dt.date | None:
    """A date typed as 30/6/2025 or 2025-06-30, or None when `text` is not one (`not_a_date` says so)."""
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            pass
    return None


def not_a_date(label: str, text: str) -> str:
    """The sentence refusing `text`, typed for `label` (an option, a field of a page), as a date."""
    return f'{label} "{text}" không phải là ngày; hãy ghi dạng ngày/tháng/năm, ví dụ 30/6/2025'


def blank_date_line(place: str, year: int) -> str:
    """The place-and-date line of a form: day and month left blank for the agency."""
    return f"{place}, ngày      tháng      năm {year}"


def to_roman(n: int) -> str:
    numerals = [(10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
    out = ""
    for value, letters in numerals:
        while n >= value:
            out += letters
            n -= value
    return out
