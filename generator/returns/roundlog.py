"""The round's log (`events`, schema 3: who added an account, issued a link, built a document, when) and the web
app's signing keys (`secrets`), over the store's connection; every write in one short transaction."""

from __future__ import annotations

import contextlib
import secrets as _random
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

from ..errors import describe_sqlite_error
from .dbschema import EVENT_ACTIONS
from .store import Store, utc_now

KEY_BYTES = 32  # 256 bits


@dataclass(frozen=True)
class LogLine:
    id: int
    at: str  # UTC, ISO 8601
    user: str | None
    plan: str | None
    year: int | None
    action: str
    agency: str | None
    detail: str


@contextlib.contextmanager
def transaction(store: Store) -> Iterator[sqlite3.Connection]:
    """One write transaction (BEGIN IMMEDIATE: the writers queue, none reads a stale row); all or nothing. SQLite
    errors become the store's sentence."""
    c = store.conn
    try:
        c.execute("BEGIN IMMEDIATE")
        try:
            yield c
            c.execute("COMMIT")
        except BaseException:
            if c.in_transaction:
                c.execute("ROLLBACK")
            raise
    except sqlite3.Error as e:
        raise describe_sqlite_error(e, store.path) from e


def record(c: sqlite3.Connection, action: str, user: str | None, *, plan: str | None = None, year: int | None = None,
           agency: str | None = None, detail: str = "", at: str | None = None) -> None:
    """Append one line to the log, inside the caller's transaction (`transaction`)."""
    if action not in EVENT_ACTIONS:
        raise ValueError(f"unknown event action {action!r}")
    c.execute("INSERT INTO events (at, user, plan, year, action, agency, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
              (at or utc_now(), user, plan, year, action, agency, detail))


def log_event(store: Store, action: str, user: str | None, **fields) -> None:
    """Append one line to the log in a transaction of its own (what `record` takes)."""
    with transaction(store) as c:
        record(c, action, user, **fields)


def round_log(store: Store, plan: str | None = None, year: int | None = None) -> list[LogLine]:
    """The log, oldest first: of one plan and year when given (lines of no round, like accounts, left out)."""
    where, args = ("WHERE plan = ? AND year = ?", (plan, year)) if plan is not None else ("", ())
    try:
        rows = store.conn.execute(f"SELECT id, at, user, plan, year, action, agency, detail FROM events {where} "
                                  "ORDER BY id", args).fetchall()
    except sqlite3.Error as e:
        raise describe_sqlite_error(e, store.path) from e
    return [LogLine(*r) for r in rows]


def app_key(store: Store, name: str) -> bytes:
    """The web app's secret key `name` (session, csrf): made with the system's random source the first time, then
    the same for every start of the app on this database (logins survive a restart)."""
    with transaction(store) as c:
        row = c.execute("SELECT value FROM secrets WHERE name = ?", (name,)).fetchone()
        if row is not None:
            return bytes(row[0])
        key = _random.token_bytes(KEY_BYTES)
        c.execute("INSERT INTO secrets (name, value) VALUES (?, ?)", (name, key))
        return key
