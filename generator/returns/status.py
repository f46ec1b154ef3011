"""Who has reported for a year: on time, late, overdue or still to come."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..plan.assignments import report_date
from ..plan.model import Plan
from .store import db_path, open_store


def local_time(received_at: str) -> dt.datetime:
    return dt.datetime.fromisoformat(received_at.replace("Z", "+00:00")).astimezone()


def status_rows(p: Plan, year: int, db: Path | None, today: dt.date):
    """(the round's status of every agency that reports that year (`review.round_status`), the due date, the
    database path or None when there is no database yet)."""
    from .review import round_status

    subs = []
    path: Path | None = db_path(db)
    if not path.exists():  # nothing received yet: everyone is still to report
        path = None
    else:
        with open_store(path, create=False) as store:
            subs = store.submissions(p.id, year)
    return round_status(p, year, subs, today), report_date(p, year), path


def late_agencies(store, p: Plan, year: int) -> set[str]:
    """The agencies whose report of `year` arrived late, as `status` says "Nộp muộn" (`review.round_status`)."""
    from .review import round_status

    rows = round_status(p, year, store.submissions(p.id, year), dt.date.today())
    return {r.agency.id for r in rows if r.state == "Nộp muộn"}
