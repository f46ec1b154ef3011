"""The database of returned forms (SQLite, standard library): every submission with its original file, byte for byte.

* One submission per distinct file (sha256 UNIQUE): ingesting the same file twice changes nothing.
* A new file from the same agency for the same plan and year is the next version. Every version has a review
  state (`REVIEW_STATES`, set by the office with `set_review`); the version that counts is the latest one not set
  aside (`khong-dung`), earlier ones stay queryable (`history`).
* An append-only `history` table (schema 2) records every ingest and every review: when, who, what changed. SQLite
  triggers refuse any UPDATE or DELETE of it. A database of schema 1 (before reviews) is upgraded when a `Store`
  opens it (`_MIGRATIONS`); read-only commands (check-db, export) read it as it is.
* Each ingest is one transaction (BEGIN IMMEDIATE), in WAL mode with a busy timeout, so two clerks ingesting at
  the same time neither corrupt the database nor number two submissions alike.

Default location: kehoach-data/bao-cao.sqlite3 under the current folder (never inside output/, which is
regenerable); `--db FILE` or the environment variable KEHOACH_DB override it.

Reliability (tests/test_reliability_db.py):

* `check_database` opens the file read-only (`mode=ro`) and reports, never repairs: PRAGMA integrity_check, foreign
  keys, the schema, every original against its sha256, versions 1..n per agency and year, entries of each submission;
  with a `reread.Rereader`, every original read again must say what its rows say (`_check_readings`).
* `export_archive` writes everything needed to rebuild the database (every submission with its entries, sections,
  warnings and original file, and their hashes) to one zip, the same bytes for the same database;
  `import_archive` verifies the whole archive first (`_read_manifest`: unique entry names, bounded JSON, sane values;
  `_verify_archive`: every original against its sha256 and read again), then restores it into a new or empty
  database in one transaction, a new one staged in a hidden file (`_staged_database`); it never writes into a
  database that already holds submissions.
* SQLite errors become one Vietnamese sentence (`StoreError`); `fatal` ones (busy, disk full, damaged, read-only)
  stop an ingest run instead of failing every remaining file the same way.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import hashlib
import json
import os
import re
import sqlite3
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import KehoachError
from .formreader import SECTIONS, STATUSES, Entry, FormReading
from .fsutil import atomic_output, fault

if TYPE_CHECKING:
    from .reread import Rereader

DEFAULT_DB = Path("kehoach-data") / "bao-cao.sqlite3"
DB_ENV = "KEHOACH_DB"
SCHEMA_VERSION = 2
BUSY_TIMEOUT_MS = 15_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    id           INTEGER PRIMARY KEY,
    plan         TEXT    NOT NULL,
    plan_version TEXT    NOT NULL,
    year         INTEGER NOT NULL,
    agency       TEXT    NOT NULL,
    version      INTEGER NOT NULL,
    sha256       TEXT    NOT NULL UNIQUE,
    received_at  TEXT    NOT NULL,  -- UTC, ISO 8601
    filename     TEXT    NOT NULL,
    original     BLOB    NOT NULL,  -- the file as received, byte for byte
    warnings     TEXT    NOT NULL,  -- JSON list of sentences
    UNIQUE (plan, year, agency, version)
);
CREATE TABLE IF NOT EXISTS entries (
    submission_id INTEGER NOT NULL REFERENCES submissions(id),
    position      INTEGER NOT NULL,
    task_id       TEXT    NOT NULL,
    code          TEXT    NOT NULL,
    role          TEXT    NOT NULL,
    result        TEXT    NOT NULL,
    status        TEXT,             -- Hoàn thành / Đang thực hiện / Chưa thực hiện, or NULL
    status_text   TEXT    NOT NULL, -- as picked or typed
    note          TEXT    NOT NULL,
    PRIMARY KEY (submission_id, task_id)
);
CREATE TABLE IF NOT EXISTS sections (
    submission_id INTEGER NOT NULL REFERENCES submissions(id),
    section       TEXT    NOT NULL,
    text          TEXT    NOT NULL,
    PRIMARY KEY (submission_id, section)
);
CREATE INDEX IF NOT EXISTS submissions_by_agency ON submissions (plan, year, agency, version);
"""

# ------------------------------------------------------------------------------------------------ reviews (schema 2)

# received (the default), needs correction (a note required), approved, set aside (never counted)
REVIEW_STATES = ("da-nhan", "can-bo-sung", "da-duyet", "khong-dung")
SET_ASIDE = "khong-dung"
NOTE_REQUIRED = ("can-bo-sung",)
HISTORY_ACTIONS = ("ingest", "review")

# Schema 1 -> 2: the review state of each version, the date its file arrived, and the history. One statement per
# item (executescript would commit the transaction the upgrade runs in). Submissions stored before the history
# existed get their ingest event from received_at, with an unknown user (NULL).
_SCHEMA_REVIEWS = (
    "ALTER TABLE submissions ADD COLUMN review_state TEXT NOT NULL DEFAULT 'da-nhan'",
    "ALTER TABLE submissions ADD COLUMN review_note TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE submissions ADD COLUMN arrived_on TEXT",  # the date the file arrived (ingest --received), or NULL
    # warnings of the moment of ingest (the file's name, the version counted then), apart from `warnings`: those are
    # the form reader's alone and must be what a re-reading of the original gives (reread.py)
    "ALTER TABLE submissions ADD COLUMN ingest_warnings TEXT NOT NULL DEFAULT '[]'",
    """CREATE TABLE history (
    id             INTEGER PRIMARY KEY,
    at             TEXT    NOT NULL,  -- UTC, ISO 8601
    user           TEXT,              -- who (the OS user for the command line); NULL: before the history existed
    action         TEXT    NOT NULL,  -- ingest | review
    submission_id  INTEGER NOT NULL REFERENCES submissions(id),
    state          TEXT    NOT NULL,  -- the review state after the event
    previous_state TEXT,              -- before it (NULL for an ingest)
    note           TEXT    NOT NULL
)""",
    "CREATE INDEX history_by_submission ON history (submission_id, id)",
    "CREATE TRIGGER history_no_update BEFORE UPDATE ON history "
    "BEGIN SELECT RAISE(ABORT, 'kehoach history is append-only'); END",
    "CREATE TRIGGER history_no_delete BEFORE DELETE ON history "
    "BEGIN SELECT RAISE(ABORT, 'kehoach history is append-only'); END",
    "INSERT INTO history (at, user, action, submission_id, state, previous_state, note) "
    "SELECT received_at, NULL, 'ingest', id, 'da-nhan', NULL, '' FROM submissions ORDER BY id",
)
_MIGRATIONS = {2: _SCHEMA_REVIEWS}  # schema version -> the statements that reach it from the one before


def _upgrade(conn: sqlite3.Connection) -> None:
    """Bring a database to SCHEMA_VERSION in one transaction (a new one: create the tables first); the version is read
    inside the transaction, so two processes opening an old database upgrade it once."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version < SCHEMA_VERSION:
            if version == 0:
                for statement in _SCHEMA.split(";"):  # (no ";" inside _SCHEMA's statements or comments)
                    if statement.strip():
                        conn.execute(statement)
                version = 1
            for target in range(version + 1, SCHEMA_VERSION + 1):
                for statement in _MIGRATIONS[target]:
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


class StoreError(KehoachError):
    """A database problem as one Vietnamese sentence; `fatal`: the database cannot be used now (stop the run)."""

    def __init__(self, message: str, fatal: bool = False):
        super().__init__(message)
        self.fatal = fatal


def describe_sqlite_error(e: sqlite3.Error, path: str | Path | None, *, opening: bool = False) -> StoreError:
    """A SQLite error as what is wrong and what to do (`opening`: while opening the file; `path` None: unknown)."""
    text = str(e).lower()
    db = f'cơ sở dữ liệu "{path}"' if path else "cơ sở dữ liệu báo cáo"
    if "locked" in text or "busy" in text:
        return StoreError(f'{db} đang bận quá {BUSY_TIMEOUT_MS // 1000} giây (một người khác đang '
                          "nhận biểu mẫu hoặc sao lưu); hãy chờ lệnh đó xong rồi chạy lại", fatal=True)
    if "full" in text:
        return StoreError(f'hết dung lượng đĩa khi ghi {db}; hãy giải phóng dung lượng đĩa rồi chạy '
                          "lại (các báo cáo đã lưu không bị ảnh hưởng)", fatal=True)
    if "readonly" in text or "read-only" in text:
        return StoreError(f'không ghi được vào {db} (tệp hoặc thư mục chỉ cho phép đọc); hãy kiểm tra '
                          "quyền ghi của tệp và thư mục chứa nó", fatal=True)
    if "unable to open" in text:
        return StoreError(f'không mở được tệp {db}; hãy kiểm tra đường dẫn --db (phải là một tệp, '
                          "không phải thư mục) và quyền truy cập", fatal=True)
    if opening and isinstance(e, sqlite3.DatabaseError):
        return StoreError(f'không mở được {db}: tệp không phải cơ sở dữ liệu kehoach hoặc đã hỏng; '
                          "hãy kiểm tra đường dẫn --db, hoặc khôi phục từ bản sao lưu bằng kehoach import", fatal=True)
    if isinstance(e, sqlite3.DatabaseError) and not isinstance(e, (sqlite3.IntegrityError,
                                                                   sqlite3.ProgrammingError)):
        return StoreError(f'{db} bị hỏng hoặc không phải cơ sở dữ liệu của kehoach; hãy chạy '
                          "kehoach check-db để xem chi tiết và khôi phục từ bản sao lưu bằng kehoach import",
                          fatal=True)
    return StoreError(f'lỗi {db} ({type(e).__name__}); hãy chạy kehoach check-db để kiểm tra',
                      fatal=True)


def default_path() -> Path:
    env = os.environ.get(DB_ENV)
    return Path(env) if env else DEFAULT_DB


def check_location(path: Path) -> None:
    """Refuse a database inside a folder kehoach replaces (output/, a pack or summary folder, however the path is
    spelled): the rule is `guard.check_db_location`'s."""
    from .guard import check_db_location

    try:
        check_db_location(path)
    except KehoachError as e:
        raise StoreError(str(e)) from None


@dataclass(frozen=True)
class Submission:
    id: int
    plan: str
    plan_version: str
    year: int
    agency: str
    version: int
    sha256: str
    received_at: str
    filename: str
    warnings: tuple[str, ...]
    entries: tuple[Entry, ...] = ()
    sections: dict[str, str] = field(default_factory=dict)
    review_state: str = "da-nhan"  # one of REVIEW_STATES
    review_note: str = ""
    arrived_on: str | None = None  # YYYY-MM-DD: when the file arrived (ingest --received); None: not given
    ingest_warnings: tuple[str, ...] = ()  # pointing at a wrong file, found when it was ingested (review.py)

    @property
    def received(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.received_at.replace("Z", "+00:00"))

    @property
    def all_warnings(self) -> tuple[str, ...]:
        """What the clerk is told about this version: the wrong-file warnings first, then the form reader's."""
        return self.ingest_warnings + self.warnings


@dataclass(frozen=True)
class Event:
    """One line of the history: an ingest or a review of one version."""

    id: int
    at: str  # UTC, ISO 8601
    user: str | None  # None: stored before kehoach kept a history
    action: str  # "ingest" | "review"
    submission_id: int
    version: int
    filename: str
    state: str  # after the event
    previous_state: str | None
    note: str
    warnings: int  # of the version (for an ingest)


@dataclass(frozen=True)
class Added:
    submission: Submission
    duplicate: bool  # True: this very file was already stored (nothing changed)


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


def _create(path: Path) -> None:
    """A new, empty database at `path`, made whole in a hidden file beside it and then linked into place: a run
    stopped half-way (Ctrl+C) leaves either no database or a complete one, never a file without its tables."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.new")
    try:
        conn = sqlite3.connect(temp, isolation_level=None)
        try:
            _upgrade(conn)
        finally:
            conn.close()
        with open(temp, "rb") as f:
            os.fsync(f.fileno())
        try:
            os.link(temp, path)
        except FileExistsError:
            pass  # another kehoach ingest created it meanwhile: use that one
        except OSError:  # a file system without hard links (FAT, exFAT on a USB stick)
            if not path.exists():
                os.replace(temp, path)
    except sqlite3.Error as e:
        raise describe_sqlite_error(e, path, opening=True) from e
    finally:
        for leftover in (temp, temp.with_name(temp.name + "-journal")):
            leftover.unlink(missing_ok=True)


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


# ------------------------------------------------------------------------------------------------ checking


def _label(row_id: int, agency: str, year: object, version: object, filename: str) -> str:
    return f'bản báo cáo số {row_id} ({agency}, năm {year}, phiên bản {version}, tệp "{filename}")'


def connect_readonly(path: str | Path) -> sqlite3.Connection:
    """A connection that cannot change the database file (SQLite URI `mode=ro`, and `query_only`)."""
    path = Path(path)
    if not path.exists():
        raise StoreError(f'không tìm thấy cơ sở dữ liệu "{path}"; hãy chỉ đúng tệp bằng --db (mặc định {DEFAULT_DB})')
    if path.is_dir():
        raise StoreError(f'"{path}" là một thư mục; hãy ghi --db là đường dẫn tới tệp cơ sở dữ liệu, ví dụ '
                         f"{DEFAULT_DB}")
    conn = None
    try:
        conn = sqlite3.connect(path.absolute().as_uri() + "?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000,
                               isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA query_only = ON")
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as e:
        if conn is not None:
            conn.close()
        raise describe_sqlite_error(e, path, opening=True) from e
    return conn


_COLUMNS_OF = {
    "submissions": ["id", "plan", "plan_version", "year", "agency", "version", "sha256", "received_at", "filename",
                    "original", "warnings"],
    "entries": ["submission_id", "position", "task_id", "code", "role", "result", "status", "status_text", "note"],
    "sections": ["submission_id", "section", "text"],
}
_SHA = re.compile(r"[0-9a-f]{64}")
ROLES = ("lead", "partner", "expired", "")
_REVIEW_COLUMNS_OF = {  # added by schema 2
    "submissions": ["review_state", "review_note", "arrived_on", "ingest_warnings"],
    "history": ["id", "at", "user", "action", "submission_id", "state", "previous_state", "note"],
}
READABLE_SCHEMAS = (1, SCHEMA_VERSION)  # 1: before reviews; read as it is by check-db and export


def _columns_of(version: int) -> dict[str, list[str]]:
    """The tables and their columns of a database of schema `version`."""
    if version < 2:
        return _COLUMNS_OF
    return {t: _COLUMNS_OF.get(t, []) + _REVIEW_COLUMNS_OF.get(t, []) for t in (*_COLUMNS_OF, "history")}


def _blob_sha256(conn: sqlite3.Connection, row_id: int) -> tuple[str, int]:
    """sha256 and size of a stored original, read in chunks (originals can be up to 20 MB each)."""
    digest, size = hashlib.sha256(), 0
    with conn.blobopen("submissions", "original", row_id, readonly=True) as blob:
        while chunk := blob.read(1024 * 1024):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


@dataclass
class CheckReport:
    path: Path
    problems: list[str] = field(default_factory=list)
    submissions: int = 0
    agencies: int = 0  # distinct agencies
    original_bytes: int = 0
    years: tuple[int, ...] = ()
    schema_version: int = SCHEMA_VERSION  # 1: an old database, upgraded the next time kehoach writes to it

    @property
    def ok(self) -> bool:
        return not self.problems


def check_database(path: str | Path, on_submission: Callable[[], None] | None = None,
                   reread: Rereader | None = None) -> CheckReport:
    """Verify the database without changing it (read-only connection); every problem is one Vietnamese sentence.
    With `reread`, every original is also read again and must say what its rows say (`_check_readings`)."""
    report = CheckReport(Path(path))
    conn = connect_readonly(path)
    try:
        conn.execute("BEGIN")  # one consistent snapshot, even while someone ingests
        _check(conn, report, on_submission)
        if reread is not None and not any(p.startswith('bảng "') for p in report.problems):
            _check_readings(conn, report, reread)
        conn.execute("COMMIT")
    except sqlite3.DatabaseError as e:
        report.problems.append(f"không đọc được toàn bộ cơ sở dữ liệu, tệp bị hỏng (SQLite: {e})")
    finally:
        conn.close()
    return report


def _check(conn: sqlite3.Connection, report: CheckReport, on_submission: Callable[[], None] | None) -> None:
    problems = report.problems
    rows = [r[0] for r in conn.execute("PRAGMA integrity_check(20)").fetchall()]
    if rows != ["ok"]:
        problems.extend(f"cấu trúc tệp SQLite bị hỏng (integrity_check: {r})" for r in rows)
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    report.schema_version = version
    if version not in READABLE_SCHEMAS:
        problems.append(f"phiên bản cấu trúc cơ sở dữ liệu là {version}, không phải {SCHEMA_VERSION} của kehoach này")
    for table, expected in _columns_of(version).items():
        columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
        if columns != expected:
            problems.append(f'bảng "{table}" ' + ("không có" if not columns else
                                                   f"có các cột {', '.join(columns)}, khác cấu trúc của kehoach"))
    if any(p.startswith('bảng "') for p in problems):
        return  # the rest of the checks read these tables
    for table, rowid, parent, _ in conn.execute("PRAGMA foreign_key_check"):
        problems.append(f'dòng {rowid} của bảng "{table}" trỏ tới bản báo cáo không tồn tại trong bảng "{parent}"')

    agencies, years = set(), set()
    for row_id, plan, year, agency, version, sha, filename, warnings, received in conn.execute(
            "SELECT id, plan, year, agency, version, sha256, filename, warnings, received_at FROM submissions "
            "ORDER BY id").fetchall():
        label = _label(row_id, agency, year, version, filename)
        report.submissions += 1
        agencies.add(agency)
        years.add(year)
        try:
            actual, size = _blob_sha256(conn, row_id)
        except sqlite3.Error:
            problems.append(f"{label}: không có tệp gốc (giá trị không phải dữ liệu nhị phân)")
        else:
            report.original_bytes += size
            if actual != sha:
                problems.append(f"{label}: tệp gốc không khớp mã băm sha256 đã ghi (tệp gốc đã bị thay đổi hoặc hỏng)")
        if not isinstance(sha, str) or not _SHA.fullmatch(sha):
            problems.append(f"{label}: mã băm sha256 đã ghi không hợp lệ")
        try:
            ok = isinstance(json.loads(warnings), list)
        except (TypeError, ValueError):
            ok = False
        if not ok:
            problems.append(f"{label}: danh sách cảnh báo không đọc được")
        try:
            dt.datetime.fromisoformat(str(received).replace("Z", "+00:00"))
        except ValueError:
            problems.append(f'{label}: thời điểm nhận "{received}" không đọc được')
        if on_submission is not None:
            on_submission()
    report.agencies = len(agencies)
    report.years = tuple(sorted(y for y in years if isinstance(y, int)))

    for plan, year, agency, versions in conn.execute(
            "SELECT plan, year, agency, GROUP_CONCAT(version) FROM submissions GROUP BY plan, year, agency"):
        numbers = sorted(int(v) for v in str(versions).split(","))
        if numbers != list(range(1, len(numbers) + 1)):
            problems.append(f"các phiên bản của {agency} năm {year} ({plan}) là {', '.join(map(str, numbers))}, "
                            "không liên tục từ 1")
    for row_id, agency, year, version, filename in conn.execute(
            "SELECT id, agency, year, version, filename FROM submissions s WHERE NOT EXISTS "
            "(SELECT 1 FROM entries e WHERE e.submission_id = s.id) ORDER BY id"):
        problems.append(f"{_label(row_id, agency, year, version, filename)}: không có dòng nhiệm vụ nào (dữ liệu đọc "
                        "từ biểu mẫu bị mất)")
    for sid, count, low, high in conn.execute(
            "SELECT submission_id, COUNT(*), MIN(position), MAX(position) FROM entries GROUP BY submission_id "
            "ORDER BY submission_id"):
        if (low, high) != (0, count - 1):
            problems.append(f"bản báo cáo số {sid}: thứ tự các dòng nhiệm vụ bị đứt quãng")
    marks = ",".join("?" * len(STATUSES))
    for sid, task_id, status in conn.execute(
            f"SELECT submission_id, task_id, status FROM entries WHERE status IS NOT NULL AND status NOT IN ({marks}) "
            "ORDER BY submission_id, position", STATUSES):
        problems.append(f'bản báo cáo số {sid}, nhiệm vụ {task_id}: tình trạng "{status}" không thuộc danh sách')
    for sid, task_id, role in conn.execute(
            f"SELECT submission_id, task_id, role FROM entries WHERE role NOT IN ({','.join('?' * len(ROLES))}) "
            "ORDER BY submission_id, position", ROLES):
        problems.append(f'bản báo cáo số {sid}, nhiệm vụ {task_id}: vai trò "{role}" không hợp lệ')
    for sid, section in conn.execute(
            f"SELECT submission_id, section FROM sections WHERE section NOT IN ({','.join('?' * len(SECTIONS))}) "
            "ORDER BY submission_id", tuple(SECTIONS)):
        problems.append(f'bản báo cáo số {sid}: phần "{section}" không phải phần của biểu mẫu')
    if report.schema_version >= 2:
        _check_reviews(conn, problems)


def _check_reviews(conn: sqlite3.Connection, problems: list[str]) -> None:
    """Review states, arrival dates and the history (schema 2): every version has exactly one ingest event, its
    state is the one its last event left, each event starts from the state the one before left, and the history
    is still protected against changes."""
    triggers = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    if not {"history_no_update", "history_no_delete"} <= triggers:
        problems.append("lịch sử nhận và duyệt không còn được bảo vệ khỏi sửa, xóa (thiếu trigger của kehoach)")
    for row_id, agency, year, version, filename, state, note, arrived, warned in conn.execute(
            "SELECT id, agency, year, version, filename, review_state, review_note, arrived_on, ingest_warnings "
            "FROM submissions ORDER BY id").fetchall():
        label = _label(row_id, agency, year, version, filename)
        if state not in REVIEW_STATES:
            problems.append(f'{label}: trạng thái duyệt "{state}" không thuộc danh sách')
        elif state in NOTE_REQUIRED and not str(note).strip():
            problems.append(f'{label}: trạng thái duyệt "{state}" không có ghi chú')
        if arrived is not None and not _is_date(arrived):
            problems.append(f'{label}: ngày đến "{arrived}" không đọc được')
        try:
            listed = json.loads(warned)
            ok = isinstance(listed, list) and all(isinstance(w, str) for w in listed)
        except (TypeError, ValueError):
            ok = False
        if not ok:
            problems.append(f"{label}: danh sách cảnh báo lúc nhận không đọc được")
    events: dict[int, list[tuple]] = {}
    for event_id, at, action, sid, state, previous in conn.execute(
            "SELECT id, at, action, submission_id, state, previous_state FROM history ORDER BY id"):
        if action not in HISTORY_ACTIONS or state not in REVIEW_STATES:
            problems.append(f'dòng {event_id} của lịch sử: việc "{action}" hoặc trạng thái "{state}" không hợp lệ')
        try:
            dt.datetime.fromisoformat(str(at).replace("Z", "+00:00"))
        except ValueError:
            problems.append(f'dòng {event_id} của lịch sử: thời điểm "{at}" không đọc được')
        events.setdefault(sid, []).append((action, state, previous))
    for row_id, agency, year, version, filename, state in conn.execute(
            "SELECT id, agency, year, version, filename, review_state FROM submissions ORDER BY id").fetchall():
        label = _label(row_id, agency, year, version, filename)
        mine = events.get(row_id, [])
        if [a for a, _, _ in mine].count("ingest") != 1 or mine[0][0] != "ingest":
            problems.append(f"{label}: lịch sử không có đúng một lần nhận (ingest) đứng đầu")
            continue
        if any(previous != before for (_, before, _), (_, _, previous) in zip(mine, mine[1:])):
            problems.append(f"{label}: lịch sử duyệt bị đứt quãng (một lần duyệt không bắt đầu từ trạng thái trước nó)")
        if mine[-1][1] != state:
            problems.append(f'{label}: trạng thái duyệt "{state}" không khớp lịch sử (lần ghi cuối: "{mine[-1][1]}")')


def _is_date(text: object) -> bool:
    try:
        return isinstance(text, str) and dt.date.fromisoformat(text).isoformat() == text
    except ValueError:
        return False


def _check_readings(conn: sqlite3.Connection, report: CheckReport, reread: Rereader) -> None:
    """Every submission whose original matches its sha256 is read again through the form reader (`reread`): a
    record whose identity, entries, sections or warnings differ from what its original says was edited after it was
    stored. Records of a plan `reread` does not know are reported once per plan."""
    unknown: dict[str, int] = {}
    for row_id, plan, plan_version, year, agency, version, sha, filename, warnings in conn.execute(
            "SELECT id, plan, plan_version, year, agency, version, sha256, filename, warnings FROM submissions "
            "ORDER BY id").fetchall():
        try:
            original = bytes(conn.execute("SELECT original FROM submissions WHERE id = ?", (row_id,)).fetchone()[0])
            notes = json.loads(warnings)
        except (TypeError, ValueError):
            continue  # reported by _check (no original, unreadable warnings)
        if hashlib.sha256(original).hexdigest() != sha or not isinstance(notes, list):
            continue  # the evidence itself is damaged: reported by _check
        if reread.known(str(plan)):
            unknown[str(plan)] = unknown.get(str(plan), 0) + 1
            continue
        entries = [Entry(*r) for r in conn.execute(
            "SELECT task_id, code, role, result, status, status_text, note FROM entries WHERE submission_id = ? "
            "ORDER BY position", (row_id,))]
        sections = conn.execute("SELECT section, text FROM sections WHERE submission_id = ?", (row_id,)).fetchall()
        stored = stored_reading(plan, plan_version, year, agency, entries, sections, notes)
        found = reread(stored, original, str(filename))
        if found:
            report.problems.append(f"{_label(row_id, agency, year, version, _escaped(filename))} {found.text} (dữ "
                                   "liệu đã lưu bị sửa sau khi nhận biểu mẫu)")
    for plan, n in sorted(unknown.items()):
        report.problems.append(f'{n} bản báo cáo thuộc kế hoạch "{_escaped(plan)}", không phải kế hoạch đang dùng '
                               f'({", ".join(sorted(reread.plans))}), nên chưa được đọc lại để đối chiếu; hãy chạy '
                               "lại kehoach check-db với --plan THƯ_MỤC của kế hoạch đó")


def stored_reading(plan: str, plan_version: str, year: int, agency: str, entries: list[Entry],
                   sections: list[tuple[str, str]], warnings: list[str]) -> FormReading:
    """What a stored record says, in the form reader's terms (entries in position order), to compare with a
    reading of its original."""
    return FormReading(plan=plan, plan_version=plan_version, year=year, agency=agency, entries=tuple(entries),
                       sections=dict(sections), warnings=tuple(warnings))


def _escaped(text: object) -> str:
    """A stored name as it may be printed: control characters (a line break in a file name) written as escapes, so
    no stored value can split a message or forge an output line."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in str(text))


# ------------------------------------------------------------------------------------------------ backup archive

ARCHIVE_FORMAT = "kehoach-sao-luu"
ARCHIVE_VERSION = 2  # 2: review states, arrival dates and the history (archives of version 1 still import)
ARCHIVE_MANIFEST = "kehoach-sao-luu.json"
ARCHIVE_README = "DOC-TRUOC.txt"
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
MAX_MANIFEST_BYTES = 256 * 1024 * 1024  # the JSON of a backup (about 50 KB per submission in practice)
MAX_JSON_DEPTH = 16  # nesting of lists and objects in it (kehoach writes 4)
MAX_JSON_INT = 2 ** 31 - 1  # any integer in it (ids, years, versions, positions); SQLite INTEGER goes to 2**63 - 1
YEARS = (1900, 2999)  # a record's year, before its original is read again (which checks it against the plan)
_PLAN_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,99}")  # as in plan.yaml: a name, never a path
_AGENCY_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_README_TEXT = """Tệp sao lưu cơ sở dữ liệu báo cáo của kehoach.

kehoach-sao-luu.json: mọi bản báo cáo đã nhận (đơn vị, năm, phiên bản, thời điểm nhận theo giờ UTC, ngày đến, tên
tệp, cảnh báo, kết quả từng nhiệm vụ, khó khăn, kiến nghị, trạng thái duyệt và ghi chú) với mã băm sha256 của tệp
gốc, và lịch sử nhận, duyệt (thời điểm, người thực hiện, thay đổi).
originals/<sha256>.docx: tệp gốc đơn vị gửi, giữ nguyên từng byte; tên tệp là mã băm sha256 của nội dung.

Khôi phục: kehoach import TỆP_SAO_LƯU --db TỆP_CƠ_SỞ_DỮ_LIỆU_MỚI
"""


@dataclass(frozen=True)
class ArchiveSummary:
    submissions: int
    agencies: int  # distinct agencies
    original_bytes: int
    years: tuple[int, ...]


def _summary(records: list[dict], total: int) -> ArchiveSummary:
    return ArchiveSummary(len(records), len({r["agency"] for r in records}), total,
                          tuple(sorted({r["year"] for r in records})))


def original_name(sha: str) -> str:
    return f"originals/{sha}.docx"


def _same_database(db: Path, other: Path) -> bool:
    """`other` is the database file or one of its companions (-wal, -shm, -journal)."""
    if not other.exists() and not db.exists():
        return other.absolute() == db.absolute()
    targets = {db.resolve()} | {db.resolve().with_name(db.resolve().name + s) for s in ("-wal", "-shm", "-journal")}
    return other.resolve() in targets


def _zipinfo(name: str, compress: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, _ZIP_DATE)
    info.compress_type = compress
    info.external_attr = 0o644 << 16
    info.create_system = 3
    return info


def export_archive(db: str | Path, out: str | Path) -> ArchiveSummary:
    """Write the whole database (submissions, entries, sections, originals, hashes) to one zip at `out`,
    atomically; the same database gives the same bytes. The database is only read."""
    db, out = Path(db), Path(out)
    if _same_database(db, out):
        raise StoreError(f'không ghi bản sao lưu đè lên chính cơ sở dữ liệu "{db}"; hãy chọn một tệp khác bằng --out')
    output = (Path.cwd() / "output").resolve()
    if output in out.resolve().parents:
        raise StoreError(f'không ghi bản sao lưu "{out}" vào thư mục output/ (thư mục này được tạo lại và có thể bị '
                         "thay thế); hãy chọn một thư mục khác bằng --out")
    conn = connect_readonly(db)
    try:
        conn.execute("BEGIN")  # one snapshot: an ingest running meanwhile is either wholly in or wholly out
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version not in READABLE_SCHEMAS:
            raise StoreError(f'cơ sở dữ liệu "{db}" không phải cơ sở dữ liệu kehoach (hoặc khác phiên bản); hãy chạy '
                             "kehoach check-db")
        records = []
        for row in conn.execute(
                "SELECT id, plan, plan_version, year, agency, version, sha256, received_at, filename, warnings "
                "FROM submissions ORDER BY id").fetchall():
            sid = row[0]
            records.append({
                "id": sid, "plan": row[1], "plan_version": row[2], "year": row[3], "agency": row[4],
                "version": row[5], "sha256": row[6], "received_at": row[7], "filename": row[8],
                "warnings": json.loads(row[9]), "original": original_name(row[6]),
                "entries": [dict(zip(("position", "task_id", "code", "role", "result", "status", "status_text",
                                      "note"), r)) for r in conn.execute(
                    "SELECT position, task_id, code, role, result, status, status_text, note FROM entries "
                    "WHERE submission_id = ? ORDER BY rowid", (sid,))],
                "sections": [{"section": r[0], "text": r[1]} for r in conn.execute(
                    "SELECT section, text FROM sections WHERE submission_id = ? ORDER BY rowid", (sid,))],
            })
        history = _export_reviews(conn, version, records)
        manifest = {
            "format": ARCHIVE_FORMAT, "format_version": ARCHIVE_VERSION, "schema_version": SCHEMA_VERSION,
            "submissions": records, "history": history,
        }
        total = 0
        with atomic_output(out) as f, zipfile.ZipFile(f, "w", allowZip64=True) as zf:
            zf.writestr(_zipinfo(ARCHIVE_README, zipfile.ZIP_DEFLATED), _README_TEXT.encode("utf-8"))
            zf.writestr(_zipinfo(ARCHIVE_MANIFEST, zipfile.ZIP_DEFLATED),
                        (json.dumps(manifest, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))
            for rec in records:
                data = bytes(conn.execute("SELECT original FROM submissions WHERE id = ?", (rec["id"],)).fetchone()[0])
                if hashlib.sha256(data).hexdigest() != rec["sha256"]:
                    raise StoreError(f"{_label(rec['id'], rec['agency'], rec['year'], rec['version'], rec['filename'])}"
                                     ": tệp gốc không khớp mã băm sha256; chưa sao lưu, hãy chạy kehoach check-db")
                total += len(data)
                zf.writestr(_zipinfo(rec["original"], zipfile.ZIP_STORED), data)
        conn.execute("COMMIT")
    except (sqlite3.Error, ValueError) as e:
        raise describe_sqlite_error(e, db) if isinstance(e, sqlite3.Error) else StoreError(
            f'cơ sở dữ liệu "{db}" có dữ liệu không đọc được; hãy chạy kehoach check-db') from e
    finally:
        conn.close()
    return _summary(records, total)


_HISTORY_KEYS = ("id", "at", "user", "action", "submission_id", "state", "previous_state", "note")


def _ingest_events(records: list[dict]) -> list[dict]:
    """The history of submissions stored before kehoach kept one (as the schema 2 upgrade writes it)."""
    return [dict(zip(_HISTORY_KEYS, (i, rec["received_at"], None, "ingest", rec["id"], REVIEW_STATES[0], None, "")))
            for i, rec in enumerate(records, 1)]


def _export_reviews(conn: sqlite3.Connection, version: int, records: list[dict]) -> list[dict]:
    """Add each record's review state, note and arrival date; return the history (a schema 1 database: the
    defaults, as its upgrade would give)."""
    if version < 2:
        for rec in records:
            rec.update(review_state=REVIEW_STATES[0], review_note="", arrived_on=None, ingest_warnings=[])
        return _ingest_events(records)
    reviews = {r[0]: r[1:] for r in conn.execute(
        "SELECT id, review_state, review_note, arrived_on, ingest_warnings FROM submissions")}
    for rec in records:
        state, note, arrived, warned = reviews[rec["id"]]
        rec.update(review_state=state, review_note=note, arrived_on=arrived, ingest_warnings=json.loads(warned))
    return [dict(zip(_HISTORY_KEYS, r)) for r in conn.execute(
        f"SELECT {', '.join(_HISTORY_KEYS)} FROM history ORDER BY id")]


def _bad_archive(archive: Path, what: str) -> StoreError:
    return StoreError(f'tệp sao lưu "{archive}" không dùng được: {what}; hãy dùng đúng tệp do lệnh kehoach export tạo '
                      "ra (không sửa, không giải nén rồi nén lại)")


_RECORD_TYPES = {"id": int, "plan": str, "plan_version": str, "year": int, "agency": str, "version": int,
                 "sha256": str, "received_at": str, "filename": str, "warnings": list, "original": str,
                 "entries": list, "sections": list}
_ENTRY_TYPES = {"position": int, "task_id": str, "code": str, "role": str, "result": str, "status": (str, type(None)),
                "status_text": str, "note": str}
_SECTION_TYPES = {"section": str, "text": str}
_REVIEW_TYPES = {"review_state": str, "review_note": str, "arrived_on": (str, type(None)),  # archive version 2
                 "ingest_warnings": list}
_HISTORY_TYPES = {"id": int, "at": str, "user": (str, type(None)), "action": str, "submission_id": int, "state": str,
                  "previous_state": (str, type(None)), "note": str}


def _typed(item: object, types: dict) -> bool:
    return isinstance(item, dict) and set(item) == set(types) and all(
        isinstance(item[k], t) and not (t is int and isinstance(item[k], bool)) for k, t in types.items())


def _read_manifest(zf: zipfile.ZipFile, archive: Path) -> tuple[list[dict], list[dict]]:
    """The archive's records and history, checked (an archive of version 1 gets the defaults of schema 1)."""
    _check_names(zf, archive)
    try:
        info = zf.getinfo(ARCHIVE_MANIFEST)
    except KeyError:
        raise _bad_archive(archive, f"không có {ARCHIVE_MANIFEST}") from None
    if info.file_size > MAX_MANIFEST_BYTES:
        raise _bad_archive(archive, f"{ARCHIVE_MANIFEST} quá lớn")
    try:
        manifest = _parse_json(zf.read(info), archive)
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, UnicodeDecodeError, OSError) as e:
        raise _bad_archive(archive, f"{ARCHIVE_MANIFEST} bị hỏng ({type(e).__name__})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != ARCHIVE_FORMAT:
        raise _bad_archive(archive, "không phải tệp sao lưu của kehoach")
    old = (manifest.get("format_version"), manifest.get("schema_version")) == (1, 1)  # before reviews
    if not old and (manifest.get("format_version") != ARCHIVE_VERSION
                    or manifest.get("schema_version") != SCHEMA_VERSION):
        raise _bad_archive(archive, f"tệp do phiên bản kehoach khác tạo (định dạng {manifest.get('format_version')}, "
                                    f"cấu trúc {manifest.get('schema_version')})")
    records = manifest.get("submissions")
    if not isinstance(records, list):
        raise _bad_archive(archive, "danh sách bản báo cáo không đọc được")
    ids, shas, keys = set(), set(), set()
    record_types = _RECORD_TYPES if old else _RECORD_TYPES | _REVIEW_TYPES
    for i, rec in enumerate(records):
        where = f"bản ghi thứ {i + 1}"
        if not _typed(rec, record_types) or not all(_typed(e, _ENTRY_TYPES) for e in rec["entries"]) \
                or not all(_typed(s, _SECTION_TYPES) for s in rec["sections"]) \
                or not all(isinstance(w, str) for w in rec["warnings"]):
            raise _bad_archive(archive, f"{where} thiếu thông tin hoặc sai kiểu dữ liệu")
        _check_values(rec, where, archive)
        if not _SHA.fullmatch(rec["sha256"]) or rec["original"] != original_name(rec["sha256"]):
            raise _bad_archive(archive, f"{where} có mã băm sha256 không hợp lệ")
        key = (rec["plan"], rec["year"], rec["agency"], rec["version"])
        if rec["id"] in ids or rec["sha256"] in shas or key in keys:
            raise _bad_archive(archive, f"{where} trùng với một bản ghi khác")
        positions = [e["position"] for e in rec["entries"]]
        if not positions or positions != list(range(len(positions))):
            raise _bad_archive(archive, f"{where} có danh sách nhiệm vụ không liên tục")
        if any(e["status"] is not None and e["status"] not in STATUSES or e["role"] not in ROLES
               for e in rec["entries"]) or any(s["section"] not in SECTIONS for s in rec["sections"]):
            raise _bad_archive(archive, f"{where} có tình trạng, vai trò hoặc phần không hợp lệ")
        ids.add(rec["id"])
        shas.add(rec["sha256"])
        keys.add(key)
    versions: dict[tuple, list[int]] = {}
    for rec in records:
        versions.setdefault((rec["plan"], rec["year"], rec["agency"]), []).append(rec["version"])
    for (plan, year, agency), numbers in sorted(versions.items()):
        if sorted(numbers) != list(range(1, len(numbers) + 1)):
            raise _bad_archive(archive, f"các phiên bản của {agency} năm {year} không liên tục từ 1")
    if old:
        for rec in records:
            rec.update(review_state=REVIEW_STATES[0], review_note="", arrived_on=None, ingest_warnings=[])
        return records, _ingest_events(records)
    return records, _read_history(manifest, records, archive)


def _read_history(manifest: dict, records: list[dict], archive: Path) -> list[dict]:
    """The archive's review states and history, checked as check-db checks the database's."""
    for i, rec in enumerate(records):
        if rec["review_state"] not in REVIEW_STATES or rec["arrived_on"] is not None and not _is_date(
                rec["arrived_on"]) or rec["review_state"] in NOTE_REQUIRED and not rec["review_note"].strip() \
                or not all(isinstance(w, str) for w in rec["ingest_warnings"]):
            raise _bad_archive(archive, f"bản ghi thứ {i + 1} có trạng thái duyệt hoặc ngày đến không hợp lệ")
    history = manifest.get("history")
    if not isinstance(history, list) or not all(_typed(h, _HISTORY_TYPES) for h in history):
        raise _bad_archive(archive, "lịch sử nhận và duyệt không đọc được")
    states = {rec["id"]: rec["review_state"] for rec in records}
    last: dict[int, str] = {}
    previous_id = 0
    for h in history:
        sid = h["submission_id"]
        first = sid not in last
        if h["id"] <= previous_id or sid not in states or h["action"] not in HISTORY_ACTIONS \
                or h["state"] not in REVIEW_STATES or (h["action"] == "ingest") != first \
                or (not first and h["previous_state"] != last[sid]):
            raise _bad_archive(archive, f"dòng {h['id']} của lịch sử nhận và duyệt không hợp lệ")
        previous_id = h["id"]
        last[sid] = h["state"]
    if last != states:
        raise _bad_archive(archive, "lịch sử nhận và duyệt không khớp trạng thái duyệt của các bản báo cáo")
    return history


def _check_names(zf: zipfile.ZipFile, archive: Path) -> None:
    """Refuse a zip holding two entries of one name (two kehoach-sao-luu.json: which one is the backup?)."""
    from .formreader import duplicate_name

    twice = duplicate_name(zf.infolist())
    if twice:
        raise _bad_archive(archive, f'có hai tệp cùng tên "{_escaped(twice)}" trong tệp nén (kehoach export không bao '
                                    "giờ ghi như vậy), không biết tệp nào là thật")


class _JsonLimit(ValueError):
    pass


def _bounded_int(text: str) -> int:
    if len(text) > 12 or abs(int(text)) > MAX_JSON_INT:
        raise _JsonLimit(f"có số nguyên quá lớn ({text[:20]}{'…' if len(text) > 20 else ''}; giới hạn {MAX_JSON_INT})")
    return int(text)


def _no_constant(text: str) -> None:
    raise _JsonLimit(f"có giá trị {text}, không phải JSON của kehoach export")


_JSON_STRING = re.compile(rb'"[^"\\]*+(?:\\.[^"\\]*+)*+"')  # possessive: linear, no backtracking state
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_BRACKET_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")


def _json_depth(data: bytes) -> int:
    """The deepest nesting of lists and objects in a JSON text, found without parsing it (brackets outside strings;
    C loops only: a few seconds for the largest manifest allowed even if it is nothing but brackets)."""
    from array import array
    from itertools import accumulate

    steps = array("b", _JSON_STRING.sub(b"", data).translate(None, _NOT_BRACKETS).translate(_BRACKET_STEPS))
    return max(accumulate(steps), default=0)


def _parse_json(data: bytes, archive: Path) -> object:
    """The manifest's JSON within bounds (nesting depth, integers), each excess one sentence: json.loads alone
    overflows the stack on deep nesting and gives integers SQLite cannot store."""
    depth = _json_depth(data)
    if depth > MAX_JSON_DEPTH:
        raise _bad_archive(archive, f"{ARCHIVE_MANIFEST} lồng nhau quá sâu ({depth} mức; giới hạn {MAX_JSON_DEPTH})")
    try:
        return json.loads(data.decode("utf-8"), parse_int=_bounded_int, parse_constant=_no_constant)
    except _JsonLimit as e:
        raise _bad_archive(archive, f"{ARCHIVE_MANIFEST} {e}") from None
    except RecursionError:  # (not reached: the depth is checked first)
        raise _bad_archive(archive, f"{ARCHIVE_MANIFEST} lồng nhau quá sâu") from None


def _record_label(rec: dict) -> str:
    return _label(rec["id"], _escaped(rec["agency"]), rec["year"], rec["version"], _escaped(rec["filename"]))


def _check_values(rec: dict, where: str, archive: Path) -> None:
    """A typed record's values are sane before anything reads them: ids, versions and positions in range, a year of
    the calendar, a plan id that is a name (never a path) and an agency id (both printed in messages)."""
    if not _AGENCY_ID.fullmatch(rec["agency"]):
        raise _bad_archive(archive, f'{where} có mã đơn vị "{_escaped(rec["agency"])[:80]}" không hợp lệ')
    label = _record_label(rec)
    if rec["id"] < 1 or rec["version"] < 1 or any(e["position"] < 0 for e in rec["entries"]):
        raise _bad_archive(archive, f"{label}: số thứ tự bản báo cáo, phiên bản hoặc vị trí nhiệm vụ không hợp lệ")
    if not YEARS[0] <= rec["year"] <= YEARS[1]:
        raise _bad_archive(archive, f"{label}: năm báo cáo {rec['year']} không hợp lệ (ngoài khoảng "
                                    f"{YEARS[0]}–{YEARS[1]})")
    if not _PLAN_ID.fullmatch(rec["plan"]):
        raise _bad_archive(archive, f'{label}: mã kế hoạch "{_escaped(rec["plan"])[:80]}" không hợp lệ (mã kế hoạch '
                                    "chỉ gồm chữ thường không dấu, chữ số và dấu gạch ngang)")


def _verify_archive(zf: zipfile.ZipFile, archive: Path, records: list[dict], reread: Rereader) -> int:
    """Every original against its sha256 and then read again (`reread`): each record must say exactly what its
    original says (identity, entries, sections, warnings). Returns the originals' total size."""
    total = 0
    for rec in records:
        data = _original(zf, archive, rec)
        total += len(data)
        stored = stored_reading(rec["plan"], rec["plan_version"], rec["year"], rec["agency"],
                                [Entry(**{k: e[k] for k in _ENTRY_TYPES if k != "position"}) for e in rec["entries"]],
                                [(s["section"], s["text"]) for s in rec["sections"]], rec["warnings"])
        found = reread(stored, data, rec["filename"])
        if found is None:
            continue
        if found.unknown_plan:
            raise StoreError(f'tệp sao lưu "{archive}" không dùng được: {_record_label(rec)} {found.text}; nếu tệp '
                             "sao lưu có báo cáo của kế hoạch đó, hãy chỉ thư mục dữ liệu của từng kế hoạch bằng "
                             "--plan THƯ_MỤC (lặp lại --plan cho mỗi kế hoạch)")
        raise _bad_archive(archive, f"{_record_label(rec)} {found.text}")
    return total


@contextlib.contextmanager
def _staged_database(db: Path) -> Iterator[Path]:
    """Where to restore: `db` itself when it exists (an empty database, written in one transaction), else a hidden
    new file beside it, linked into place only once the restore is complete (as `_create` makes a new database):
    a restore that fails, or is killed, leaves no database file and no folder it created."""
    if db.exists():
        yield db
        return
    made = [p for p in (db.parent, *db.parent.parents) if not p.exists()]
    db.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_staging(db)
    temp = db.with_name(f".{db.name}.{os.getpid()}.import")
    try:
        yield temp
        with open(temp, "rb") as f:
            os.fsync(f.fileno())
        try:
            os.link(temp, db)
        except FileExistsError:
            raise StoreError(f'cơ sở dữ liệu "{db}" vừa được tạo trong lúc khôi phục (có người đang nhận biểu mẫu?); '
                             "chưa khôi phục gì: hãy khôi phục vào một tệp mới bằng --db TỆP_MỚI") from None
        except OSError:  # a file system without hard links (FAT, exFAT on a USB stick)
            if db.exists():
                raise
            os.replace(temp, db)
        made = []
    finally:
        for leftover in _companions(temp):
            leftover.unlink(missing_ok=True)
        for folder in made:  # deepest first
            with contextlib.suppress(OSError):
                folder.rmdir()


def _companions(path: Path) -> list[Path]:
    return [path, *(path.with_name(path.name + s) for s in ("-wal", "-shm", "-journal"))]


def _remove_stale_staging(db: Path) -> None:
    """Hidden files of a restore that was killed (SIGKILL, power cut), once their process is gone."""
    for leftover in db.parent.glob(f".{glob.escape(db.name)}.*.import*"):
        pid = leftover.name[len(db.name) + 2:].split(".", 1)[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            leftover.unlink(missing_ok=True)
        except OSError:
            pass


def _original(zf: zipfile.ZipFile, archive: Path, rec: dict) -> bytes:
    from .formreader import MAX_FILE_BYTES

    try:
        info = zf.getinfo(rec["original"])
    except KeyError:
        raise _bad_archive(archive, f"thiếu tệp gốc {rec['original']} ({rec['agency']}, năm {rec['year']})") from None
    if info.file_size > MAX_FILE_BYTES:
        raise _bad_archive(archive, f"tệp gốc {rec['original']} lớn bất thường")
    try:
        data = zf.read(info)  # the zip's CRC-32 is checked at the end of the read
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, OSError) as e:
        raise _bad_archive(archive, f"tệp gốc {rec['original']} bị hỏng ({type(e).__name__})") from None
    if hashlib.sha256(data).hexdigest() != rec["sha256"]:
        raise _bad_archive(archive, f"tệp gốc {rec['original']} ({rec['agency']}, năm {rec['year']}) không khớp mã "
                                    "băm sha256")
    return data


def _import_history(c: sqlite3.Connection, history: list[dict]) -> None:
    c.executemany(f"INSERT INTO history ({', '.join(_HISTORY_KEYS)}) VALUES ({', '.join('?' * len(_HISTORY_KEYS))})",
                  [tuple(h[k] for k in _HISTORY_KEYS) for h in history])


def import_archive(archive: str | Path, db: str | Path, *, reread: Rereader) -> ArchiveSummary:
    """Restore an `export_archive` zip into a new (or empty) database: the whole archive is verified first (no two
    entries of one name, bounded JSON, sane values, every original against its sha256 and read again through the form
    reader with `reread`: each record must say what its original says), then written in one transaction; a new
    database appears whole or not at all; a database holding submissions is never touched."""
    archive, db = Path(archive), Path(db)
    if not archive.is_file():
        raise StoreError(f'không tìm thấy tệp sao lưu "{archive}"; hãy kiểm tra đường dẫn')
    check_location(db)
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError):
        raise _bad_archive(archive, "không đọc được tệp nén") from None
    with zf:
        records, history = _read_manifest(zf, archive)
        total = _verify_archive(zf, archive, records, reread)  # verify everything before writing
        refuse = StoreError(f'cơ sở dữ liệu "{db}" đã có báo cáo; kehoach không ghi đè dữ liệu đã có: hãy khôi phục '
                            "vào một tệp mới bằng --db TỆP_MỚI")
        if db.exists():
            with Store(db, create=False) as store:
                if store.conn.execute("SELECT COUNT(*) FROM submissions").fetchone()[0]:
                    raise refuse
        with _staged_database(db) as target, Store(target, create=True) as store:
            c = store.conn
            try:
                c.execute("BEGIN IMMEDIATE")
                try:
                    if c.execute("SELECT COUNT(*) FROM submissions").fetchone()[0]:
                        raise refuse  # someone ingested meanwhile
                    for rec in records:
                        data = _original(zf, archive, rec)
                        c.execute(
                            "INSERT INTO submissions (id, plan, plan_version, year, agency, version, sha256, "
                            "received_at, filename, original, warnings, review_state, review_note, arrived_on, "
                            "ingest_warnings) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            (rec["id"], rec["plan"], rec["plan_version"], rec["year"], rec["agency"], rec["version"],
                             rec["sha256"], rec["received_at"], rec["filename"], sqlite3.Binary(data),
                             json.dumps(rec["warnings"], ensure_ascii=False), rec["review_state"], rec["review_note"],
                             rec["arrived_on"], json.dumps(rec["ingest_warnings"], ensure_ascii=False)))
                        c.executemany(
                            "INSERT INTO entries (submission_id, position, task_id, code, role, result, status, "
                            "status_text, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            [(rec["id"], e["position"], e["task_id"], e["code"], e["role"], e["result"], e["status"],
                              e["status_text"], e["note"]) for e in rec["entries"]])
                        c.executemany("INSERT INTO sections (submission_id, section, text) VALUES (?, ?, ?)",
                                      [(rec["id"], s["section"], s["text"]) for s in rec["sections"]])
                    _import_history(c, history)
                    fault("in-transaction")
                    c.execute("COMMIT")
                except BaseException:
                    if c.in_transaction:
                        c.execute("ROLLBACK")
                    raise
            except sqlite3.IntegrityError as e:
                raise _bad_archive(archive, f"dữ liệu không nhất quán ({e})") from e
            except sqlite3.Error as e:
                raise describe_sqlite_error(e, db) from e
    report = check_database(db)
    if not report.ok:
        raise StoreError(f'đã khôi phục vào "{db}" nhưng kiểm tra thấy {len(report.problems)} lỗi '
                         f"({report.problems[0]}); "
                         "hãy chạy kehoach check-db")
    return _summary(records, total)
