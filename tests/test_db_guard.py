"""No kehoach command overwrites, replaces, moves or deletes a report database (issue 12, point 2), however the path
is spelled: each attack is run through the command line as a clerk would, and afterwards the database is byte for
byte what it was and still passes the database check. Also the path messages of point 6: a symlink loop as --db,
`pack --out LINK` with LINK a symlink to a folder."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from generator.fsutil import FAULT_ENV, build_dir
from generator.errors import KehoachError
from generator.returns.dbcheck import check_database
from generator.returns.archive import export_archive

ENV = {k: v for k, v in os.environ.items() if k not in ("KEHOACH_DB", FAULT_ENV)}
PACK = Path("output") / "khanh-hoa-1627" / "2024"  # where `kehoach pack --year 2024` writes, under its cwd
NEVER = "kehoach không bao giờ ghi đè, thay thế hay xóa cơ sở dữ liệu báo cáo"
SCT, NHA_TRANG = "so-cong-thuong", "ubnd-thanh-pho-nha-trang"


def kehoach(*args: str, cwd: Path, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=dict(ENV, COLUMNS="300"))


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def intact(db: Path, digest: str) -> None:
    """The database is byte for byte what it was, still a sound kehoach database with its two reports."""
    assert db.is_file() and not db.is_symlink(), f"{db} is gone"
    assert sha(db) == digest, f"{db} was changed"
    report = check_database(db)
    assert report.ok, report.problems
    assert report.submissions == 2


def one_sentence(r: subprocess.CompletedProcess, *parts: str) -> None:
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Lỗi: "), r.stderr
    for part in parts:
        assert part in lines[0], (part, lines[0])


@pytest.fixture(scope="module")
def received(forms_2024, tmp_path_factory) -> Path:
    """A report database holding two received forms (made once, by `kehoach ingest`)."""
    folder = tmp_path_factory.mktemp("received")
    for agency in (SCT, NHA_TRANG):
        (folder / f"{agency}.docx").write_bytes(forms_2024[agency])
    r = kehoach("ingest", "--year", "2024", str(folder), "--db", "bao-cao.sqlite3", cwd=folder)
    assert r.returncode == 0, r.stderr
    return folder / "bao-cao.sqlite3"


@pytest.fixture
def office(tmp_path, received, form_pack) -> Path:
    """A clerk's folder: office/kehoach-data/bao-cao.sqlite3 (the default place) and office/output/... the 2024 pack."""
    office = tmp_path / "office"
    (office / "kehoach-data").mkdir(parents=True)
    shutil.copyfile(received, office / "kehoach-data" / "bao-cao.sqlite3")
    shutil.copytree(form_pack(2024), office / PACK)
    return office


def default_db(office: Path) -> Path:
    return office / "kehoach-data" / "bao-cao.sqlite3"


# ------------------------------------------------------------------------------------------------ --out onto a database


@pytest.mark.parametrize("spelling", ["relative", "absolute", "dotdot", "symlink", "hardlink", "renamed"])
def test_appendix_out_never_overwrites_the_database(office, spelling):
    db = default_db(office)
    digest = sha(db)
    out = {"relative": "kehoach-data/bao-cao.sqlite3", "absolute": str(db),
           "dotdot": "output/../kehoach-data/bao-cao.sqlite3"}.get(spelling)
    if spelling == "symlink":
        (office / "phu-luc.xlsx").symlink_to("kehoach-data/bao-cao.sqlite3")
    elif spelling == "hardlink":
        os.link(db, office / "phu-luc.xlsx")
    elif spelling == "renamed":  # recognised by what it holds, not by its name: a copy kept as phu-luc.xlsx
        shutil.copyfile(db, office / "phu-luc.xlsx")
    out = out or "phu-luc.xlsx"
    r = kehoach("appendix", "--out", out, cwd=office)
    one_sentence(r, f'không ghi đè lên "{out}": đây là cơ sở dữ liệu báo cáo của kehoach', NEVER,
                 "hãy chọn một tệp khác bằng --out")
    intact(db, digest)
    if spelling != "relative":
        assert not any(p.name.endswith(".tmp") for p in office.rglob("*")), "a temporary file was left behind"


def test_appendix_out_never_overwrites_or_creates_a_companion_file(office):
    """The -wal file (holding changes not yet in the database file) and a -journal that does not exist yet: a file
    named so beside the database would be taken by SQLite for its own."""
    db = default_db(office)
    reader = sqlite3.connect(db)  # another clerk's kehoach has the database open: its -wal holds a change
    try:
        reader.execute("PRAGMA journal_mode = WAL")
        reader.execute("PRAGMA wal_autocheckpoint = 0")
        version = reader.execute("PRAGMA user_version").fetchone()[0]
        reader.execute(f"PRAGMA user_version = {version}")  # a committed write that stays in the -wal while open
        wal = db.with_name(db.name + "-wal")
        assert wal.stat().st_size > 0
        wal_digest = sha(wal)
        r = kehoach("appendix", "--out", "kehoach-data/bao-cao.sqlite3-wal", cwd=office)
        one_sentence(r, 'không ghi đè lên "kehoach-data/bao-cao.sqlite3-wal": đây là', NEVER)
        assert sha(wal) == wal_digest
        r = kehoach("appendix", "--out", "kehoach-data/bao-cao.sqlite3-shm", cwd=office)
        one_sentence(r, "tệp đi kèm (-shm) của cơ sở dữ liệu", NEVER)
    finally:
        reader.close()
    digest = sha(db)
    r = kehoach("appendix", "--out", str(db) + "-journal", cwd=office)
    one_sentence(r, "tệp đi kèm (-journal) của cơ sở dữ liệu", NEVER)
    assert not db.with_name(db.name + "-journal").exists()
    intact(db, digest)


def test_export_out_never_overwrites_another_database(office, tmp_path):
    db = default_db(office)
    other = office / "nam-truoc.sqlite3"
    shutil.copyfile(db, other)
    digest = sha(other)
    r = kehoach("export", "--db", str(db), "--out", "nam-truoc.sqlite3", cwd=office)
    one_sentence(r, 'không ghi đè lên "nam-truoc.sqlite3": đây là cơ sở dữ liệu báo cáo của kehoach', NEVER)
    intact(other, digest)


def test_summary_and_pack_out_onto_the_database_file(office):
    db = default_db(office)
    digest = sha(db)
    for command in (("summary", "--year", "2024"), ("pack", "--year", "2024")):
        r = kehoach(*command, "--out", "kehoach-data/bao-cao.sqlite3", cwd=office)
        one_sentence(r, 'không ghi đè lên "kehoach-data/bao-cao.sqlite3": đây là cơ sở dữ liệu báo cáo', NEVER)
        intact(db, digest)


# ------------------------------------------------------------------------------------------------ --out onto a folder


def test_summary_out_never_replaces_a_folder_holding_the_database(office):
    """The folder looks empty to a clerk (the database has a hidden name), so summary used to swap it away."""
    data = office / "kehoach-data"
    db = data / ".bao-cao.sqlite3"
    default_db(office).rename(db)
    digest = sha(db)
    r = kehoach("summary", "--year", "2024", "--db", str(db), "--out", "kehoach-data", cwd=office)
    one_sentence(r, 'không thay thế thư mục "kehoach-data" vì trong đó có cơ sở dữ liệu báo cáo của kehoach',
                 '"kehoach-data/.bao-cao.sqlite3"', NEVER, "hãy chọn một thư mục khác bằng --out")
    assert sorted(p.name for p in data.iterdir()) == [".bao-cao.sqlite3"]
    intact(db, digest)


def test_pack_out_never_replaces_a_pack_folder_holding_a_database(office):
    """A database left deep inside a pack folder (an older kehoach accepted that): the next pack keeps it."""
    nested = office / PACK / "tong-hop" / ".luu"
    nested.mkdir(parents=True)
    db = nested / "bao-cao.sqlite3"
    default_db(office).rename(db)
    digest = sha(db)
    manifest = sha(office / PACK / "manifest.json")
    r = kehoach("pack", "--year", "2024", cwd=office)
    one_sentence(r, f'không thay thế thư mục "{PACK}" vì trong đó có cơ sở dữ liệu báo cáo của kehoach',
                 f'"{PACK}/tong-hop/.luu/bao-cao.sqlite3"', NEVER)
    intact(db, digest)
    assert sha(office / PACK / "manifest.json") == manifest
    shutil.copyfile(db, default_db(office))  # the summary of a copy kept elsewhere: its folder holds the database
    r = kehoach("summary", "--year", "2024", cwd=office)
    one_sentence(r, f'không thay thế thư mục "{PACK}/tong-hop" vì trong đó có', NEVER)
    intact(db, digest)
    r = kehoach("status", "--year", "2024", "--db", str(db), cwd=office)  # and it is not opened where it is
    one_sentence(r, f'không đặt cơ sở dữ liệu "{db}" trong thư mục "{PACK}": đó là thư mục bộ biểu mẫu')
    intact(db, digest)


def test_the_folder_swap_itself_refuses_a_folder_holding_a_database(tmp_path, received):
    """fsutil.build_dir, whatever the caller (no ownership check): the database appeared while the folder was built."""
    target = tmp_path / "bo-bieu-mau"
    target.mkdir()
    db = target / "bao-cao.sqlite3"

    def build(staging: Path) -> None:
        (staging / "a.txt").write_text("mới")
        shutil.copyfile(received, db)  # an ingest into the folder meanwhile

    with pytest.raises(KehoachError, match="không thay thế thư mục"):
        build_dir(target, build)
    assert sha(db) == sha(received)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bo-bieu-mau"]  # no staging folder left


def test_cleanup_of_a_killed_run_never_deletes_a_database(office):
    """`recover` removes what a killed run left beside an output (.<name>.*.tmp): never a database so named."""
    db = office / PACK.parent / ".phu-luc.xlsx.abc123.tmp"
    default_db(office).rename(db)
    digest = sha(db)
    r = kehoach("appendix", cwd=office)
    assert r.returncode == 0, r.stderr
    intact(db, digest)


# ------------------------------------------------------------------------------------------------ --db inside a pack


@pytest.mark.parametrize("spelling", ["relative", "absolute", "dotdot", "symlinked-folder", "symlinked-file",
                                      "deep"])
def test_ingest_db_inside_a_pack_folder_is_refused_from_any_folder(office, tmp_path, forms_2024, spelling):
    """The issue's attack: ingest from another folder into office/output/.../2024, then `pack` in office/."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    form = elsewhere / "sct.docx"
    form.write_bytes(forms_2024[SCT])
    target = office / PACK / "bao-cao.sqlite3"
    db = {
        "relative": f"../office/{PACK}/bao-cao.sqlite3",
        "absolute": str(target),
        "dotdot": f"../office/output/../{PACK}/../2024/bao-cao.sqlite3",
        "symlinked-folder": "lien-ket/bao-cao.sqlite3",
        "symlinked-file": "bao-cao.sqlite3",
        "deep": f"../office/{PACK}/tong-hop/a/b/bao-cao.sqlite3",
    }[spelling]
    if spelling == "symlinked-folder":
        (elsewhere / "lien-ket").symlink_to(office / PACK)
    elif spelling == "symlinked-file":  # a link to where the database would be created
        (elsewhere / "bao-cao.sqlite3").symlink_to(target)
    r = kehoach("ingest", "--year", "2024", "sct.docx", "--db", db, cwd=elsewhere)
    one_sentence(r, f'không đặt cơ sở dữ liệu "{db}" trong thư mục "{office / PACK}": đó là',
                 "thư mục bộ biểu mẫu do kehoach pack tạo (có manifest.json)", "hãy dùng mặc định "
                 "kehoach-data/bao-cao.sqlite3 hoặc một đường dẫn khác bằng --db")
    assert not list((office / "output").rglob("*.sqlite3*")), "a database was created inside the pack"
    if spelling == "relative":  # the clerk's next pack in office/ goes ahead (nothing of theirs is in the folder)
        r = kehoach("pack", "--year", "2024", cwd=office)
        assert r.returncode == 0, r.stderr


def test_import_db_inside_a_pack_or_summary_folder_is_refused(office, tmp_path, received):
    backup = tmp_path / "sao-luu.zip"
    export_archive(received, backup)
    summary_dir = tmp_path / "tong-hop-rieng"
    r = kehoach("summary", "--year", "2024", "--db", str(default_db(office)), "--out", str(summary_dir), cwd=office)
    assert r.returncode == 0, r.stderr
    r = kehoach("import", str(backup), "--db", str(office / PACK / "khoi-phuc.sqlite3"), cwd=tmp_path)
    one_sentence(r, "thư mục bộ biểu mẫu do kehoach pack tạo")
    r = kehoach("import", str(backup), "--db", str(summary_dir / "khoi-phuc.sqlite3"), cwd=office)
    one_sentence(r, f'trong thư mục "{summary_dir}": đó là thư mục báo cáo tổng hợp do kehoach summary tạo')
    assert not list(tmp_path.rglob("khoi-phuc.sqlite3*"))
    r = kehoach("import", str(backup), "--db", "khoi-phuc.sqlite3", cwd=tmp_path)  # elsewhere: restored
    assert r.returncode == 0, r.stderr
    assert check_database(tmp_path / "khoi-phuc.sqlite3").submissions == 2


# ------------------------------------------------------------------------------------------------ point 6: paths


@pytest.mark.parametrize("command", [("ingest", "--year", "2024", "sct.docx"), ("status", "--year", "2024"),
                                     ("check-db",), ("export", "--out", "sao-luu.zip"), ("summary", "--year", "2024")])
def test_symlink_loop_as_db_is_one_sentence(tmp_path, forms_2024, command):
    (tmp_path / "sct.docx").write_bytes(forms_2024[SCT])
    (tmp_path / "vong-a").symlink_to("vong-b")
    (tmp_path / "vong-b").symlink_to("vong-a")
    r = kehoach(*command, "--db", "vong-a", cwd=tmp_path)
    one_sentence(r, 'đường dẫn --db "vong-a" là một vòng liên kết tượng trưng', "hãy sửa hoặc xóa liên kết đó")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sct.docx", "vong-a", "vong-b"]


def test_pack_out_symlink_writes_into_the_folder_it_points_to(tmp_path):
    """A clerk's shortcut to the shared folder: the pack lands in the shared folder, the shortcut stays."""
    shared = tmp_path / "chia-se" / "bieu-mau-2024"
    shared.mkdir(parents=True)
    (tmp_path / "LINK").symlink_to(shared)
    for _ in range(2):  # a new pack, then the pack replaced through the link
        r = kehoach("pack", "--year", "2024", "--out", "LINK", cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        assert "vào LINK" in r.stdout
        assert (tmp_path / "LINK").is_symlink() and os.readlink(tmp_path / "LINK") == str(shared)
        names = sorted(p.name for p in shared.iterdir())
        assert "manifest.json" in names and "phu-luc.xlsx" in names and f"{SCT}.docx" in names
        with zipfile.ZipFile(shared / f"{SCT}.docx") as z:
            assert "word/document.xml" in z.namelist()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["LINK", "chia-se"]
    assert sorted(p.name for p in shared.parent.iterdir()) == ["bieu-mau-2024"]  # no staging left


def test_the_guard_knows_the_names_pack_and_summary_write():
    """guard recognises pack and summary folders by the names those modules write (it cannot import them)."""
    from generator import guard
    from generator.forms import pack
    from generator.returns import summary

    assert guard.PACK_MARKER == pack.MANIFEST_FILE
    assert set(guard.SUMMARY_MARKERS) == {summary.SUMMARY_DOCX, summary.SUMMARY_XLSX}


def test_a_clerks_own_tong_hop_file_does_not_block_a_database_beside_it(tmp_path, forms_2024):
    """Only folders kehoach replaces are refused: a folder with a clerk's own "tong-hop.xlsx" among other files is not
    a summary folder, nor is one with someone else's manifest.json."""
    (tmp_path / "tong-hop.xlsx").write_bytes(b"bang tinh rieng")
    (tmp_path / "cong-van.docx").write_bytes(b"van ban")
    (tmp_path / "manifest.json").write_text('{"name": "ung-dung-khac"}')
    (tmp_path / "sct.docx").write_bytes(forms_2024[SCT])
    r = kehoach("ingest", "--year", "2024", "sct.docx", "--db", "du-lieu/bao-cao.sqlite3", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert check_database(tmp_path / "du-lieu" / "bao-cao.sqlite3").submissions == 1
