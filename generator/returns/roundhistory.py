"""The history of one year's round, newest first: every ingest and review of every agency's versions (`history`)
and the round's log (`events`: links issued and revoked, documents built), as lines of who, when and what."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from ..errors import describe_sqlite_error
from .model import Event
from .review import describe, who
from .roundlog import round_log
from .store import Store

LINK_USER = "lien-ket:"  # an agency's upload through its link is recorded as lien-ket:<agency id>
ACTIONS = {
    "link-issue": "cấp liên kết nộp báo cáo",
    "link-revoke": "thu hồi liên kết nộp báo cáo",
    "generate-pack": "tạo bộ biểu mẫu",
    "generate-appendix": "tạo phụ lục",
    "generate-summary": "tạo báo cáo tổng hợp",
    "generate-reminder": "tạo công văn đôn đốc",
    "user-add": "thêm tài khoản",
    "user-remove": "xóa tài khoản",
    "login-failed": "đăng nhập không thành công",
}


@dataclass(frozen=True)
class HistoryLine:
    at: str  # UTC, ISO 8601
    user: str  # as shown (`review.who`)
    agency: str | None  # id
    what: str  # one Vietnamese phrase
    kind: str  # "ingest" | "review" | an events action

    def as_json(self) -> dict:
        return {"at": self.at, "user": self.user, "agency": self.agency, "what": self.what, "kind": self.kind}


def submission_events(store: Store, plan: str, year: int) -> list[tuple[str, Event]]:
    """(agency id, event) of every ingest and review of the round's versions, oldest first."""
    try:
        rows = store.conn.execute(
            "SELECT s.agency, h.id, h.at, h.user, h.action, h.submission_id, s.version, s.filename, h.state, "
            "h.previous_state, h.note, json_array_length(s.warnings) + json_array_length(s.ingest_warnings) "
            "FROM history h JOIN submissions s ON s.id = h.submission_id WHERE s.plan = ? AND s.year = ? "
            "ORDER BY h.id", (plan, year)).fetchall()
    except sqlite3.Error as e:
        raise describe_sqlite_error(e, store.path) from e
    return [(r[0], Event(*r[1:])) for r in rows]


def round_history(store: Store, plan: str, year: int) -> list[HistoryLine]:
    """The round's history, newest first (ties: the log's line after the submission's, each in its own order)."""
    lines = [(e.at, 0, e.id, HistoryLine(e.at, who(e), agency, describe(e), e.action))
             for agency, e in submission_events(store, plan, year)]
    for g in round_log(store, plan, year):
        what = ACTIONS.get(g.action, g.action) + (f" ({g.detail})" if g.detail else "")
        lines.append((g.at, 1, g.id, HistoryLine(g.at, g.user or "(không rõ)", g.agency, what, g.action)))
    return [line for *_, line in sorted(lines, key=lambda t: t[:3], reverse=True)]
