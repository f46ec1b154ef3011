"""The round's log (`events`, schema 3) in a backup: written by `export`, checked and restored by `import`.

What a backup holds of the web app: the log, yes (who issued which link, who built what: the round's record); office
accounts, agency links and the app's signing keys, no. A backup may be carried to another machine or kept for years:
it must not carry password hashes or working links. After `import` the office adds its accounts again
(`kehoach user add`) and issues the links again (`kehoach links --reissue`)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from .dbcheck import _is_time
from .dbschema import EVENT_ACTIONS
from .manifest import _bad_archive, _typed

EVENT_KEYS = ("id", "at", "user", "plan", "year", "action", "agency", "detail")
_OPTIONAL_STR = (str, type(None))
_EVENT_TYPES = {"id": int, "at": str, "user": _OPTIONAL_STR, "plan": _OPTIONAL_STR, "year": (int, type(None)),
                "action": str, "agency": _OPTIONAL_STR, "detail": str}


def export_events(conn: sqlite3.Connection, version: int) -> list[dict]:
    """The log of a database of schema `version` (none before schema 3), oldest first."""
    if version < 3:
        return []
    return [dict(zip(EVENT_KEYS, r)) for r in conn.execute(f"SELECT {', '.join(EVENT_KEYS)} FROM events ORDER BY id")]


def read_events(manifest: dict, archive: Path) -> list[dict]:
    """The archive's log, checked (an archive made before schema 3 has none)."""
    if manifest.get("format_version", 0) < 3:
        return []
    events = manifest.get("events")
    if not isinstance(events, list) or not all(_typed(e, _EVENT_TYPES) for e in events):
        raise _bad_archive(archive, "nhật ký của đợt báo cáo không đọc được")
    previous_id = 0
    for e in events:
        if e["id"] <= previous_id or e["action"] not in EVENT_ACTIONS or not _is_time(e["at"]):
            raise _bad_archive(archive, f"dòng {e['id']} của nhật ký không hợp lệ")
        previous_id = e["id"]
    return events


def import_events(c: sqlite3.Connection, events: list[dict]) -> None:
    c.executemany(f"INSERT INTO events ({', '.join(EVENT_KEYS)}) VALUES ({', '.join('?' * len(EVENT_KEYS))})",
                  [tuple(e[k] for k in EVENT_KEYS) for e in events])
