"""Timeframe wording ("Thường xuyên", "2023-2025", "Quý IV/2023", ...) parsed into a `Schedule`.

The wording is kept verbatim for display; only its reading decides which years' forms a task is in:
- recurring wording ("Thường xuyên", "Hằng năm", "Hằng quý", "6 tháng đầu năm", "Sau khi có ...") is reported
  every year;
- a completion deadline (a year, a quarter, a month, a date) is reported from the plan's first year up to the
  deadline's year, and counts as past its deadline afterwards;
- a period ("2023-2025", "Giai đoạn 2023-2025") from its first to its last year; "Từ năm 2024" and "2023 và các năm
  tiếp theo" from that year on, with no end.
Wording read none of these ways is `unknown`: reported every year, and the loader warns about it. Wording that reads
as an impossible date or period (month 13, 30/2, 2025-2023) is refused (ValueError).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata

from .model import Schedule


_Y = r"(20\d\d)"
_DASH = r"\s*[-–—]\s*"
_EVERY = r"(?:định kỳ )?(?:hàng|hằng|mỗi) "
_QUARTERS = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_BY = r"(?:(?:trong|trước|đến|chậm nhất|hoàn thành|hoàn thành trong|hoàn thành trước) )?"
_OF_YEAR = r"\s*(?:/|năm)\s*"

_RECURRING = [
    (re.compile(r"thường xuyên(?:,? (?:liên tục|hàng năm|hằng năm))?"), "continuous"),
    (re.compile(rf"{_EVERY}năm"), "annual"),
    (re.compile(rf"(?:quý (?:i|ii|iii|iv|[1-4])|tháng \d{{1,2}}|(?:trước )?ngày \d{{1,2}}/\d{{1,2}}) {_EVERY}năm"),
     "annual"),
    (re.compile(rf"{_EVERY}quý"), "quarterly"),
    (re.compile(rf"{_EVERY}tháng"), "monthly"),
    (re.compile(r"(?:định kỳ )?(?:6|sáu) tháng (?:đầu|cuối) (?:mỗi |hàng |hằng )?năm"), "half-yearly"),
    (re.compile(rf"(?:định kỳ )?(?:(?:6|sáu) tháng (?:một|1) lần|{_EVERY}(?:6|sáu) tháng)"), "half-yearly"),
]
_PERIOD = re.compile(rf"(?:giai đoạn |năm |từ năm |từ )?{_Y}(?:{_DASH}|\s+(?:đến|tới)\s+(?:năm\s+)?){_Y}")
_OPEN = re.compile(rf"(?:từ năm|từ) {_Y}(?: trở đi)?|(?:năm )?{_Y} (?:và các năm tiếp theo|trở đi)")
_YEAR = re.compile(rf"(?:(?:trong|đến|hoàn thành|hoàn thành trong) )?(?:năm )?{_Y}")  # not "trước năm 2025"
_QUARTER = re.compile(rf"{_BY}quý (i|ii|iii|iv|\d+){_OF_YEAR}{_Y}")
_MONTH = re.compile(rf"{_BY}tháng (\d{{1,2}}){_OF_YEAR}{_Y}")
_HALF = re.compile(rf"{_BY}(?:6|sáu) tháng (đầu|cuối) năm {_Y}")
_DATE = re.compile(rf"{_BY}(?:ngày )?(\d{{1,2}})\s*/\s*(\d{{1,2}})\s*/\s*{_Y}")
_DATE_WORDS = re.compile(rf"{_BY}(?:ngày )?(\d{{1,2}}) tháng (\d{{1,2}}) năm {_Y}")


def _words(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def timeframe_key(text: str) -> str:
    """The form of a timeframe the rules read: NFC, spaces collapsed, lower case, no final full stop."""
    return _words(text).lower().rstrip(".").rstrip()


def _month_end(year: int, month: int, words: str) -> dt.date:
    if not 1 <= month <= 12:
        raise ValueError(f'thời gian hoàn thành "{words}" ghi tháng {month}, không có tháng này')
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _deadline(words: str, due: dt.date) -> Schedule:
    return Schedule("deadline", words, None, due.year, due)


def parse_timeframe(text: str) -> Schedule:
    """Read official timeframe wording (kept verbatim in `text`); `kind == "unknown"` when it cannot be read.

    Raises ValueError with a Vietnamese message when the wording gives an impossible period or date."""
    words = _words(text)
    key = timeframe_key(text)
    for pattern, kind in _RECURRING:
        if pattern.fullmatch(key):
            return Schedule(kind, words)
    if key.startswith("sau khi"):
        return Schedule("conditional", words)
    if m := _PERIOD.fullmatch(key):
        start, end = int(m[1]), int(m[2])
        if start > end:
            raise ValueError(f'giai đoạn "{words}" có năm bắt đầu sau năm kết thúc')
        return Schedule("period", words, start, end)
    if m := _OPEN.fullmatch(key):
        return Schedule("open", words, int(m[1] or m[2]), None)
    if m := _YEAR.fullmatch(key):
        return _deadline(words, dt.date(int(m[1]), 12, 31))
    if (m := _QUARTER.fullmatch(key)) and m[1] in _QUARTERS:
        return _deadline(words, _month_end(int(m[2]), 3 * _QUARTERS[m[1]], words))
    if m := _MONTH.fullmatch(key):
        return _deadline(words, _month_end(int(m[2]), int(m[1]), words))
    if m := _HALF.fullmatch(key):
        return _deadline(words, dt.date(int(m[2]), 6 if m[1] == "đầu" else 12, 30 if m[1] == "đầu" else 31))
    if m := (_DATE.fullmatch(key) or _DATE_WORDS.fullmatch(key)):
        day, month, year = int(m[1]), int(m[2]), int(m[3])
        try:
            return _deadline(words, dt.date(year, month, day))
        except ValueError:
            raise ValueError(f'thời gian hoàn thành "{words}" ghi ngày {day}/{month}/{year}, không có ngày này') from None
    return Schedule("unknown", words)


def unknown_warning(code: str, text: str) -> str:
    """The warning `validate` gives for timeframe wording it cannot read."""
    return (f'không hiểu thời gian hoàn thành "{text}" của nhiệm vụ {code}: giữ nguyên văn và đưa nhiệm vụ vào biểu '
            'mẫu mọi năm; nếu nhiệm vụ có thời hạn, hãy ghi thời hạn theo một cách viết được hỗ trợ (README, mục '
            '"Thời gian hoàn thành")')
