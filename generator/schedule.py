"""Timeframe wording ("Thường xuyên", "2023-2025", ...) parsed into a `Schedule`."""

from __future__ import annotations

import re

from .model import Schedule

_YEAR = r"(20\d\d)"
_PERIOD = re.compile(rf"{_YEAR}\s*[-–]\s*{_YEAR}")
_SINGLE = re.compile(_YEAR)


def parse_timeframe(text: str) -> Schedule:
    """Parse official timeframe wording; raise ValueError with a Vietnamese message if it is not understood."""
    words = " ".join(text.split())
    key = words.lower()
    if key == "thường xuyên":
        return Schedule("continuous", words)
    if key in ("hàng năm", "hằng năm"):
        return Schedule("annual", words)
    if key.startswith("sau khi"):
        return Schedule("conditional", words)
    if m := _PERIOD.fullmatch(key):
        start, end = int(m[1]), int(m[2])
        if start > end:
            raise ValueError(f'giai đoạn "{words}" có năm bắt đầu sau năm kết thúc')
        return Schedule("period", words, start, end)
    if _SINGLE.fullmatch(key):
        return Schedule("period", words, int(key), int(key))
    raise ValueError(
        f'không hiểu thời gian hoàn thành "{words}"; hãy ghi "Thường xuyên", "Hàng năm", một năm (2023), '
        'một giai đoạn (2023-2025) hoặc "Sau khi có ..."'
    )
