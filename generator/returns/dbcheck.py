"""The read-only integrity check of the database of returned forms (`kehoach check-db`)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import BUSY_TIMEOUT_MS, StoreError, describe_sqlite_error
from ..forms.contract import SECTIONS, STATUSES
from ..paths import DEFAULT_DB
from .dbschema import EVENT_ACTIONS, HISTORY_ACTIONS, NOTE_REQUIRED, REVIEW_STATES, SCHEMA_VERSION
from .model import Entry, FormReading

if TYPE_CHECKING:
    from .reread import Rereader


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
_WEB_COLUMNS_OF = {  # added by schema 3
    "users": ["name", "password_hash", "created_at"],
    "links": ["id", "plan", "year", "agency", "token_hash", "created_at", "revoked_at"],
    "events": ["id", "at", "user", "plan", "year", "action", "agency", "detail"],
    "secrets": ["name", "value"],
}
# 1: before reviews, 2: before the web app; read as they are by check-db and export
READABLE_SCHEMAS = (1, 2, SCHEMA_VERSION)


def _columns_of(version: int) -> dict[str, list[str]]:
    """The tables and their columns of a database of schema `version`."""
    if version < 2:
        return _COLUMNS_OF
    columns = {t: _COLUMNS_OF.get(t, []) + _REVIEW_COLUMNS_OF.get(t, []) for t in (*_COLUMNS_OF, "history")}
    return columns if version < 3 else {**columns, **_WEB_COLUMNS_OF}


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
    if report.schema_version >= 3:
        _check_events(conn, problems)


def _check_events(conn: sqlite3.Connection, problems: list[str]) -> None:
    """The round's log (schema 3): still append-only, every line a known action at a readable time."""
    triggers = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    if not {"events_no_update", "events_no_delete"} <= triggers:
        problems.append("nhật ký của đợt báo cáo không còn được bảo vệ khỏi sửa, xóa (thiếu trigger của kehoach)")
    for event_id, at, action in conn.execute("SELECT id, at, action FROM events ORDER BY id"):
        if action not in EVENT_ACTIONS or not _is_time(at):
            problems.append(f'dòng {event_id} của nhật ký: việc "{_escaped(action)}" hoặc thời điểm "{_escaped(at)}" '
                            "không hợp lệ")


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


def _is_time(text: object) -> bool:
    try:
        dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
        return True
    except ValueError:
        return False


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
