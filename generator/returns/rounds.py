"""The rounds the office can open: the years of a plan with something stored, and the current one."""

from __future__ import annotations

import datetime as dt
import sqlite3

from ..errors import describe_sqlite_error
from .store import Store


def round_years(store: Store, plan: str, today: dt.date) -> list[int]:
    """The years with a submission or a link of `plan`, and today's year, newest first."""
    try:
        years = {r[0] for r in store.conn.execute(
            "SELECT year FROM submissions WHERE plan = ? UNION SELECT year FROM links WHERE plan = ?", (plan, plan))}
    except sqlite3.Error as e:
        raise describe_sqlite_error(e, store.path) from e
    return sorted(years | {today.year}, reverse=True)
