"""The submissions database: concurrent ingests both land, a kill during ingest leaves it consistent and the files
re-ingestable, `check-db` reports (read-only, never repairs), `export`/`import` round-trip everything, and database
failures (busy, full, damaged) end in one Vietnamese sentence."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from formfill import Fill, fill_form

from generator.returns import store as store_module
from generator.returns.read import read_form
from generator.fsutil import FAULT_ENV
from generator.returns.store import Store
from generator.errors import StoreError
from generator.returns.dbcheck import check_database
from generator.returns.archive import export_archive, import_archive

ENV = {k: v for k, v in os.environ.items() if k not in ("KEHOACH_DB", FAULT_ENV)}


def kehoach(*args: str, cwd: Path, fault: str | None = None, timeout: float = 180) -> subprocess.CompletedProcess:
    env = dict(ENV, COLUMNS="200", **({FAULT_ENV: fault} if fault else {}))
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=env)


def files_hash(db: Path) -> dict[str, str]:
    """The database file and its WAL, byte for byte (the -shm index is shared memory, not data; a read-only
    connection may create an empty WAL, which holds nothing)."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in (db, db.with_name(db.name + "-wal")) if p.exists() and p.stat().st_size}


def dump(db: Path) -> str:
    with Store(db, create=False) as s:
        return s.dump()


def count(db: Path) -> int:
    c = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return c.execute("SELECT COUNT(*) FROM submissions").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        c.close()


@pytest.fixture(scope="module")
def batch(plan_2024, forms_2024, tmp_path_factory) -> Path:
    """72 distinct filled forms: two versions for each of the 36 agencies (folder a/ then b/)."""
    from generator.plan.assignments import assignments

    first_task = {at.agency.id: at.all[0].task.id for at in assignments(plan_2024, 2024)}
    folder = tmp_path_factory.mktemp("batch")
    for version in ("a", "b"):
        (folder / version).mkdir()
        for agency, form in sorted(forms_2024.items()):
            data = fill_form(form, {first_task[agency]: Fill(result=[f"Kết quả {agency} bản {version}"],
                                                              status="Hoàn thành")})
            (folder / version / f"{agency}.docx").write_bytes(data)
    return folder


def test_store_uses_wal_and_a_busy_timeout(tmp_path):
    with Store(tmp_path / "bc.sqlite3") as s:
        assert s.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert s.conn.execute("PRAGMA busy_timeout").fetchone()[0] == store_module.BUSY_TIMEOUT_MS >= 5000


def test_two_ingests_at_once_both_land(batch, tmp_path):
    procs = [subprocess.Popen([sys.executable, "-m", "generator", "ingest", "--year", "2024", str(batch / v), "--db", "bc.sqlite3"],
                              cwd=tmp_path, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for v in ("a", "b")]
    outputs = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    for out, _ in outputs:
        assert "Đã nhận 36 tệp mới, 0 tệp đã có, 0 lỗi" in out
    db = tmp_path / "bc.sqlite3"
    with Store(db) as s:
        versions = s.conn.execute("SELECT agency, GROUP_CONCAT(version) FROM submissions GROUP BY agency").fetchall()
    assert len(versions) == 36 and all(sorted(v.split(",")) == ["1", "2"] for _, v in versions)
    r = kehoach("check-db", "--db", "bc.sqlite3", cwd=tmp_path)
    assert r.returncode == 0 and "72 bản báo cáo" in r.stdout


@pytest.fixture(scope="module")
def small_batch(batch, tmp_path_factory) -> Path:
    """20 of the forms (enough to kill an ingest in the middle, quick to re-ingest)."""
    folder = tmp_path_factory.mktemp("small")
    for f in sorted((batch / "a").iterdir())[:20]:
        (folder / f.name).write_bytes(f.read_bytes())
    return folder


@pytest.mark.parametrize("how", ["in-transaction:1", "in-transaction:9", "timing"])
def test_kill_during_ingest_leaves_a_consistent_database(small_batch, tmp_path, how):
    db = tmp_path / "bc.sqlite3"
    total = len(list(small_batch.iterdir()))
    args = [sys.executable, "-m", "generator", "ingest", "--year", "2024", str(small_batch), "--db", "bc.sqlite3"]
    if how == "timing":
        proc = subprocess.Popen(args, cwd=tmp_path, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline and (not db.exists() or count(db) < 5):
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        stored = count(db)
        assert 5 <= stored < total
    else:
        r = kehoach("ingest", "--year", "2024", str(small_batch), "--db", "bc.sqlite3", cwd=tmp_path, fault=f"kill:{how}")
        assert r.returncode == -signal.SIGKILL
        stored = int(how.split(":")[1]) - 1  # the killed transaction left no trace
        assert count(db) == stored
    before = files_hash(db)
    r = kehoach("check-db", "--db", "bc.sqlite3", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert f"{stored} bản báo cáo" in r.stdout and "không có lỗi" in r.stdout
    assert files_hash(db) == before  # check-db changed nothing, not even the WAL of the killed process
    r = kehoach("ingest", "--year", "2024", str(small_batch), "--db", "bc.sqlite3", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert f"Đã nhận {total - stored} tệp mới, {stored} tệp đã có, 0 lỗi" in r.stdout
    assert check_database(db).ok


# ------------------------------------------------------------------------------------------------ check-db


@pytest.fixture(scope="module")
def filled_db(batch, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("db")
    r = kehoach("ingest", "--year", "2024", str(batch / "a" / "so-cong-thuong.docx"), str(batch / "b" / "so-cong-thuong.docx"),
                str(batch / "a" / "ubnd-thanh-pho-nha-trang.docx"), str(batch / "a" / "so-tai-chinh.docx"),
                "--db", "bc.sqlite3", cwd=folder)
    assert r.returncode == 0, r.stderr
    return folder / "bc.sqlite3"


def copy_db(src: Path, dst: Path) -> Path:
    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)
    b.close()
    return dst


def tamper(db: Path, sql: str, *params) -> None:
    c = sqlite3.connect(db)
    c.execute("PRAGMA foreign_keys = OFF")
    c.execute(sql, params)
    c.commit()
    c.close()


@pytest.mark.parametrize("damage, words", [
    ("original", "tệp gốc không khớp mã băm sha256"),
    ("entries", "không có dòng nhiệm vụ nào"),
    ("version", "không liên tục từ 1"),
    ("orphan", "trỏ tới bản báo cáo không tồn tại"),
    ("status", 'tình trạng "Xong rồi" không thuộc danh sách'),
])
def test_check_db_reports_and_never_repairs(filled_db, tmp_path, damage, words):
    db = copy_db(filled_db, tmp_path / "bc.sqlite3")
    if damage == "original":
        tamper(db, "UPDATE submissions SET original = ? WHERE id = 2", b"PK\x03\x04 changed")
    elif damage == "entries":
        tamper(db, "DELETE FROM entries WHERE submission_id = 3")
    elif damage == "version":
        tamper(db, "UPDATE submissions SET version = 3 WHERE id = 2")
    elif damage == "orphan":
        tamper(db, "DELETE FROM submissions WHERE id = 4")
    elif damage == "status":
        tamper(db, "UPDATE entries SET status = 'Xong rồi' WHERE submission_id = 1")
    before = files_hash(db)
    r = kehoach("check-db", "--db", str(db), cwd=tmp_path)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert words in r.stderr, r.stderr
    assert "kehoach không tự sửa gì" in r.stderr
    assert files_hash(db) == before
    report = check_database(db)
    assert not report.ok and files_hash(db) == before


def test_check_db_on_damaged_files(filled_db, tmp_path):
    db = copy_db(filled_db, tmp_path / "bc.sqlite3")
    data = bytearray(db.read_bytes())
    page = 4096
    for i in range(page * 2, min(len(data), page * 6)):  # scribble over a few pages after the header
        data[i] ^= 0x5A
    db.write_bytes(bytes(data))
    r = kehoach("check-db", "--db", str(db), cwd=tmp_path)
    assert r.returncode == 1 and "Traceback" not in r.stderr and "Lỗi:" in r.stderr
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 300)
    for command in ("check-db", "status", "summary", "export"):
        args = [command, "--db", str(junk)] + (["--year", "2024"] if command in ("status", "summary") else [])
        r = kehoach(*args, cwd=tmp_path)
        assert r.returncode == 1 and "Traceback" not in r.stderr, (command, r.stderr)
        assert len([line for line in r.stderr.splitlines() if line.startswith("Lỗi:")]) == 1
        assert "không phải cơ sở dữ liệu kehoach" in r.stderr or "bị hỏng" in r.stderr
    assert junk.read_bytes() == b"not a database at all" * 300


def test_check_db_reads_while_someone_ingests(filled_db, tmp_path):
    db = copy_db(filled_db, tmp_path / "bc.sqlite3")
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # an ingest holding the write lock
    try:
        report = check_database(db)
        assert report.ok and report.submissions == 4
    finally:
        writer.execute("ROLLBACK")
        writer.close()


# ------------------------------------------------------------------------------------------------ export / import


def test_export_import_round_trip(plan_2024, filled_db, tmp_path, rereader):
    r = kehoach("export", "--db", str(filled_db), "--out", "sao-luu.zip", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "Đã sao lưu 4 bản báo cáo của 3 đơn vị (năm 2024), tệp gốc" in r.stdout
    archive = tmp_path / "sao-luu.zip"
    with zipfile.ZipFile(archive) as zf:
        names = zf.namelist()
        assert names[:2] == ["DOC-TRUOC.txt", "kehoach-sao-luu.json"]
        with Store(filled_db, create=False) as s:
            shas = [row[0] for row in s.conn.execute("SELECT sha256 FROM submissions ORDER BY id")]
            originals = [s.original(i) for i in range(1, 5)]
        assert names[2:] == [f"originals/{sha}.docx" for sha in shas]
        assert [zf.read(n) for n in names[2:]] == originals
    # the same database gives the same bytes
    export_archive(filled_db, tmp_path / "again.zip")
    assert (tmp_path / "again.zip").read_bytes() == archive.read_bytes()

    r = kehoach("import", "sao-luu.zip", "--db", "moi/bc.sqlite3", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "Đã khôi phục 4 bản báo cáo" in r.stdout
    restored = tmp_path / "moi" / "bc.sqlite3"
    assert dump(restored) == dump(filled_db)
    export_archive(restored, tmp_path / "third.zip")
    assert (tmp_path / "third.zip").read_bytes() == archive.read_bytes()
    from generator.returns.summary import build_summary

    summaries = []
    for db in (filled_db, restored):
        with Store(db, create=False) as s:
            summaries.append(build_summary(plan_2024, 2024, s.latest(plan_2024.id, 2024)))
    assert summaries[0] == summaries[1]  # the consolidated report, byte for byte

    # never into a database that holds submissions, and that database is left exactly as it was
    before = dump(restored)
    r = kehoach("import", "sao-luu.zip", "--db", "moi/bc.sqlite3", cwd=tmp_path)
    assert r.returncode == 1 and "không ghi đè dữ liệu đã có" in r.stderr and "Traceback" not in r.stderr
    assert dump(restored) == before
    # an existing, empty database is fine
    Store(tmp_path / "trong.sqlite3").close()
    import_archive(archive, tmp_path / "trong.sqlite3", reread=rereader)
    assert dump(tmp_path / "trong.sqlite3") == dump(filled_db)


def rezip(src: Path, dst: Path, change) -> None:
    with zipfile.ZipFile(src) as zf:
        entries = [(i, zf.read(i)) for i in zf.infolist()]
    with zipfile.ZipFile(dst, "w") as zf:
        for info, data in entries:
            zf.writestr(info, change(info.filename, data))


def test_import_refuses_damaged_archives_without_writing(filled_db, tmp_path, rereader):
    archive = tmp_path / "sao-luu.zip"
    assert kehoach("export", "--db", str(filled_db), "--out", str(archive), cwd=tmp_path).returncode == 0
    raw = archive.read_bytes()
    first = raw.index(b"originals/") + 200  # inside the first original's data
    flipped = tmp_path / "lat-bit.zip"
    flipped.write_bytes(raw[:first] + bytes([raw[first] ^ 1]) + raw[first + 1:])
    swapped = tmp_path / "sua-tep-goc.zip"
    rezip(archive, swapped, lambda n, d: d.replace(b"word/", b"wxrd/", 1) if n.startswith("originals/") else d)
    fake_sha = tmp_path / "sua-ma-bam.zip"
    rezip(archive, fake_sha, lambda n, d: d.replace(b'"version": 1', b'"version": 7', 1) if n.endswith(".json") else d)
    truncated = tmp_path / "cat-cut.zip"
    truncated.write_bytes(raw[: len(raw) // 2])
    other = tmp_path / "khac.zip"
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("a.txt", "x")
    r = kehoach("import", str(flipped), "--db", "bc.sqlite3", cwd=tmp_path)
    assert r.returncode == 1 and "Traceback" not in r.stderr and "bị hỏng" in r.stderr, r.stderr
    assert not (tmp_path / "bc.sqlite3").exists()
    for bad, words in ((swapped, "không khớp mã băm"), (truncated, "không dùng được"),  # (may look like an inner .docx)
                       (other, "không có kehoach-sao-luu.json"), (tmp_path / "khong-co.zip", "không tìm thấy"),
                       (fake_sha, "không liên tục")):
        db = tmp_path / f"{bad.stem}.sqlite3"
        with pytest.raises(StoreError, match=words):
            import_archive(bad, db, reread=rereader)
        assert not db.exists()  # verified before anything is written


def test_export_refuses_to_overwrite_the_database(filled_db, tmp_path, monkeypatch):
    db = copy_db(filled_db, tmp_path / "bc.sqlite3")
    before = files_hash(db)
    r = kehoach("export", "--db", "bc.sqlite3", "--out", "bc.sqlite3", cwd=tmp_path)
    assert r.returncode == 1 and "đè lên chính cơ sở dữ liệu" in r.stderr and "Traceback" not in r.stderr
    with pytest.raises(StoreError, match="đè lên chính cơ sở dữ liệu"):
        export_archive(db, tmp_path / "bc.sqlite3-wal")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StoreError, match="output/"):
        export_archive(db, Path("output/sao-luu.zip"))
    assert files_hash(db) == before


def test_kill_during_import_leaves_no_database(filled_db, tmp_path):
    """A new database is restored in a hidden file and linked into place once complete: killed in the middle, no
    database file is left (the next import removes the hidden file of the killed one); into an existing empty
    database, the transaction leaves it empty."""
    archive = tmp_path / "sao-luu.zip"
    assert kehoach("export", "--db", str(filled_db), "--out", str(archive), cwd=tmp_path).returncode == 0
    r = kehoach("import", str(archive), "--db", "bc.sqlite3", cwd=tmp_path, fault="kill:in-transaction")
    assert r.returncode == -signal.SIGKILL
    assert not (tmp_path / "bc.sqlite3").exists()
    r = kehoach("import", str(archive), "--db", "bc.sqlite3", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert dump(tmp_path / "bc.sqlite3") == dump(filled_db)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    Store(tmp_path / "trong.sqlite3").close()
    r = kehoach("import", str(archive), "--db", "trong.sqlite3", cwd=tmp_path, fault="kill:in-transaction")
    assert r.returncode == -signal.SIGKILL
    assert count(tmp_path / "trong.sqlite3") == 0


def test_export_on_a_full_disk_keeps_the_previous_backup(filled_db, tmp_path):
    archive = tmp_path / "sao-luu.zip"
    archive.write_bytes(b"previous backup")
    r = kehoach("export", "--db", str(filled_db), "--out", "sao-luu.zip", cwd=tmp_path, fault="disk-full:50000")
    assert r.returncode == 1 and "hết dung lượng đĩa" in r.stderr and "Traceback" not in r.stderr
    assert archive.read_bytes() == b"previous backup"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sao-luu.zip"]


# ------------------------------------------------------------------------------------------------ database failures


def test_full_database_disk_is_one_sentence_and_changes_nothing(plan_2024, forms_2024, tmp_path):
    db = tmp_path / "bc.sqlite3"
    data = fill_form(forms_2024["so-cong-thuong"], {"nv14": Fill(result=["x" * 200_000])})
    with Store(db) as s:
        before = s.dump()
        pages = s.conn.execute("PRAGMA page_count").fetchone()[0]
        s.conn.execute(f"PRAGMA max_page_count = {pages + 2}")  # SQLITE_FULL, as on a full disk
        with pytest.raises(StoreError, match="hết dung lượng đĩa") as e:
            s.add(read_form(data, plan_2024), data, "sct.docx")
        assert e.value.fatal
        assert s.dump() == before
        assert not s.conn.in_transaction


def test_busy_database_stops_the_ingest_with_one_sentence(plan_2024, forms_2024, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from generator.cli.commands import app

    for i in range(3):
        (tmp_path / f"f{i}.docx").write_bytes(fill_form(forms_2024["so-cong-thuong"], {"nv14": Fill(result=[str(i)])}))
    db = tmp_path / "bc.sqlite3"
    Store(db).close()
    monkeypatch.setattr(store_module, "BUSY_TIMEOUT_MS", 300)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process keeps the database busy
    try:
        result = CliRunner().invoke(app, ["ingest", "--year", "2024", *(str(tmp_path / f"f{i}.docx") for i in range(3)),
                                          "--db", str(db)])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    text = result.output
    assert result.exit_code == 1 and "Traceback" not in text
    assert "đang bận" in text and "dừng nhận, 2 tệp còn lại chưa được nhận" in text
    assert "Đã nhận 0 tệp mới, 0 tệp đã có, 3 lỗi" in text
    assert count(db) == 0


def test_a_new_database_appears_whole_or_not_at_all(tmp_path, monkeypatch):
    """The tables are created in a hidden file that is then linked into place: stopped half-way, no database file
    is left without its tables (check-db would call it broken); on a file system without hard links it is renamed."""
    from generator.returns import store as store_module

    def stopped(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(store_module.os, "link", stopped)
    with pytest.raises(KeyboardInterrupt):
        Store(tmp_path / "bc.sqlite3")
    assert list(tmp_path.iterdir()) == []

    def no_links(*args):
        raise PermissionError(1, "Operation not permitted")  # as on exFAT

    monkeypatch.setattr(store_module.os, "link", no_links)
    with Store(tmp_path / "bc.sqlite3"):
        pass
    assert check_database(tmp_path / "bc.sqlite3").ok
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
