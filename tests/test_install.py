"""The installed package (a wheel) finds its embedded plan and template when run from any folder."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wheel")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(tmp)],
                           capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr
    [wheel] = tmp.glob("kehoach-*.whl")
    site = tmp / "site"
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        zf.extractall(site)
    assert "generator/_data/plan_data/khanh-hoa-1627/tasks.yaml" in names
    assert "generator/_data/plan_data/registries/khanh-hoa.yaml" in names
    assert "generator/_data/plan_data/registries/national-2025.yaml" in names
    assert "generator/_data/templates/bao-cao-don-vi.docx" in names
    assert "generator/fontmetrics/liberation-serif.json" in names  # the row heights of the .xlsx files need it
    return site


def test_wheel_runs_from_another_folder(installed, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(installed)}
    where = subprocess.run([sys.executable, "-c", "import generator.paths as p; print(p.default_plan_dir())"],
                           cwd=tmp_path, env=env, capture_output=True, text=True)
    assert Path(where.stdout.strip()).is_relative_to(installed)
    for args in (["validate"], ["pack", "--year", "2024"]):
        result = subprocess.run([sys.executable, "-m", "generator", *args], cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
    assert (tmp_path / "output/khanh-hoa-1627/2024/so-cong-thuong.docx").is_file()
    assert (tmp_path / "output/khanh-hoa-1627/2024/phu-luc.xlsx").is_file()
