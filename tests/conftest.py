"""Shared fixtures."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator.plan.loader import load_plan
from generator.paths import default_plan_dir

pytest_plugins = ("webkit", "browser")  # the web app's fixtures (tests/webkit.py), the live server and chromium (tests/browser.py)


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


@pytest.fixture(scope="session")
def plan_2024(plan):
    """The plan in force for the 2024 reports (amendments up to 15/12/2024), as `kehoach pack --year 2024` uses."""
    from generator.plan.assignments import report_date

    return load_plan(default_plan_dir(), report_date(plan, 2024))


@pytest.fixture(scope="session")
def forms_2024(plan_2024):
    """The 2024 report forms built in memory (`build_pack`), agency id -> .docx bytes."""
    from generator.forms.render import FormTemplate
    from generator.forms.pack import build_pack
    from generator.paths import templates_dir

    pack = build_pack(plan_2024, 2024, FormTemplate(templates_dir() / "bao-cao-don-vi.docx"))
    return {name[: -len(".docx")]: data for name, data in pack.files.items() if name.endswith(".docx")}


def pytest_sessionstart(session):
    """In CI the official source sits in ../shared beside the checkout; tests comparing against it must not skip."""
    import os
    from pathlib import Path

    source = Path(__file__).resolve().parents[2] / "shared" / "source" / "ke-hoach-1627-KH-UBND.txt"
    if os.environ.get("CI") and not source.is_file():
        raise pytest.UsageError(f"CI: không tìm thấy văn bản gốc {source} (../shared phải nằm cạnh thư mục mã nguồn)")


@pytest.fixture
def plan_copy(tmp_path) -> Path:
    """A copy of the default plan folder, for a test to edit."""
    folder = tmp_path / "plan"
    shutil.copytree(default_plan_dir(), folder)
    return folder


@pytest.fixture
def province_registry(plan_copy) -> Path:
    """A copy of plan_data/registries beside `plan_copy` (<tmp>/registries/, where the copied plan looks first): the
    copy of Khánh Hòa's registry, for a test to edit."""
    from generator.paths import plan_data_dir

    shutil.copytree(plan_data_dir() / "registries", plan_copy.parent / "registries")
    return plan_copy.parent / "registries" / "khanh-hoa.yaml"


@pytest.fixture(scope="session")
def rereader(plan):
    """Reads stored originals again as `kehoach import` and `kehoach check-db` do with the default plan."""
    from generator.plan.assignments import report_date
    from generator.returns.reread import Rereader

    return Rereader([(plan, lambda year: load_plan(default_plan_dir(), report_date(plan, year)))])
