"""Every error path a clerk can reach prints one Vietnamese sentence - what is wrong and what to do - with exit code 1
and no Python traceback (`kehoach --debug ...` shows it). Run through the real command line."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from generator.fsutil import FAULT_ENV

ENV = {k: v for k, v in os.environ.items() if k not in ("KEHOACH_DB", FAULT_ENV)}
VIETNAMESE = set("ăâđêôơưáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ")
ACTION = ("hãy", "xem cách dùng", "xem kehoach", "cần ")


def kehoach(*args: str, cwd: Path, prefix: list[str] | None = None, fault: str | None = None):
    env = dict(ENV, COLUMNS="200", **({FAULT_ENV: fault} if fault else {}))
    return subprocess.run([*(prefix or []), sys.executable, "-m", "generator", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120, env=env)


def one_sentence(r: subprocess.CompletedProcess, code: int = 1) -> str:
    assert "Traceback" not in r.stderr + r.stdout
    assert r.returncode == code, (r.returncode, r.stderr)
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, r.stderr
    line = lines[0]
    assert line.startswith("Lỗi: ")
    assert VIETNAMESE & set(line.lower()), line
    assert any(word in line for word in ACTION), f"no 'what to do' in: {line}"
    return line


def setup(tmp_path: Path, what: str) -> None:
    if what == "file-as-folder":
        (tmp_path / "tep").write_text("x")
    elif what == "dir-as-file":
        (tmp_path / "thu-muc.xlsx").mkdir()
    elif what == "no-db":
        pass
    elif what == "db-is-dir":
        (tmp_path / "csdl").mkdir()
    elif what == "template-dir":
        (tmp_path / "mau.docx").mkdir()


# (arguments, setup, words in the sentence)
CASES = {
    "nam-khong-phai-so": (["pack", "--year", "abc"], None, "--year"),
    "nam-truoc-ke-hoach": (["pack", "--year", "2019"], None, "năm 2019"),
    "nam-qua-xa": (["status", "--year", "3000"], None, "năm 3000"),
    "jobs-am": (["pack", "--year", "2024", "--jobs", "0"], None, "--jobs"),
    "ngay-sai": (["appendix", "--as-of", "31/2/2025"], None, "không phải là ngày"),
    "ngay-sai-diff": (["diff", "--from", "hôm qua"], None, "không phải là ngày"),
    "thieu-from": (["diff"], None, "--from"),
    "lenh-khong-co": (["pakc"], None, 'không có lệnh "pakc"'),
    "tuy-chon-khong-co": (["pack", "--yeer", "2024"], None, '"--yeer"'),
    "thieu-tep-ingest": (["ingest"], None, "thiếu tệp hoặc thư mục"),
    "thu-muc-ke-hoach-khong-co": (["validate", "--plan", "khong-co"], None, "không tìm thấy thư mục kế hoạch"),
    "pack-ke-hoach-khong-co": (["pack", "--year", "2024", "--plan", "khong-co"], None, "không tìm thấy thư mục"),
    "out-la-tep": (["appendix", "--out", "tep/phu-luc.xlsx"], "file-as-folder", "đã có một tệp cùng tên"),
    "out-la-thu-muc": (["appendix", "--out", "thu-muc.xlsx"], "dir-as-file", "là một thư mục"),
    "pack-out-la-tep": (["pack", "--year", "2024", "--out", "tep"], "file-as-folder", "tep"),
    "mau-khong-co": (["pack", "--year", "2024", "--template", "khong-co.docx"], None, "không tìm thấy mẫu"),
    "mau-la-thu-muc": (["validate", "--template", "mau.docx"], "template-dir", "là một thư mục"),
    "summary-chua-co-csdl": (["summary", "--year", "2024", "--db", "bc.sqlite3"], "no-db", "chưa có cơ sở dữ liệu"),
    "check-db-chua-co": (["check-db", "--db", "bc.sqlite3"], "no-db", "không tìm thấy cơ sở dữ liệu"),
    "export-chua-co": (["export", "--db", "bc.sqlite3", "--out", "a.zip"], "no-db", "không tìm thấy cơ sở dữ liệu"),
    "import-khong-co-tep": (["import", "khong-co.zip", "--db", "bc.sqlite3"], None, "không tìm thấy tệp sao lưu"),
    "db-la-thu-muc": (["status", "--year", "2024", "--db", "csdl"], "db-is-dir", "là một thư mục"),
    "db-trong-output": (["ingest", "x.docx", "--db", "output/bc.sqlite3"], None, "output/"),
    "het-dung-luong": (["appendix", "--out", "phu-luc.xlsx"], "disk-full", "hết dung lượng đĩa"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_error_is_one_vietnamese_sentence(tmp_path, case):
    args, what, words = CASES[case]
    setup(tmp_path, what)
    if case == "db-trong-output":
        (tmp_path / "x.docx").write_bytes(b"PK")
    r = kehoach(*args, cwd=tmp_path, fault="disk-full:100" if what == "disk-full" else None)
    if case == "db-trong-output":  # a per-file line then the total: the file is named, the database refused
        assert r.returncode == 1 and "Traceback" not in r.stderr and words in r.stderr
        return
    line = one_sentence(r)
    assert words in line, line


def _without_root_powers() -> list[str] | None:
    """A command prefix under which writing a read-only folder fails as it does for a clerk (root bypasses modes)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if not setpriv:
        return None
    prefix = [setpriv, "--bounding-set", "-dac_override,-dac_read_search,-fowner"]
    probe = subprocess.run([*prefix, "true"], capture_output=True)
    return prefix if probe.returncode == 0 else None


@pytest.mark.parametrize("args", [
    ["appendix", "--out", "khoa/phu-luc.xlsx"],
    ["pack", "--year", "2024", "--out", "khoa/2024"],
    ["ingest", "x.docx", "--db", "khoa/bc.sqlite3"],
])
def test_permission_denied_is_one_sentence(tmp_path, args):
    prefix = _without_root_powers()
    if prefix is None:
        pytest.skip("cannot drop root's permission override here")
    locked = tmp_path / "khoa"
    locked.mkdir()
    locked.chmod(0o555)
    (tmp_path / "x.docx").write_bytes(b"x")
    try:
        r = kehoach(*args, cwd=tmp_path, prefix=prefix)
    finally:
        locked.chmod(0o755)
    if args[0] == "ingest":  # per-file error line, then the run stops: the database cannot be created
        assert r.returncode == 1 and "Traceback" not in r.stderr
        assert "không" in r.stderr and ("quyền" in r.stderr or "không mở được" in r.stderr), r.stderr
        return
    line = one_sentence(r)
    assert "không có quyền truy cập" in line and '"khoa/' in line
    assert list(locked.iterdir()) == []


def test_ctrl_c_during_pack_is_one_sentence_and_keeps_the_previous_pack(tmp_path):
    assert kehoach("pack", "--year", "2024", "--out", "bo", cwd=tmp_path).returncode == 0
    before = sorted(p.name for p in (tmp_path / "bo").iterdir())
    proc = subprocess.Popen([sys.executable, "-m", "generator", "pack", "--year", "2024", "--out", "bo"],
                            cwd=tmp_path, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while proc.poll() is None and not list(tmp_path.glob(".bo.new.*/*.docx")) and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert "Traceback" not in err
    if proc.returncode == 0:  # finished before the signal arrived: nothing to check
        pytest.skip("the pack finished before Ctrl+C")
    assert proc.returncode == 130, err
    assert "Đã dừng theo yêu cầu (Ctrl+C)" in err
    assert sorted(p.name for p in (tmp_path / "bo").iterdir()) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_an_unexpected_bug_is_one_sentence_and_debug_shows_it(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from generator.cli import commands as cli

    def broken(*args, **kwargs):
        raise ZeroDivisionError("bug")

    monkeypatch.setattr(cli.plan, "load_plan", broken)
    monkeypatch.setitem(cli._state, "debug", False)  # restored after the test (the --debug run below sets it)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli.app, ["validate"])
    assert result.exit_code == 1
    assert "lỗi không mong đợi trong kehoach (ZeroDivisionError)" in result.output
    assert "kehoach --debug" in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(cli.app, ["--debug", "validate"])
    assert isinstance(result.exception, ZeroDivisionError)


def test_usage_errors_show_traceback_only_with_debug(tmp_path):
    r = kehoach("--debug", "pack", "--year", "abc", cwd=tmp_path)
    assert r.returncode != 0 and "Traceback" in r.stderr
