"""The database of returned forms (SQLite, standard library): every submission with its original file, byte for byte.

* One submission per distinct file (sha256 UNIQUE): ingesting the same file twice changes nothing.
* A new file from the same agency for the same plan and year is the next version; the latest version counts,
  earlier ones stay queryable (`history`).
* Each ingest is one transaction (BEGIN IMMEDIATE), in WAL mode with a busy timeout, so two clerks ingesting at
  the same time neither corrupt the database nor number two submissions alike.
* SQLite errors become one Vietnamese sentence (`errors.describe_sqlite_error`, a `StoreError`); `fatal` ones (busy,
  disk full, damaged, read-only) stop an ingest run instead of failing every remaining file the same way.

Default location (`paths.DEFAULT_DB`): kehoach-data/bao-cao.sqlite3 under the current folder (never inside output/,
which is regenerable); `--db FILE` or the environment variable KEHOACH_DB override it (`db_path`). The read-only
check is in `dbcheck`, the backup archive in `archive` (tests/test_reliability_db.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
from pathlib import Path

from ..errors import BUSY_TIMEOUT_MS, KehoachError, StoreError, describe_sqlite_error
from ..fsutil import fault
from ..paths import DEFAULT_DB
from .dbschema import REVIEW_STATES, SCHEMA_VERSION, SET_ASIDE, _create, _upgrade
from .model import Added, Entry, Event, FormReading, Submission


def check_location(path: Path) -> None:
    """Refuse a database inside a folder kehoach replaces (output/, a pack or summary folder, however the path is
    spelled): the rule is `guard.check_db_location`'s."""
    from ..guard import check_db_location

    try:
        check_db_location(path)
    except KehoachError as e:
        raise StoreError(str(e)) from None


def utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _sql(method):
    """Translate SQLite errors of a Store method into a StoreError sentence."""

    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as e:
            raise describe_sqlite_error(e, self.path) from e

    wrapper.__name__, wrapper.__doc__ = method.__name__, method.__doc__
    return wrapper


class Store:
    def __init__(self, path: str | Path, *, create: bool = True):
        self.path = Path(path)
        check_location(self.path)
        if not self.path.exists():
            if not create:
                raise StoreError(f'chưa có cơ sở dữ liệu "{self.path}"; hãy nhận biểu mẫu bằng lệnh kehoach ingest '
                                 "trước (hoặc chỉ đúng tệp bằng --db)")
            self.path.parent.mkdir(parents=True, exist_ok=True)
            _create(self.path)
        if self.path.is_dir():
            raise StoreError(f'"{self.path}" là một thư mục; hãy ghi --db là đường dẫn tới tệp cơ sở dữ liệu, ví dụ '
                             f"{DEFAULT_DB}")
        self.conn = None
        try:
            self.conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA foreign_keys = ON")
            version = self.conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(f'cơ sở dữ liệu "{self.path}" do phiên bản kehoach mới hơn tạo ra; hãy cập nhật '
                                 "kehoach", fatal=True)
            if version < SCHEMA_VERSION:
                _upgrade(self.conn)
        except sqlite3.Error as e:
            if self.conn is not None:
                self.conn.close()
            raise describe_sqlite_error(e, self.path, opening=True) from e
        except StoreError:
            self.conn.close()
            raise

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------------------------------------ writing

    def add(self, reading: FormReading, original: bytes, filename: str, received_at: str | None = None, *,
            arrived_on: str | None = None, user: str = "") -> Added:
        """Store one submission in one transaction; the same file (sha256) twice is a no-op."""
        return self.add_many([(reading, original, filename)], received_at, arrived_on=arrived_on, user=user)[0]

    def add_many(self, items: list[tuple[FormReading, bytes, str]], received_at: str | None = None, *,
                 arrived_on: str | None = None, user: str = "") -> list[Added]:
        """Store submissions (reading, original bytes, file name[, warnings of its name]) in one transaction: all or
        none of them, with one flush to disk for the lot instead of one per file. The same file (sha256) twice is a
        no-op.

        `arrived_on` (YYYY-MM-DD): the day the files arrived, kept beside the ingest time; `user`: who ingests, for
        the history. Each new version's `ingest_warnings`: those that point at a wrong file, compared with the
        version counted until then (`review.comparison_warnings`), then the item's own (`review.file_name_warning`)."""
        try:
            return self._add_many(items, received_at, arrived_on, user)
        except sqlite3.Error as e:
            raise describe_sqlite_error(e, self.path) from e

    def _add_many(self, items: list[tuple[FormReading, bytes, str]], received_at: str | None,
                  arrived_on: str | None = None, user: str = "") -> list[Added]:
        c = self.conn
        c.execute("BEGIN IMMEDIATE")
        try:
            added = [self._insert(reading, original, filename, received_at or utc_now(), arrived_on, user, tuple(more))
                     for reading, original, filename, *more in items]
            c.execute("COMMIT")
        except BaseException:
            if c.in_transaction:
                c.execute("ROLLBACK")
            raise
        return added

    def _insert(self, reading: FormReading, original: bytes, filename: str, received_at: str,
                arrived_on: str | None = None, user: str = "", named: tuple[tuple[str, ...], ...] = ()) -> Added:
        from .review import comparison_warnings

        c = self.conn
        sha = hashlib.sha256(original).hexdigest()
        row = c.execute("SELECT id FROM submissions WHERE sha256 = ?", (sha,)).fetchone()
        if row:
            return Added(self.get(row[0]), duplicate=True)
        version = c.execute(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM submissions WHERE plan = ? AND year = ? AND agency = ?",
            (reading.plan, reading.year, reading.agency),
        ).fetchone()[0]
        counted = self.counted(reading.plan, reading.year, reading.agency)
        ingest_warnings = (*comparison_warnings(reading, counted), *(w for more in named for w in more))
        warnings = json.dumps(list(reading.warnings), ensure_ascii=False)
        cur = c.execute(
            "INSERT INTO submissions (plan, plan_version, year, agency, version, sha256, received_at, filename, "
            "original, warnings, arrived_on, ingest_warnings) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (reading.plan, reading.plan_version, reading.year, reading.agency, version, sha, received_at, filename,
             sqlite3.Binary(original), warnings, arrived_on, json.dumps(list(ingest_warnings), ensure_ascii=False)),
        )
        sid = cur.lastrowid
        c.executemany(
            "INSERT INTO entries (submission_id, position, task_id, code, role, result, status, status_text, note) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(sid, i, e.task_id, e.code, e.role, e.result, e.status, e.status_text, e.note)
             for i, e in enumerate(reading.entries)],
        )
        sections = sorted(reading.sections.items())
        c.executemany("INSERT INTO sections (submission_id, section, text) VALUES (?, ?, ?)",
                      [(sid, name, text) for name, text in sections])
        self._record(sid, received_at, user, "ingest", REVIEW_STATES[0], None, "")
        fault("in-transaction")  # test hook: a kill here must leave no trace of this transaction
        # what was just written, as `get` would read it back (without reading it back)
        submission = Submission(sid, reading.plan, reading.plan_version, reading.year, reading.agency, version, sha,
                                received_at, filename, tuple(reading.warnings), tuple(reading.entries),
                                dict(sections), arrived_on=arrived_on, ingest_warnings=ingest_warnings)
        return Added(submission, duplicate=False)

    def _record(self, submission_id: int, at: str, user: str | None, action: str, state: str,
                previous_state: str | None, note: str) -> None:
        """Append one event to the history (inside the caller's transaction)."""
        self.conn.execute(
            "INSERT INTO history (at, user, action, submission_id, state, previous_state, note) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)", (at, user, action, submission_id, state, previous_state, note))

    @_sql
    def set_review(self, submission_id: int, state: str, note: str, user: str, at: str | None = None) -> str | None:
        """Set a version's review state and note, and record it in the history, in one transaction. Returns the
        previous state, or None when the version already had this state and note (nothing is recorded). The
        rules (which states, when a note is required) are checked by `review.review_version`."""
        if state not in REVIEW_STATES:
            raise ValueError(state)
        c = self.conn
        c.execute("BEGIN IMMEDIATE")
        try:
            row = c.execute("SELECT review_state, review_note FROM submissions WHERE id = ?",
                            (submission_id,)).fetchone()
            if row is None:
                raise KeyError(submission_id)
            previous = row[0]
            if (previous, row[1]) == (state, note):
                c.execute("ROLLBACK")
                return None
            c.execute("UPDATE submissions SET review_state = ?, review_note = ? WHERE id = ?",
                      (state, note, submission_id))
            self._record(submission_id, at or utc_now(), user, "review", state, previous, note)
            fault("in-transaction")  # test hook: a server killed in the middle of a review leaves no half of it
            c.execute("COMMIT")
        except BaseException:
            if c.in_transaction:
                c.execute("ROLLBACK")
            raise
        return previous

    # ------------------------------------------------------------------------------------------------ reading

    _COLUMNS = ("id, plan, plan_version, year, agency, version, sha256, received_at, filename, warnings, review_state, "
                "review_note, arrived_on, ingest_warnings")

    def _submission(self, row: tuple, full: bool = True) -> Submission:
        sid = row[0]
        entries: tuple[Entry, ...] = ()
        sections: dict[str, str] = {}
        if full:
            entries = tuple(
                Entry(task_id=r[0], code=r[1], role=r[2], result=r[3], status=r[4], status_text=r[5], note=r[6])
                for r in self.conn.execute(
                    "SELECT task_id, code, role, result, status, status_text, note FROM entries "
                    "WHERE submission_id = ? ORDER BY position", (sid,))
            )
            sections = dict(self.conn.execute(
                "SELECT section, text FROM sections WHERE submission_id = ? ORDER BY section", (sid,)).fetchall())
        return Submission(*row[:9], warnings=tuple(json.loads(row[9])), entries=entries, sections=sections,
                          review_state=row[10], review_note=row[11], arrived_on=row[12],
                          ingest_warnings=tuple(json.loads(row[13])))

    @_sql
    def get(self, submission_id: int) -> Submission:
        row = self.conn.execute(f"SELECT {self._COLUMNS} FROM submissions WHERE id = ?", (submission_id,)).fetchone()
        if row is None:
            raise KeyError(submission_id)
        return self._submission(row)

    @_sql
    def original(self, submission_id: int) -> bytes:
        row = self.conn.execute("SELECT original FROM submissions WHERE id = ?", (submission_id,)).fetchone()
        if row is None:
            raise KeyError(submission_id)
        return bytes(row[0])

    @_sql
    def submissions(self, plan: str, year: int, *, full: bool = False) -> list[Submission]:
        """Every version of every agency for a plan and year, by agency then version."""
        rows = self.conn.execute(
            f"SELECT {self._COLUMNS} FROM submissions WHERE plan = ? AND year = ? ORDER BY agency, version",
            (plan, year)).fetchall()
        return [self._submission(r, full) for r in rows]

    @_sql
    def history(self, plan: str, year: int, agency: str) -> list[Submission]:
        """All versions an agency sent for a plan and year, oldest first."""
        rows = self.conn.execute(
            f"SELECT {self._COLUMNS} FROM submissions WHERE plan = ? AND year = ? AND agency = ? ORDER BY version",
            (plan, year, agency)).fetchall()
        return [self._submission(r) for r in rows]

    @_sql
    def latest(self, plan: str, year: int) -> dict[str, Submission]:
        """The version that counts of each agency that reported, by agency id: its latest version not set aside
        (review state `khong-dung`). An agency whose every version is set aside has none."""
        rows = self.conn.execute(
            f"SELECT {self._COLUMNS} FROM submissions s WHERE plan = ? AND year = ? AND version = "
            "(SELECT MAX(version) FROM submissions t "
            "WHERE t.plan = s.plan AND t.year = s.year AND t.agency = s.agency AND t.review_state != ?) "
            "ORDER BY agency", (plan, year, SET_ASIDE)).fetchall()
        return {r[4]: self._submission(r) for r in rows}

    @_sql
    def counted(self, plan: str, year: int, agency: str) -> Submission | None:
        """The version of one agency that counts (see `latest`), or None."""
        row = self.conn.execute(
            f"SELECT {self._COLUMNS} FROM submissions WHERE plan = ? AND year = ? AND agency = ? AND review_state != ? "
            "ORDER BY version DESC LIMIT 1", (plan, year, agency, SET_ASIDE)).fetchone()
        return self._submission(row) if row else None

    @_sql
    def years_of(self, plan: str, agency: str) -> list[int]:
        """The years an agency sent versions for."""
        return [r[0] for r in self.conn.execute(
            "SELECT DISTINCT year FROM submissions WHERE plan = ? AND agency = ? ORDER BY year", (plan, agency))]

    @_sql
    def events(self, plan: str, year: int, agency: str) -> list[Event]:
        """The history of one agency's versions for a plan and year, oldest first."""
        rows = self.conn.execute(
            "SELECT h.id, h.at, h.user, h.action, h.submission_id, s.version, s.filename, h.state, h.previous_state, "
            "h.note, json_array_length(s.warnings) + json_array_length(s.ingest_warnings) FROM history h JOIN submissions s ON s.id = h.submission_id "
            "WHERE s.plan = ? AND s.year = ? AND s.agency = ? ORDER BY h.id", (plan, year, agency)).fetchall()
        return [Event(*r) for r in rows]

    @_sql
    def dump(self) -> str:
        """The whole database as SQL text (for comparisons and backups)."""
        return "\n".join(self.conn.iterdump())


def open_store(db: Path | None, *, create: bool):
    return Store(db_path(db), create=create)


# ---------------------------------------------------------------------------------------------------- safety


def db_path(db: Path | None) -> Path:
    from ..guard import check_not_loop
    from ..paths import DB_ENV, default_path

    path = db or default_path()
    check_not_loop(path, "--db" if db else DB_ENV if os.environ.get(DB_ENV) else "cơ sở dữ liệu")
    return path
