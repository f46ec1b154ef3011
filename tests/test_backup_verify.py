"""A backup is restored only as what its originals say: `kehoach import` reads every original again through the form
reader and refuses a backup whose records (identity, results, statuses, sections, warnings) differ from them, whose
zip has two entries of one name, whose JSON is out of bounds (size, nesting, integers) or whose year and plan are not
sane; a refused import leaves no file behind. `check-db` re-reads a live database the same way. Returned forms with
duplicate zip entries are refused by ingest instead of being read last-wins."""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
import warnings
import zipfile
from pathlib import Path

import pytest
from formfill import Fill, fill_form, kehoach

from generator.errors import FormRejected
from generator.returns.read import extract

AGENCIES = ("so-cong-thuong", "so-tai-chinh", "ubnd-thanh-pho-nha-trang")
FIRST = 'bản báo cáo số 1 (so-cong-thuong, năm 2024, phiên bản 1, tệp "so-cong-thuong.docx")'


@pytest.fixture(scope="module")
def filled(forms_2024, plan_2024, tmp_path_factory) -> Path:
    """Three filled forms, each with results and statuses on its first two tasks and a difficulty section."""
    from generator.plan.assignments import assignments

    tasks = {at.agency.id: [a.task.id for a in at.all[:2]] for at in assignments(plan_2024, 2024)}
    folder = tmp_path_factory.mktemp("nhan-ve")
    for agency in AGENCIES:
        fills = {tasks[agency][0]: Fill(result=[f"Đã triển khai ({agency})"], status="Đang thực hiện"),
                 tasks[agency][1]: Fill(result=["Chưa có kinh phí"], status="Chưa thực hiện", note="chờ")}
        data = fill_form(forms_2024[agency], fills, {"kho-khan": [f"Thiếu cán bộ ({agency})"]})
        (folder / f"{agency}.docx").write_bytes(data)
    return folder


@pytest.fixture(scope="module")
def backup(filled, tmp_path_factory) -> Path:
    """A real backup: the three forms ingested (in this order: ids 1, 2, 3) and exported with the CLI."""
    folder = tmp_path_factory.mktemp("sao-luu")
    r = kehoach("ingest", "--year", "2024", *(str(filled / f"{a}.docx") for a in AGENCIES), "--db", "bc.sqlite3", cwd=folder)
    assert r.returncode == 0, r.stderr
    r = kehoach("export", "--db", "bc.sqlite3", "--out", "sao-luu.zip", cwd=folder)
    assert r.returncode == 0, r.stderr
    return folder / "sao-luu.zip"


def entries_of(archive: Path) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(archive) as zf:
        return [(i.filename, zf.read(i)) for i in zf.infolist()]


def write_zip(path: Path, entries: list[tuple[str, bytes]]) -> Path:
    with warnings.catch_warnings(), zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        warnings.simplefilter("ignore")  # duplicate names are the point of some tests
        for name, data in entries:
            zf.writestr(name, data)
    return path


def with_manifest(archive: Path, out: Path, change=None, text=None) -> Path:
    """A copy of the backup whose kehoach-sao-luu.json is changed by `change(manifest)` or replaced by `text`."""
    entries = []
    for name, data in entries_of(archive):
        if name == "kehoach-sao-luu.json":
            if text is None:
                manifest = json.loads(data)
                change(manifest)
                text = json.dumps(manifest, ensure_ascii=False, indent=1)
            data = text.encode("utf-8")
        entries.append((name, data))
    return write_zip(out, entries)


def records(manifest: dict) -> list[dict]:
    return manifest["submissions"]


def rewrite_results(m):
    for e in records(m)[0]["entries"]:
        e.update(result="Đã hoàn thành toàn bộ nhiệm vụ", status="Hoàn thành", status_text="Hoàn thành")


def swap_agencies(m):
    a, b = records(m)[0], records(m)[1]
    a["agency"], b["agency"] = b["agency"], a["agency"]


def no_warnings(m):
    records(m)[0]["warnings"] = []


def other_section(m):
    records(m)[0]["sections"][0]["text"] = "Không có khó khăn"


def year_99999(m):
    records(m)[0]["year"] = 99999


def plan_path(m):
    records(m)[0]["plan"] = "../../x"


def unknown_plan(m):
    records(m)[0]["plan"] = "khanh-hoa-9999"


def other_plan_version(m):
    records(m)[0]["plan_version"] = "0000000000"


@pytest.mark.parametrize("change, words", [
    (rewrite_results, [FIRST, "khác với tệp gốc", "kết quả thực hiện của nhiệm vụ"]),
    (swap_agencies, ['bản báo cáo số 1 (so-tai-chinh, năm 2024, phiên bản 1, tệp "so-cong-thuong.docx")',
                     "khác với tệp gốc", 'đơn vị "so-tai-chinh"', '"so-cong-thuong"']),
    (no_warnings, [FIRST, "khác với tệp gốc", "cảnh báo"]),
    (other_section, [FIRST, "khác với tệp gốc", "Khó khăn, vướng mắc"]),
    (other_plan_version, [FIRST, "khác với tệp gốc", "phiên bản dữ liệu kế hoạch"]),
    (year_99999, ['bản báo cáo số 1 (so-cong-thuong, năm 99999, phiên bản 1, tệp "so-cong-thuong.docx")',
                  "năm báo cáo 99999"]),
    (plan_path, [FIRST, 'mã kế hoạch "../../x" không hợp lệ']),
    (unknown_plan, [FIRST, 'kế hoạch "khanh-hoa-9999"', "--plan"]),
])
def test_import_refuses_records_that_differ_from_their_originals(backup, tmp_path, change, words):
    bad = with_manifest(backup, tmp_path / "sua.zip", change)
    refused(bad, tmp_path, words)


def refused(bad: Path, cwd: Path, words: list[str], db: str = "moi/bc.sqlite3") -> str:
    before = sorted(p.name for p in cwd.rglob("*"))
    r = kehoach("import", str(bad), "--db", db, cwd=cwd)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr and "không mong đợi" not in r.stderr, r.stderr
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f'Lỗi: tệp sao lưu "{bad}" không dùng được: '), r.stderr
    for w in words:
        assert w in r.stderr, (w, r.stderr)
    assert sorted(p.name for p in cwd.rglob("*")) == before  # no database file, no hidden file, no folder
    return r.stderr


def test_import_refuses_an_original_replaced_and_rehashed(backup, filled, forms_2024, tmp_path):
    """The originals are the evidence, but only together with the records: another filling of the same form, with
    its sha256 written into the record, no longer says what the record says."""
    import hashlib

    other = fill_form(forms_2024["so-cong-thuong"], {})
    sha = hashlib.sha256(other).hexdigest()
    manifest = json.loads(dict(entries_of(backup))["kehoach-sao-luu.json"])
    old = records(manifest)[0]["original"]
    records(manifest)[0].update(sha256=sha, original=f"originals/{sha}.docx")
    entries = [(f"originals/{sha}.docx", other) if n == old else
               (n, json.dumps(manifest, ensure_ascii=False).encode()) if n == "kehoach-sao-luu.json" else (n, d)
               for n, d in entries_of(backup)]
    refused(write_zip(tmp_path / "doi-tep-goc.zip", entries), tmp_path,
            [FIRST, "khác với tệp gốc", "kết quả thực hiện của nhiệm vụ"])


def test_import_refuses_a_second_manifest_entry(backup, tmp_path):
    forged = json.loads(dict(entries_of(backup))["kehoach-sao-luu.json"])
    rewrite_results(forged)
    entries = entries_of(backup) + [("kehoach-sao-luu.json", json.dumps(forged, ensure_ascii=False).encode())]
    refused(write_zip(tmp_path / "hai-json.zip", entries), tmp_path,
            ['có hai tệp cùng tên "kehoach-sao-luu.json"'])
    entries = entries_of(backup)
    entries.append(next(e for e in entries if e[0].startswith("originals/")))
    refused(write_zip(tmp_path / "hai-tep-goc.zip", entries), tmp_path, ["có hai tệp cùng tên", "originals/"])


def test_import_bounds_the_json(backup, tmp_path, monkeypatch, rereader):
    deep = with_manifest(backup, tmp_path / "long-sau.zip",
                         text='{"format": "kehoach-sao-luu", "x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    refused(deep, tmp_path, ["kehoach-sao-luu.json", "lồng nhau quá sâu"])

    def huge_id(m):
        records(m)[0]["id"] = 10 ** 30

    refused(with_manifest(backup, tmp_path / "so-lon.zip", huge_id), tmp_path,
            ["kehoach-sao-luu.json", "số nguyên", "quá lớn"])

    def huge_position(m):
        records(m)[0]["entries"][0]["position"] = 2 ** 63

    refused(with_manifest(backup, tmp_path / "so-lon-2.zip", huge_position), tmp_path, ["số nguyên", "quá lớn"])
    many_digits = with_manifest(backup, tmp_path / "nhieu-chu-so.zip",
                                text='{"format": "kehoach-sao-luu", "x": ' + "9" * 5000 + "}")
    refused(many_digits, tmp_path, ["số nguyên", "quá lớn"])

    from generator.returns import archive as store

    monkeypatch.setattr(store, "MAX_MANIFEST_BYTES", 1000)
    with pytest.raises(store.StoreError, match="kehoach-sao-luu.json quá lớn"):
        store.import_archive(backup, tmp_path / "x.sqlite3", reread=rereader)
    assert not (tmp_path / "x.sqlite3").exists()


def test_a_refused_import_into_an_existing_empty_database_leaves_it_empty(backup, tmp_path):
    from generator.returns.store import Store

    Store(tmp_path / "trong.sqlite3").close()
    refused(with_manifest(backup, tmp_path / "sua.zip", rewrite_results), tmp_path, [FIRST], db="trong.sqlite3")
    with Store(tmp_path / "trong.sqlite3", create=False) as s:
        assert s.conn.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] == 0


def test_a_genuine_backup_still_restores_and_checks(backup, tmp_path):
    r = kehoach("import", str(backup), "--db", "moi/bc.sqlite3", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "Đã khôi phục 3 bản báo cáo của 3 đơn vị (năm 2024)" in r.stdout
    assert "đọc lại" in r.stdout
    assert [p.name for p in (tmp_path / "moi").iterdir() if not p.name.startswith("bc.sqlite3")] == []
    for db in ("moi/bc.sqlite3", str(backup.parent / "bc.sqlite3")):  # restored, and the database exported
        r = kehoach("check-db", "--db", db, cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        assert "khi đọc lại cho đúng dữ liệu đã lưu" in r.stdout


# ------------------------------------------------------------------------------------------------ check-db


def live_db(backup: Path, tmp_path: Path) -> Path:
    shutil.copy(backup.parent / "bc.sqlite3", tmp_path / "bc.sqlite3")
    return tmp_path / "bc.sqlite3"


def edit(db: Path, *statements: str) -> None:
    c = sqlite3.connect(db)
    for sql in statements:
        c.execute(sql)
    c.commit()
    c.close()


@pytest.mark.parametrize("statements, words", [
    (["UPDATE entries SET result = 'Đã hoàn thành', status = 'Hoàn thành', status_text = 'Hoàn thành' "
      "WHERE submission_id = 1"], [FIRST, "kết quả thực hiện của nhiệm vụ"]),
    (["UPDATE submissions SET agency = 'x' WHERE id = 1", "UPDATE submissions SET agency = 'so-cong-thuong' "
      "WHERE id = 2", "UPDATE submissions SET agency = 'so-tai-chinh' WHERE id = 1"],
     ['bản báo cáo số 1 (so-tai-chinh, năm 2024, phiên bản 1, tệp "so-cong-thuong.docx")', 'đơn vị "so-tai-chinh"']),
    (["UPDATE submissions SET warnings = '[]' WHERE id = 1"], [FIRST, "cảnh báo"]),
    (["UPDATE sections SET text = 'Không có' WHERE submission_id = 1 AND section = 'kho-khan'"],
     [FIRST, "Khó khăn, vướng mắc"]),
    (["UPDATE submissions SET year = 2023 WHERE id = 1"], ["năm", "2023", "2024"]),
])
def test_check_db_rereads_every_original(backup, tmp_path, statements, words):
    db = live_db(backup, tmp_path)  # (without error before: test_a_genuine_backup_still_restores_and_checks)
    edit(db, *statements)
    r = kehoach("check-db", "--db", str(db), cwd=tmp_path)
    assert r.returncode == 1, r.stdout
    assert "Traceback" not in r.stderr and "khác với tệp gốc" in r.stderr, r.stderr
    for w in words:
        assert w in r.stderr, (w, r.stderr)
    assert "kehoach không tự sửa gì" in r.stderr


# ------------------------------------------------------------------------------------------------ returned forms


def duplicated(data: bytes, part: str, replacement: bytes) -> bytes:
    """The form with a second entry named `part` (holding `replacement`) after all the others."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        entries = [(i.filename, zf.read(i)) for i in zf.infolist()]
    buf = io.BytesIO()
    write_zip(buf, entries + [(part, replacement)])
    return buf.getvalue()


@pytest.mark.parametrize("part", ["docProps/custom.xml", "word/document.xml", "DOCPROPS/CUSTOM.XML"])
def test_a_form_with_duplicate_entries_is_refused(filled, tmp_path, part):
    data = (filled / "so-cong-thuong.docx").read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        content = zf.read(part if part != "DOCPROPS/CUSTOM.XML" else "docProps/custom.xml")
    forged = content.replace(b"so-cong-thuong", b"so-tai-chinh")
    forged = forged.replace("Chưa có kinh phí".encode(), "Đã xong".encode())
    bad = tmp_path / "so-cong-thuong.docx"
    bad.write_bytes(duplicated(data, part, forged))
    with pytest.raises(FormRejected, match="hai phần cùng tên"):
        extract(bad.read_bytes())
    r = kehoach("ingest", "--year", "2024", str(bad), "--db", "bc.sqlite3", cwd=tmp_path)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert f"Lỗi: {bad}: " in r.stderr and "hai phần cùng tên" in r.stderr, r.stderr
    assert "Đã nhận 0 tệp mới, 0 tệp đã có, 1 lỗi" in r.stdout
