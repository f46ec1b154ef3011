"""Shared fixtures."""

from __future__ import annotations

import pytest

from generator.loader import load_plan
from generator.paths import default_plan_dir


@pytest.fixture(scope="session")
def plan():
    return load_plan(default_plan_dir())
