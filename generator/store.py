"""The database of returned forms (SQLite, standard library): every submission with its original file, byte for byte.

* One submission per distinct file (sha256 UNIQUE): ingesting the same file twice changes nothing.
* A new file from the same agency for the same plan and year is the next version; the latest version counts,
  earlier ones stay queryable (`history`).
* Each ingest is one transaction (BEGIN IMMEDIATE), in WAL mode with a busy timeout, so two clerks ingesting at
  the same time neither corrupt the database nor number two submissions alike.

Default location: kehoach-data/bao-cao.sqlite3 under the current folder (never inside output/, which is
regenerable); `--db FILE` or the environment variable KEHOACH_DB override it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from .errors import KehoachError
from .formreader import Entry, FormReading

DEFAULT_DB = Path("kehoach-data") / "bao-cao.sqlite3"
DB_ENV = "KEHOACH_DB"
SCHEMA_VERSION = 1
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


class StoreError(KehoachError):
    pass


def default_path() -> Path:
    env = os.environ.get(DB_ENV)
    return Path(env) if env else DEFAULT_DB


def check_location(path: Path) -> None:
    """Refuse a database inside output/: that folder holds regenerable files and may be replaced wholesale."""
    resolved = path.resolve()
    output = (Path.cwd() / "output").resolve()
    if resolved == output or output in resolved.parents:
        raise StoreError(f'không đặt cơ sở dữ liệu "{path}" trong thư mục output/ (thư mục này được tạo lại và có '
                         f"thể bị thay thế); hãy dùng mặc định {DEFAULT_DB} hoặc một đường dẫn khác")


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

    @property
    def received(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.received_at.replace("Z", "+00:00"))


@dataclass(frozen=True)
class Added:
    submission: Submission
    duplicate: bool  # True: this very file was already stored (nothing changed)


def utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class Store:
    def __init__(self, path: str | Path, *, create: bool = True):
        self.path = Path(path)
        check_location(self.path)
        if not self.path.exists():
            if not create:
                raise StoreError(f'chưa có cơ sở dữ liệu "{self.path}"; hãy nhận biểu mẫu bằng lệnh kehoach ingest '
                                 "trước (hoặc chỉ đúng tệp bằng --db)")
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA foreign_keys = ON")
            version = self.conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(f'cơ sở dữ liệu "{self.path}" do phiên bản kehoach mới hơn tạo ra; hãy cập nhật '
                                 "kehoach")
            if version < SCHEMA_VERSION:
                self.conn.executescript(f"BEGIN IMMEDIATE;{_SCHEMA}PRAGMA user_version = {SCHEMA_VERSION};COMMIT;")
        except sqlite3.DatabaseError as e:
            raise StoreError(f'không mở được cơ sở dữ liệu "{self.path}" ({e}); tệp không phải cơ sở dữ liệu '
                             "kehoach hoặc đã hỏng") from e

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------------------------------------ writing

    def add(self, reading: FormReading, original: bytes, filename: str, received_at: str | None = None) -> Added:
        """Store one submission in one transaction; the same file (sha256) twice is a no-op."""
        sha = hashlib.sha256(original).hexdigest()
        c = self.conn
        c.execute("BEGIN IMMEDIATE")
        try:
            row = c.execute("SELECT id FROM submissions WHERE sha256 = ?", (sha,)).fetchone()
            if row:
                c.execute("ROLLBACK")
                return Added(self.get(row[0]), duplicate=True)
            version = c.execute(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM submissions WHERE plan = ? AND year = ? AND agency = ?",
                (reading.plan, reading.year, reading.agency),
            ).fetchone()[0]
            cur = c.execute(
                "INSERT INTO submissions (plan, plan_version, year, agency, version, sha256, received_at, filename, "
                "original, warnings) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (reading.plan, reading.plan_version, reading.year, reading.agency, version, sha,
                 received_at or utc_now(), filename, sqlite3.Binary(original),
                 json.dumps(list(reading.warnings), ensure_ascii=False)),
            )
            sid = cur.lastrowid
            c.executemany(
                "INSERT INTO entries (submission_id, position, task_id, code, role, result, status, status_text, note) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(sid, i, e.task_id, e.code, e.role, e.result, e.status, e.status_text, e.note)
                 for i, e in enumerate(reading.entries)],
            )
            c.executemany("INSERT INTO sections (submission_id, section, text) VALUES (?, ?, ?)",
                          [(sid, name, text) for name, text in sorted(reading.sections.items())])
            c.execute("COMMIT")
        except BaseException:
            if c.in_transaction:
                c.execute("ROLLBACK")
            raise
        return Added(self.get(sid), duplicate=False)

    # ------------------------------------------------------------------------------------------------ reading

    _COLUMNS = "id, plan, plan_version, year, agency, version, sha256, received_at, filename, warnings"

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
        return Submission(*row[:9], warnings=tuple(json.loads(row[9])), entries=entries, sections=sections)

    def get(self, submission_id: int) -> Submission:
        row = self.conn.execute(f"SELECT {self._COLUMNS} FROM submissions WHERE id = ?", (submission_id,)).fetchone()
        if row is None:
            raise KeyError(submission_id)
        return self._submission(row)

    def original(self, submission_id: int) -> bytes:
        row = self.conn.execute("SELECT original FROM submissions WHERE id = ?", (submission_id,)).fetchone()
        if row is None:
            raise KeyError(submission_id)
        return bytes(row[0])

    def submissions(self, plan: str, year: int, *, full: bool = False) -> list[Submission]:
        """Every version of every agency for a plan and year, by agency then version."""
        rows = self.conn.execute(
            f"SELECT {self._COLUMNS} FROM submissions WHERE plan = ? AND year = ? ORDER BY agency, version",
            (plan, year)).fetchall()
        return [self._submission(r, full) for r in rows]

    def history(self, plan: str, year: int, agency: str) -> list[Submission]:
        """All versions an agency sent for a plan and year, oldest first."""
        rows = self.conn.execute(
            f"SELECT {self._COLUMNS} FROM submissions WHERE plan = ? AND year = ? AND agency = ? ORDER BY version",
            (plan, year, agency)).fetchall()
        return [self._submission(r) for r in rows]

    def latest(self, plan: str, year: int) -> dict[str, Submission]:
        """The version that counts (the latest) of each agency that reported, by agency id."""
        rows = self.conn.execute(
            f"SELECT {self._COLUMNS} FROM submissions s WHERE plan = ? AND year = ? AND version = "
            "(SELECT MAX(version) FROM submissions t "
            "WHERE t.plan = s.plan AND t.year = s.year AND t.agency = s.agency) "
            "ORDER BY agency", (plan, year)).fetchall()
        return {r[4]: self._submission(r) for r in rows}

    def dump(self) -> str:
        """The whole database as SQL text (for comparisons and backups)."""
        return "\n".join(self.conn.iterdump())
