"""The round of one year as the office follows it: the counts (`round_counts`), the status board's rows
(`board_rows`, filtered by `filter_rows`, sorted by `sort_rows`) and the overview of every plan and year
(`overview`). Pure over `review.round_status`'s rows, so `kehoach status` and the web pages count alike.

Counting: every agency that reports that year is in exactly one of on time (`Đã nộp`), late (`Nộp muộn`), to be
corrected (its counted version is `can-bo-sung`: not counted as sent, whenever it came) and missing (nothing counted:
`Chưa nộp`, or `Quá hạn` after the deadline)."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..errors import KehoachError
from ..plan.assignments import report_date
from ..plan.model import Plan
from .review import AgencyStatus, round_status, state_label

CORRECTION = "can-bo-sung"
ON_TIME, LATE, MISSING = "Đã nộp", "Nộp muộn", ("Chưa nộp", "Quá hạn")

# the board's groups (`?trang-thai=`): slug -> label, in the order of the filter's links
GROUPS = {"dung-han": "Đã nộp đúng hạn", "nop-muon": "Nộp muộn", "can-bo-sung": "Cần bổ sung",
          "chua-nop": "Chưa nộp", "canh-bao": "Có cảnh báo"}
# the board's orders (`?sap-xep=`): slug -> label
ORDERS = {"ten": "Tên đơn vị", "trang-thai": "Tình trạng", "ngay-nhan": "Ngày nhận"}
_GROUP_ORDER = ("chua-nop", "can-bo-sung", "nop-muon", "dung-han")  # sorted by state: who needs attention first


def group_of(row: AgencyStatus) -> str:
    """The board group of a status row: chua-nop, can-bo-sung, nop-muon or dung-han (warnings are apart)."""
    if row.counted is None:
        return "chua-nop"
    if row.counted.review_state == CORRECTION:
        return CORRECTION
    return "nop-muon" if row.state == LATE else "dung-han"


@dataclass(frozen=True)
class RoundCounts:
    expected: int  # agencies that report that year
    on_time: int
    late: int
    correction: int  # counted version `can-bo-sung`: not sent until corrected
    missing: int
    warned: int  # of the sent ones (on time or late), those whose counted version has warnings

    @property
    def sent(self) -> int:
        return self.on_time + self.late


def round_counts(statuses: Iterable[AgencyStatus]) -> RoundCounts:
    groups = [(group_of(r), r) for r in statuses]
    sent = [r for g, r in groups if g in ("dung-han", "nop-muon")]
    count = [g for g, _ in groups].count
    return RoundCounts(len(groups), count("dung-han"), count("nop-muon"), count(CORRECTION), count("chua-nop"),
                       sum(bool(r.counted.all_warnings) for r in sent))


@dataclass(frozen=True)
class BoardRow:
    """One agency's line of the status board (as `kehoach status` prints it)."""

    agency: str  # id
    name: str
    state: str  # as `status` prints: Đã nộp | Nộp muộn | Quá hạn | Chưa nộp
    group: str  # GROUPS' slug (not canh-bao)
    version: int | None  # the counted version
    review_state: str | None
    review_label: str | None
    review_note: str
    arrived: dt.date | None
    received_at: str | None  # UTC ISO time the counted version was stored
    warnings: tuple[str, ...]

    def as_json(self) -> dict:
        return {"agency": self.agency, "name": self.name, "state": self.state, "group": self.group,
                "version": self.version, "review_state": self.review_state, "review_label": self.review_label,
                "review_note": self.review_note, "arrived": self.arrived.isoformat() if self.arrived else None,
                "received_at": self.received_at, "warnings": list(self.warnings)}


def board_rows(statuses: Iterable[AgencyStatus]) -> list[BoardRow]:
    rows = []
    for r in statuses:
        s = r.counted
        rows.append(BoardRow(r.agency.id, r.agency.name, r.state, group_of(r), s.version if s else None,
                             s.review_state if s else None, state_label(s.review_state) if s else None,
                             s.review_note if s else "", r.arrived, s.received_at if s else None,
                             s.all_warnings if s else ()))
    return rows


def name_key(name: str) -> tuple[str, str]:
    """Vietnamese alphabetical order, roughly: letters without their tone and vowel marks first (đ after d), then
    the marks break ties."""
    folded = unicodedata.normalize("NFD", name.casefold().replace("đ", "d\uffff"))
    return "".join(c for c in folded if not unicodedata.combining(c)), unicodedata.normalize("NFC", name.casefold())


def _unknown(option: str, value: str, known: dict[str, str]) -> KehoachError:
    return KehoachError(f'{option}="{value}" không có; hãy chọn một trong: {", ".join(known)}')


def filter_rows(rows: Sequence[BoardRow], group: str | None) -> list[BoardRow]:
    """The rows of one group (GROUPS; canh-bao: with warnings); None or "": all of them."""
    if not group:
        return list(rows)
    if group not in GROUPS:
        raise _unknown("trang-thai", group, GROUPS)
    if group == "canh-bao":
        return [r for r in rows if r.warnings]
    return [r for r in rows if r.group == group]


def sort_rows(rows: Sequence[BoardRow], order: str | None) -> list[BoardRow]:
    """The rows in the plan's order (None or ""), by name (ten), by state (trang-thai: missing, to correct, late,
    on time) or by received date (ngay-nhan: earliest first, nothing received last); ties keep the plan's order."""
    if not order:
        return list(rows)
    if order not in ORDERS:
        raise _unknown("sap-xep", order, ORDERS)
    if order == "ten":
        return sorted(rows, key=lambda r: name_key(r.name))
    if order == "trang-thai":
        return sorted(rows, key=lambda r: _GROUP_ORDER.index(r.group))
    return sorted(rows, key=lambda r: (r.received_at is None, r.arrived or dt.date.max, r.received_at or ""))


# ------------------------------------------------------------------------------------------------ the overview


@dataclass(frozen=True)
class RoundOverview:
    plan: str  # id
    year: int
    deadline: dt.date
    counts: RoundCounts


def overview_years(first: int, last: int, stored: Iterable[int], reports) -> list[int]:
    """The years the overview lists, newest first: each year from the plan's first (`first`) to `last` (today's)
    in which some agency reports by the plan's schedule (`reports(year)`), and every year with something stored."""
    years = {y for y in range(first, last + 1) if reports(y)} | {y for y in stored if y >= first}
    return sorted(years, reverse=True)


def round_overview(plan: Plan, year: int, store, today: dt.date) -> RoundOverview:
    """One plan's round of `year` (`plan`: the plan in force for that year), from the database (`store`, or None
    when there is none yet)."""
    subs = store.submissions(plan.id, year) if store is not None else []
    return RoundOverview(plan.id, year, report_date(plan, year), round_counts(round_status(plan, year, subs, today)))
