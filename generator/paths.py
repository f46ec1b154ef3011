"""Where the embedded default plan and the templates live, in a checkout and in an installed wheel."""

from __future__ import annotations

import os
from pathlib import Path


_PACKAGE = Path(__file__).resolve().parent
DEFAULT_PLAN_ID = "khanh-hoa-1627"


def _data_root() -> Path:
    bundled = _PACKAGE / "_data"  # the wheel carries plan_data/ and templates/ here (see pyproject.toml)
    return bundled if bundled.is_dir() else _PACKAGE.parent


def plan_data_dir() -> Path:
    return _data_root() / "plan_data"


def default_plan_dir() -> Path:
    return plan_data_dir() / DEFAULT_PLAN_ID


def templates_dir() -> Path:
    return _data_root() / "templates"


DEFAULT_DB = Path("kehoach-data") / "bao-cao.sqlite3"
DB_ENV = "KEHOACH_DB"


def default_path() -> Path:
    env = os.environ.get(DB_ENV)
    return Path(env) if env else DEFAULT_DB
