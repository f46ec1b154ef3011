"""The schema of the database of returned forms: its tables, the review states of a version, and the migrations from
an older schema; a new database is created whole or not at all."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from ..errors import describe_sqlite_error


SCHEMA_VERSION = 3

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

# ------------------------------------------------------------------------------------------------ web app (schema 3)

# what the round's log (`events`) records: office accounts, agency links, failed logins, documents built
EVENT_ACTIONS = ("user-add", "user-remove", "link-issue", "link-revoke", "login-failed", "generate-pack",
                 "generate-appendix", "generate-summary", "generate-reminder")

# Schema 2 -> 3: the web app's office accounts (argon2 hashes), the agencies' upload links (only a sha256 of each
# token; at most one live link per plan, year and agency), the round's log (append-only, like `history`) and the
# secret keys the app signs its cookies with (made on first use).
_SCHEMA_WEB = (
    """CREATE TABLE users (
    name          TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,  -- argon2id, in the library's encoded form
    created_at    TEXT NOT NULL   -- UTC, ISO 8601
)""",
    """CREATE TABLE links (
    id         INTEGER PRIMARY KEY,
    plan       TEXT    NOT NULL,
    year       INTEGER NOT NULL,
    agency     TEXT    NOT NULL,
    token_hash TEXT    NOT NULL UNIQUE,  -- sha256 hex of the token; the token itself is never stored
    created_at TEXT    NOT NULL,
    revoked_at TEXT                      -- NULL: the link works
)""",
    "CREATE UNIQUE INDEX links_live ON links (plan, year, agency) WHERE revoked_at IS NULL",
    """CREATE TABLE events (
    id     INTEGER PRIMARY KEY,
    at     TEXT    NOT NULL,  -- UTC, ISO 8601
    user   TEXT,              -- who: an office account, lien-ket:<agency> for an upload through a link, the OS user
    plan   TEXT,
    year   INTEGER,
    action TEXT    NOT NULL,  -- one of EVENT_ACTIONS
    agency TEXT,
    detail TEXT    NOT NULL DEFAULT ''
)""",
    "CREATE INDEX events_by_round ON events (plan, year, id)",
    "CREATE INDEX events_by_action ON events (action, at)",
    "CREATE TRIGGER events_no_update BEFORE UPDATE ON events "
    "BEGIN SELECT RAISE(ABORT, 'kehoach events are append-only'); END",
    "CREATE TRIGGER events_no_delete BEFORE DELETE ON events "
    "BEGIN SELECT RAISE(ABORT, 'kehoach events are append-only'); END",
    """CREATE TABLE secrets (
    name  TEXT PRIMARY KEY,  -- session, csrf
    value BLOB NOT NULL      -- secrets.token_bytes(32), made on first use
)""",
)
_MIGRATIONS = {2: _SCHEMA_REVIEWS, 3: _SCHEMA_WEB}  # schema version -> the statements that reach it from the one before


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
