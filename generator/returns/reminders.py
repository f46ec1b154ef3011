"""Reminders (công văn đôn đốc): who must still send or correct the report of a year, the letter and the list.

* Who (`due_reminders`, pure): the agencies that report that year (`plan.assignments`, as `review.round_status`
  sees them) and have no counted version (nothing sent, or everything set aside), or whose counted version is
  `can-bo-sung`, with the office's note. Each is named as on the letter's date (`plan.timeline`): a body that
  ceased by then is replaced by the body that took over its tasks. The receiving body's own working sheet is kept
  apart (`Reminders.own`): it does not write to itself.
* The letter: `forms.letter.reminder_docx` (the decree's layout of a công văn), sent by the receiving body of that
  year; `write_reminders` (the use case of `kehoach reminders`) builds it and writes it atomically.
* The list for an email (`reminder_lines`): one line per agency, name and reason; `links` (agency id -> URL, from
  the web app) adds each agency's upload link.

Functions here return data or raise `KehoachError`s; printing is the caller's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import KehoachError
from ..plan.assignments import receiver_at, report_date
from ..plan.model import Agency, Plan
from ..plan.timeline import agency_at, ceasing_event, exists, recipients
from .model import Submission
from .review import round_status
from .text import clean_text


MISSING, CORRECTION = "chua-gui", "can-bo-sung"
REASONS = {MISSING: "chưa gửi báo cáo", CORRECTION: "cần bổ sung báo cáo"}
REPLY_DAYS = 7  # a letter dated after the deadline asks for the report within this many days of its date


@dataclass(frozen=True)
class Reminder:
    agency: str  # the id of the agency that owes the report (its form's file name, the key of `links`)
    name: str  # whom the letter is addressed to, as named on the letter's date
    reason: str  # MISSING | CORRECTION
    note: str = ""  # the office's note on the counted version (CORRECTION)
    version: int | None = None  # the counted version (CORRECTION)

    @property
    def reason_text(self) -> str:
        return REASONS[self.reason]


@dataclass(frozen=True)
class Reminders:
    plan: Plan
    year: int
    date: dt.date  # the letter's date
    by: dt.date  # the date the letter asks the reports by
    sender: Agency  # the receiving body of the year, which writes the letter
    items: tuple[Reminder, ...]  # in the plan's order of agencies (as `status` lists them)
    own: Reminder | None  # the sender's own working sheet, when it is missing or must be corrected

    @property
    def missing(self) -> tuple[Reminder, ...]:
        return tuple(r for r in self.items if r.reason == MISSING)

    @property
    def corrections(self) -> tuple[Reminder, ...]:
        return tuple(r for r in self.items if r.reason == CORRECTION)

    @property
    def addressees(self) -> tuple[str, ...]:
        """The names under "Kính gửi:", each once (two bodies merged into one are one addressee)."""
        return tuple(dict.fromkeys(r.name for r in self.items))


def reply_date(plan: Plan, year: int, when: dt.date) -> dt.date:
    """The date a letter dated `when` asks the reports by: the deadline, or REPLY_DAYS after a letter written
    after it."""
    due = report_date(plan, year)
    return due if when <= due else when + dt.timedelta(days=REPLY_DAYS)


def addressee_name(plan: Plan, agency_id: str, when: dt.date) -> str:
    """The name to address `agency_id` by on `when`: its name then; for a body that ceased by then, the body (or
    bodies) that took over its tasks; for a body not yet established, its name when it is."""
    reg = plan.registry
    if agency_id in reg.groups or exists(reg, agency_id, when):
        return agency_at(reg, agency_id, when).name
    if ceasing_event(reg, agency_id, when) is not None:
        successors = recipients(reg, agency_id, False, when)
        if successors:
            return ", ".join(agency_at(reg, r.id, when).name for r in successors)
    return reg.agencies[agency_id].name


def due_reminders(plan: Plan, year: int, submissions: Sequence[Submission], when: dt.date,
                  by: dt.date | None = None) -> Reminders:
    """Who must be reminded on `when` of the report of `year`: missing or to be corrected (pure). `by`: the date the
    letter asks the reports by (default `reply_date`); not before the letter's date."""
    if by is not None and by < when:
        raise KehoachError(f"hạn gửi báo cáo --by {by:%d/%m/%Y} ở trước ngày công văn {when:%d/%m/%Y}; hãy ghi một "
                           "ngày từ ngày công văn trở đi")
    sender = receiver_at(plan, year)
    items: list[Reminder] = []
    own = None
    for row in round_status(plan, year, list(submissions), when):
        counted = row.counted
        if counted is None:
            r = Reminder(row.agency.id, addressee_name(plan, row.agency.id, when), MISSING)
        elif counted.review_state == CORRECTION:
            r = Reminder(row.agency.id, addressee_name(plan, row.agency.id, when), CORRECTION, clean_text(counted.review_note),
                         counted.version)
        else:
            continue
        if row.agency.id == sender.id:
            own = r
        else:
            items.append(r)
    return Reminders(plan, year, when, by or reply_date(plan, year, when), sender, tuple(items), own)


def reminder_lines(reminders: Sequence[Reminder], links: Mapping[str, str] | None = None) -> list[str]:
    """The list to paste into an email: "<name> — <reason>[: <note>][ — <link>]", one agency a line."""
    lines = []
    for r in reminders:
        line = f"{r.name} — {r.reason_text}" + (f": {r.note}" if r.note else "")
        if links and r.agency in links:
            line += f" — {links[r.agency]}"
        lines.append(line)
    return lines


def nobody_to_remind(year: int) -> str:
    """What is said when no agency is to be reminded (and no letter is written)."""
    return (f"Không có đơn vị nào cần đôn đốc: mọi đơn vị phải báo cáo năm {year} đã gửi báo cáo và không có báo cáo "
            "nào cần bổ sung; không ghi công văn.")


def default_letter_path(plan: Plan, year: int, when: dt.date) -> Path:
    """Where `kehoach reminders` writes the letter without --out (beside the year's pack, not inside it: the pack
    folder is replaced whole)."""
    return Path("output") / plan.id / f"cong-van-don-doc-{year}-{when:%Y-%m-%d}.docx"


def build_reminder(r: Reminders) -> bytes:
    from ..forms.letter import reminder_docx

    return reminder_docx(r.plan, r.year, r.date, r.by, r.sender, r.addressees,
                         [(x.name, x.note) for x in r.corrections],
                         missing=tuple(dict.fromkeys(x.name for x in r.missing)))


def write_reminders(plan: Plan, year: int, db: Path | None, when: dt.date, target: Path | None = None,
                    by: dt.date | None = None) -> tuple[Reminders, Path | None, Path | None]:
    """The use case of `kehoach reminders`: (who, the letter written or None when nobody is to be reminded, the
    database read or None when there is none yet). The letter is built in memory and written atomically; it is
    never written over a database (`fsutil.atomic_write_bytes`, `guard.refuse_overwrite`)."""
    from ..fsutil import atomic_write_bytes
    from .store import db_path, open_store

    path: Path | None = db_path(db)
    subs: list[Submission] = []
    if not path.exists():  # nothing received yet: everyone is still to report (as `status` says)
        path = None
    else:
        with open_store(path, create=False) as store:
            subs = store.submissions(plan.id, year)
    r = due_reminders(plan, year, subs, when, by)
    if not r.items:
        return r, None, path
    data = build_reminder(r)
    out = target or default_letter_path(plan, year, when)
    atomic_write_bytes(out, data)
    return r, out, path
