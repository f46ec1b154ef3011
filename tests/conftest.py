"""Shared fixtures."""

from __future__ import annotations

import pytest

from generator.loader import load_plan
from generator.paths import default_plan_dir


@pytest.fixture(scope="session")
def plan():
    return load_plan(default_plan_dir())


@pytest.fixture(scope="session")
def form_pack(tmp_path_factory):
    """`python -m generator pack --year Y` run as a user would (fresh folder, default output location), once per
    year per session. Returns a function year -> the pack folder (<cwd>/output/khanh-hoa-1627/<year>)."""
    import subprocess
    import sys

    cache = {}

    def get(year: int):
        if year not in cache:
            cwd = tmp_path_factory.mktemp(f"pack-{year}")
            result = subprocess.run([sys.executable, "-m", "generator", "pack", "--year", str(year)],
                                    cwd=cwd, capture_output=True, text=True, timeout=120)
            assert result.returncode == 0, f"pack --year {year} failed:\n{result.stdout}\n{result.stderr}"
            cache[year] = cwd / "output" / "khanh-hoa-1627" / str(year)
            assert cache[year].is_dir(), f"pack --year {year} wrote nothing at {cache[year]}"
        return cache[year]

    return get
