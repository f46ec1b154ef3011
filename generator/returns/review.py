"""The office's review of returned versions: the core the command line (and later a web page) builds on.

* Every version an agency sends has a review state (`store.REVIEW_STATES`): da-nhan (received, the default),
  can-bo-sung (needs correction; a note saying what is required), da-duyet (approved), khong-dung (set aside: never
  counted). The version that counts for an agency and year is its latest version not set aside (`Store.latest`);
  setting one aside makes the one before count again, in `status` and in the summary alike.
* Nothing is replaced without a trace: every ingest and every review is one line of an append-only history
  (`Store.events`), with its time, who did it and what changed.
* Warnings that point at a wrong file are added when a version is stored: its file name is another agency's form
  name (`file_name_warning`); it has fewer filled tasks than the version counted until then, or the same content
  (`comparison_warnings`). They depend on the moment of ingest, so they are kept apart from the form reader's own
  (`Submission.ingest_warnings`; `all_warnings` gives both), which a re-reading of the original must reproduce.
* When a report arrived (`arrival_date`: the day given with `ingest --received`, else the ingest day) decides
  lateness (`round_status`); a form of another year than the current reporting year needs `--year`
  (`year_problem`).

Functions here return data or raise `ReviewError` (one Vietnamese sentence); formatting is the caller's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import KehoachError
from ..plan.assignments import assignments, report_date
from ..plan.model import Agency, Plan
from .dbschema import NOTE_REQUIRED, REVIEW_STATES, SET_ASIDE
from .model import Entry, Event, FormReading, Submission

if TYPE_CHECKING:
    from .store import Store


STATE_LABELS = {"da-nhan": "Đã nhận", "can-bo-sung": "Cần bổ sung", "da-duyet": "Đã duyệt", "khong-dung": "Không dùng"}
ROLE_LABELS = {"lead": "chủ trì", "partner": "phối hợp", "expired": "đã hết hạn", "": "không được giao"}
FORM_SUFFIXES = (".docx", ".docm", ".doc", ".dotx", ".dotm")


class ReviewError(KehoachError):
    """A review that cannot be done, as one Vietnamese sentence."""


def state_label(state: str) -> str:
    return STATE_LABELS.get(state, state)


def agency_name(plan: Plan, year: int, agency_id: str) -> str:
    """The agency's name as on the year's reporting date (renamed agencies), else as in the registry."""
    from ..plan.timeline import agency_at

    reg = plan.registry
    if agency_id in reg.agencies or (agency_id in reg.groups and reg.groups[agency_id].generic):
        return agency_at(reg, agency_id, report_date(plan, year)).name
    return reg.name_of(agency_id) if agency_id in reg.groups else agency_id


# ------------------------------------------------------------------------------------------------ wrong files


def _form_stem(filename: str) -> str:
    """"so-du-lich.docx", "So-Du-Lich (1).docx" (a second download) -> "so-du-lich"."""
    name = Path(filename.strip()).name
    if name.lower().endswith(FORM_SUFFIXES):
        name = name[: name.rindex(".")]
    return re.sub(r"\s*\(\d+\)$", "", name).strip().lower()


def file_name_warning(plan: Plan, reading: FormReading, filename: str) -> str | None:
    """A warning when the file is named as another agency's form (kehoach names each form <agency id>.docx): the
    agency most likely sent a form that is not its own."""
    stem = _form_stem(filename)
    reg = plan.registry
    if stem == reading.agency or (stem not in reg.agencies and stem not in reg.groups):
        return None
    return (f'tên tệp "{Path(filename).name}" là tên biểu mẫu của {agency_name(plan, reading.year, stem)}, nhưng '
            f"biểu mẫu là của {agency_name(plan, reading.year, reading.agency)}: có thể đơn vị đã gửi nhầm tệp")


def file_name_warnings(plan: Plan, reading: FormReading, filename: str) -> tuple[str, ...]:
    """`file_name_warning` as the warnings to store with the version (`Store.add_many`'s fourth item)."""
    warning = file_name_warning(plan, reading, filename)
    return (warning,) if warning else ()


def filled_tasks(entries: tuple[Entry, ...]) -> int:
    return sum(not e.is_empty for e in entries)


def _content(entries: tuple[Entry, ...], sections: dict[str, str]) -> tuple:
    return (sorted((e.task_id, e.result, e.status_text, e.note) for e in entries),
            sorted((k, v) for k, v in sections.items() if v))


def comparison_warnings(reading: FormReading, counted: Submission | None) -> list[str]:
    """Warnings of a new version against the version counted until now (None: the first one)."""
    if counted is None:
        return []
    if _content(reading.entries, reading.sections) == _content(counted.entries, counted.sections):
        return [f"không thay đổi nội dung so với phiên bản {counted.version} đang được tính (tệp khác nhưng kết quả "
                "giống hệt)"]
    new, old = filled_tasks(reading.entries), filled_tasks(counted.entries)
    if new < old:
        return [f"bản này điền {new} nhiệm vụ, ít hơn {old} nhiệm vụ của phiên bản {counted.version} đang được tính: "
                "có thể là tệp cũ hoặc gửi nhầm tệp"]
    return []


# ------------------------------------------------------------------------------------------------ dates and years


def reporting_year(today: dt.date) -> int:
    """The year whose report is being collected now: the year of today's date."""
    return today.year


def year_problem(form_year: int, today: dt.date) -> str | None:
    """Why a form read without an explicit --year is refused (it belongs to another year than the current one)."""
    current = reporting_year(today)
    if form_year == current:
        return None
    return (f"biểu mẫu là báo cáo năm {form_year}, không phải năm báo cáo hiện tại {current}; hãy gửi đơn vị biểu mẫu "
            f"năm {current}, hoặc nếu đúng là báo cáo năm {form_year} thì nhận bằng kehoach ingest --year {form_year}")


def arrival_day(day: dt.date, today: dt.date, option: str = "--received") -> str:
    """The day files arrived, as stored (YYYY-MM-DD); a day after today is a typing mistake."""
    if day > today:
        raise ReviewError(f"{option} {day:%d/%m/%Y} là ngày trong tương lai; hãy ghi ngày các báo cáo đến (ngày trên "
                          "thư điện tử hoặc công văn)")
    return day.isoformat()


def arrival_date(s: Submission) -> dt.date:
    """When a version arrived: the day given at ingest (--received), else the local date it was ingested."""
    if s.arrived_on:
        return dt.date.fromisoformat(s.arrived_on)
    return s.received.astimezone().date()


# ------------------------------------------------------------------------------------------------ reviewing


def resolve_agency(plan: Plan, text: str) -> str:
    """An agency id from what the clerk typed: the id, its form's file name (so-cong-thuong.docx, with or without a
    folder) or its name."""
    stem = _form_stem(text)
    reg = plan.registry
    if stem in reg.agencies or stem in reg.groups:
        return stem
    wanted = " ".join(text.split()).casefold()
    for agency_id, agency in reg.agencies.items():
        if agency.name.casefold() == wanted:
            return agency_id
    raise ReviewError(f'không có đơn vị "{text}" trong danh mục đơn vị của Kế hoạch {plan.meta.number}; hãy ghi mã '
                      "đơn vị như tên tệp biểu mẫu, ví dụ so-cong-thuong hoặc so-cong-thuong.docx")


def _states_list() -> str:
    return ", ".join(f"{s} ({state_label(s).lower()})" for s in REVIEW_STATES)


@dataclass(frozen=True)
class ReviewResult:
    agency: str
    name: str
    year: int
    submission: Submission  # the version reviewed, as it was before
    state: str
    note: str
    previous_state: str | None  # None: it already had this state and note, nothing was recorded
    counted: Submission | None  # the version that counts now


def review_version(store: Store, plan: Plan, year: int, agency: str, version: int, state: str, note: str | None,
                   user: str) -> ReviewResult:
    """Set the review state of one version (recorded in the history). `agency`: as `resolve_agency` takes it."""
    if state not in REVIEW_STATES:
        raise ReviewError(f'trạng thái "{state}" không có; hãy chọn một trong: {_states_list()}')
    note = " ".join((note or "").split())
    if state in NOTE_REQUIRED and not note:
        raise ReviewError(f'trạng thái "{state}" ({state_label(state).lower()}) phải kèm ghi chú nói rõ đơn vị cần '
                          'bổ sung gì: thêm --note "..."')
    agency_id = resolve_agency(plan, agency)
    name = agency_name(plan, year, agency_id)
    versions = store.history(plan.id, year, agency_id)
    if not versions:
        raise ReviewError(f"{name} chưa gửi báo cáo năm {year}; không có phiên bản nào để duyệt")
    chosen = next((s for s in versions if s.version == version), None)
    if chosen is None:
        raise ReviewError(f"{name} có phiên bản {', '.join(str(s.version) for s in versions)} của báo cáo năm "
                          f"{year}, không có phiên bản {version}")
    previous = store.set_review(chosen.id, state, note, user)
    return ReviewResult(agency_id, name, year, chosen, state, note, previous, store.counted(plan.id, year, agency_id))


@dataclass(frozen=True)
class AgencyRecord:
    """Everything kehoach knows of one agency's report for a year."""

    agency: str
    name: str
    year: int
    versions: list[Submission]  # oldest first, with their readings
    counted: Submission | None
    events: list[Event]
    other_years: tuple[int, ...]  # years with versions of this agency, besides `year`


def agency_record(store: Store, plan: Plan, year: int, agency: str) -> AgencyRecord:
    agency_id = resolve_agency(plan, agency)
    versions = store.history(plan.id, year, agency_id)
    counted = next((s for s in reversed(versions) if s.review_state != SET_ASIDE), None)
    years = tuple(y for y in store.years_of(plan.id, agency_id) if y != year)
    return AgencyRecord(agency_id, agency_name(plan, year, agency_id), year, versions, counted,
                        store.events(plan.id, year, agency_id), years)


def who(event: Event) -> str:
    if event.user is None:
        return "(không rõ: nhận trước khi kehoach ghi lịch sử)"
    return event.user or "(không rõ)"


def describe(event: Event) -> str:
    """What an event changed, as one Vietnamese phrase."""
    if event.action == "ingest":
        warned = f", {event.warnings} cảnh báo" if event.warnings else ""
        return f"nhận phiên bản {event.version} (tệp {event.filename}){warned}"
    text = (f'phiên bản {event.version}: "{state_label(event.previous_state or "")}" → '
            f'"{state_label(event.state)}"')
    return text + (f"; ghi chú: {event.note}" if event.note else "")


# ------------------------------------------------------------------------------------------------ the round


@dataclass(frozen=True)
class AgencyStatus:
    agency: Agency
    state: str  # "Đã nộp" | "Nộp muộn" | "Quá hạn" | "Chưa nộp"
    counted: Submission | None  # the version that counts (None: nothing counted)
    arrived: dt.date | None  # when the counted version arrived


def round_status(plan: Plan, year: int, submissions: list[Submission], today: dt.date) -> list[AgencyStatus]:
    """Each agency expected to report for the year: its counted version and whether it reported, late or not.
    Late: the first version not set aside arrived after the deadline."""
    kept: dict[str, list[Submission]] = {}
    for s in sorted(submissions, key=lambda s: (s.agency, s.version)):
        if s.review_state != SET_ASIDE:
            kept.setdefault(s.agency, []).append(s)
    due = report_date(plan, year)
    rows = []
    for at in assignments(plan, year):
        mine = kept.get(at.agency.id)
        if not mine:
            rows.append(AgencyStatus(at.agency, "Quá hạn" if today > due else "Chưa nộp", None, None))
            continue
        late = arrival_date(mine[0]) > due
        rows.append(AgencyStatus(at.agency, "Nộp muộn" if late else "Đã nộp", mine[-1], arrival_date(mine[-1])))
    return rows
