"""The CLI as a clerk runs it: commands, default paths, messages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import openpyxl


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def test_help_is_vietnamese(tmp_path):
    result = run("--help", cwd=tmp_path)
    assert result.returncode == 0
    for text in ("Kiểm tra dữ liệu kế hoạch", "Ghi PHỤ LỤC", "Tạo bộ biểu mẫu"):
        assert text in result.stdout


def test_appendix_default_path(tmp_path):
    result = run("appendix", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    target = tmp_path / "output/khanh-hoa-1627/phu-luc.xlsx"
    assert "phu-luc.xlsx" in result.stdout
    ws = openpyxl.load_workbook(target).active
    assert ws["A1"].value == "PHỤ LỤC"
    assert [p.name for p in target.parent.iterdir()] == ["phu-luc.xlsx"]  # no temporary file left behind


def test_appendix_out_option(tmp_path):
    result = run("appendix", "--out", "ban-in/phu-luc-1627.xlsx", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "ban-in/phu-luc-1627.xlsx").is_file()


def test_pack_summary_and_manifest(tmp_path):
    result = run("pack", "--year", "2023", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Đã ghi 36 biểu mẫu" in result.stdout and "Sở Kế hoạch và Đầu tư" in result.stdout
    folder = tmp_path / "output/khanh-hoa-1627/2023"
    assert (folder / "manifest.json").is_file() and (folder / "phu-luc.xlsx").is_file()
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]  # no staging folder left


def test_pack_replaces_previous_pack_completely(tmp_path):
    assert run("pack", "--year", "2024", cwd=tmp_path).returncode == 0
    folder = tmp_path / "output/khanh-hoa-1627/2024"
    (folder / "stale.docx").write_bytes(b"old")
    assert run("pack", "--year", "2024", cwd=tmp_path).returncode == 0
    assert not (folder / "stale.docx").exists()


def test_year_before_plan_is_refused(tmp_path):
    result = run("pack", "--year", "2019", cwd=tmp_path)
    assert result.returncode == 1
    assert "năm 2019" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "output").exists()


def test_broken_template_is_refused_before_writing(tmp_path):
    bad = tmp_path / "mau.docx"
    bad.write_bytes(b"not a zip")
    result = run("pack", "--year", "2024", "--template", str(bad), cwd=tmp_path)
    assert result.returncode == 1 and "mau.docx" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "output").exists()


def test_debug_shows_traceback(tmp_path):
    result = run("--debug", "pack", "--year", "2019", cwd=tmp_path)
    assert result.returncode != 0 and "Traceback" in result.stderr
