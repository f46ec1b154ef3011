"""Ingesting many files: read by a pool of worker processes and stored one batch per transaction. The result must be
what a single process storing file by file gives, and a batch is stored whole or not at all."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from formfill import Fill, fill_form

from generator.returns.ingest import BATCH, POOL_MIN_FILES
from generator.returns.read import read_form
from generator.fsutil import FAULT_ENV
from generator.returns.store import Store
from generator.returns.dbcheck import check_database


def kehoach(*args: str, cwd: Path, fault: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("KEHOACH_DB", FAULT_ENV)}
    if fault:
        env[FAULT_ENV] = fault
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env=env)


@pytest.fixture(scope="module")
def returned(forms_2024, tmp_path_factory) -> Path:
    """Two rounds of every 2024 form (a first version and a corrected one) and one broken file in between."""
    folder = tmp_path_factory.mktemp("returned")
    for round_ in ("a", "b"):
        (folder / round_).mkdir()
        for agency, data in forms_2024.items():
            fill = Fill(result=[f"Kết quả {agency} vòng {round_}"], status="Hoàn thành", note=round_)
            task = re.search(rb"(nv\d+)\|result", _document(data)).group(1).decode()  # its first task
            (folder / round_ / f"{agency}.docx").write_bytes(fill_form(data, {task: fill}))
    (folder / "a" / "hong.docx").write_bytes(b"not a zip")
    assert len(list(folder.rglob("*.docx"))) >= POOL_MIN_FILES  # enough for the pool
    return folder


def _document(data: bytes) -> bytes:
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.read("word/document.xml")


def _contents(db: Path) -> list[tuple]:
    with Store(db, create=False) as store:
        subs = [s for year in (2024,) for s in store.submissions("khanh-hoa-1627", year, full=True)]
    return [(s.agency, s.version, s.sha256, s.filename, s.warnings, s.entries, s.sections) for s in subs]


def test_pooled_ingest_stores_and_reports_what_a_single_process_does(returned, tmp_path):
    one = kehoach("ingest", "--year", "2024", str(returned / "a"), str(returned / "b"), "--db", "one.sqlite3", "--jobs", "1",
                  cwd=tmp_path)
    two = kehoach("ingest", "--year", "2024", str(returned / "a"), str(returned / "b"), "--db", "two.sqlite3", "--jobs", "2",
                  cwd=tmp_path)
    assert one.returncode == two.returncode == 1  # the broken file
    assert one.stdout.replace("one.sqlite3", "two.sqlite3") == two.stdout  # same lines, same order
    assert one.stderr == two.stderr and "hong.docx" in two.stderr
    files = len(list(returned.rglob("*.docx")))
    assert f"Đã nhận {files - 1} tệp mới, 0 tệp đã có, 1 lỗi" in two.stdout
    assert _contents(tmp_path / "one.sqlite3") == _contents(tmp_path / "two.sqlite3")
    versions = {(agency, version) for agency, version, *_ in _contents(tmp_path / "two.sqlite3")}
    assert ("so-cong-thuong", 2) in versions  # round b is the second version
    again = kehoach("ingest", "--year", "2024", str(returned / "a"), str(returned / "b"), "--db", "two.sqlite3", cwd=tmp_path)
    assert f"Đã nhận 0 tệp mới, {files - 1} tệp đã có, 1 lỗi" in again.stdout


def test_a_batch_is_stored_whole_or_not_at_all(returned, tmp_path):
    """Killed while storing the second batch: the first batch (BATCH files, the broken one among them) remains."""
    files = len(list(returned.rglob("*.docx")))
    assert BATCH < files < 2 * BATCH
    r = kehoach("ingest", "--year", "2024", str(returned / "a"), str(returned / "b"), "--db", "bc.sqlite3", "--jobs", "2",
                cwd=tmp_path, fault=f"kill:in-transaction:{BATCH + 2}")
    assert r.returncode == -signal.SIGKILL
    with sqlite3.connect(f"file:{tmp_path / 'bc.sqlite3'}?mode=ro", uri=True) as c:
        assert c.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] == BATCH - 1
    assert check_database(tmp_path / "bc.sqlite3").ok
    r = kehoach("ingest", "--year", "2024", str(returned / "a"), str(returned / "b"), "--db", "bc.sqlite3", cwd=tmp_path)
    assert f"Đã nhận {files - BATCH} tệp mới, {BATCH - 1} tệp đã có, 1 lỗi" in r.stdout


def test_add_many_returns_what_is_stored(plan_2024, forms_2024, tmp_path):
    a = fill_form(forms_2024["so-cong-thuong"], {"nv14": Fill(result=["Một", "Hai"], bullets=["Ba"],
                                                                   status="Hoàn thành")},
                  {"kho-khan": ["Thiếu kinh phí."]})
    b = fill_form(forms_2024["so-cong-thuong"], {"nv14": Fill(result=["Bản sửa"], status="Đang thực hiện")})
    with Store(tmp_path / "bc.sqlite3") as store:
        added = store.add_many([(read_form(a, plan_2024), a, "a.docx"), (read_form(b, plan_2024), b, "b.docx"),
                                (read_form(a, plan_2024), a, "a-lan-nua.docx")])
        assert [x.duplicate for x in added] == [False, False, True]
        assert [x.submission.version for x in added] == [1, 2, 1]
        for x in added:
            assert x.submission == store.get(x.submission.id)


def _processes_mentioning(marker: str) -> list[int]:
    """Processes whose command line holds `marker` (forked workers keep their parent's command line)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and marker in (proc / "cmdline").read_bytes().decode(errors="replace"):
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def test_a_plan_error_found_while_the_workers_read_stops_everything(returned, tmp_path, plan_copy):
    """The workers start before the plan is loaded: a broken plan still gives its one error (file and line), no
    database, and no worker left behind."""
    plan = plan_copy
    with open(plan / "tasks.yaml", "a", encoding="utf-8") as f:
        f.write("\n  - id: [không đóng ngoặc\n")
    r = kehoach("ingest", "--year", "2024", str(returned / "a"), str(returned / "b"), "--plan", str(plan), "--db", "bc.sqlite3",
                "--jobs", "2", cwd=tmp_path)
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert "tasks.yaml:" in r.stderr and "Đã nhận" not in r.stdout
    assert not (tmp_path / "bc.sqlite3").exists()
    assert _processes_mentioning(str(plan)) == []


def test_ctrl_c_while_the_workers_read_leaves_a_sound_database_and_no_worker(returned, tmp_path):
    marker = str(tmp_path / "bc.sqlite3")
    proc = subprocess.Popen([sys.executable, "-m", "generator", "ingest", "--year", "2024", str(returned / "a"), str(returned / "b"),
                             "--db", marker, "--jobs", "2"], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while proc.poll() is None and not Path(marker).exists() and time.monotonic() < deadline:
        time.sleep(0.005)  # the plan is loaded and the first batch is being stored
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert "Traceback" not in err
    time.sleep(0.2)
    assert _processes_mentioning(marker) == []
    if proc.returncode != 130:  # finished before the signal arrived
        assert proc.returncode == 1 and "hong.docx" in err  # (the broken file)
        pytest.skip("the ingest finished before Ctrl+C")
    assert "Đã dừng theo yêu cầu (Ctrl+C)" in err
    assert check_database(Path(marker)).ok
    again = kehoach("ingest", "--year", "2024", str(returned / "a"), str(returned / "b"), "--db", marker, cwd=tmp_path)
    files = len(list(returned.rglob("*.docx")))
    added, existing = map(int, re.search(r"Đã nhận (\d+) tệp mới, (\d+) tệp đã có, 1 lỗi", again.stdout).groups())
    assert added + existing == files - 1
