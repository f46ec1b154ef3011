"""Backups of the database of returned forms: a deterministic .zip archive written (`kehoach export`) and restored
into a new database after checking it whole (`kehoach import`)."""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import os
import sqlite3
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import StoreError, describe_sqlite_error
from ..forms.contract import SECTIONS, STATUSES
from ..fsutil import atomic_output, fault
from .archive_events import export_events, import_events, read_events
from .dbcheck import (READABLE_SCHEMAS, ROLES, _SHA, _escaped, _is_date, _label, check_database, connect_readonly,
    stored_reading)
from .dbschema import HISTORY_ACTIONS, NOTE_REQUIRED, REVIEW_STATES, SCHEMA_VERSION
from .manifest import (ARCHIVE_FORMAT, ARCHIVE_MANIFEST, ARCHIVE_SCHEMAS, ARCHIVE_VERSION, _ENTRY_TYPES, _HISTORY_TYPES, _RECORD_TYPES,
    _REVIEW_TYPES, _SECTION_TYPES, _bad_archive, _check_values, _parse_json, _record_label, _typed)
from .model import Entry
from .store import Store, check_location

if TYPE_CHECKING:
    from .reread import Rereader


ARCHIVE_README = "DOC-TRUOC.txt"
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
MAX_MANIFEST_BYTES = 256 * 1024 * 1024  # the JSON of a backup (about 50 KB per submission in practice)
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
            "submissions": records, "history": history, "events": export_events(conn, version),
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


def _read_manifest(zf: zipfile.ZipFile, archive: Path) -> tuple[list[dict], list[dict], list[dict]]:
    """The archive's records, history and log, checked (an archive of version 1 gets the defaults of schema 1)."""
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
    if not isinstance(manifest.get("format_version"), int) or \
            ARCHIVE_SCHEMAS.get(manifest["format_version"]) != manifest.get("schema_version"):
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
        return records, _ingest_events(records), []
    return records, _read_history(manifest, records, archive), read_events(manifest, archive)


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
    from .package import duplicate_name

    twice = duplicate_name(zf.infolist())
    if twice:
        raise _bad_archive(archive, f'có hai tệp cùng tên "{_escaped(twice)}" trong tệp nén (kehoach export không bao '
                                    "giờ ghi như vậy), không biết tệp nào là thật")


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
    from .package import MAX_FILE_BYTES

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
        records, history, events = _read_manifest(zf, archive)
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
                    import_events(c, events)
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
