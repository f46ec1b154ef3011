"""Where a plan's registry of agencies is written.

A province's registry (agencies, groups, aliases, dated events) is one file shared by all the province's plans:
`registries/<name>.yaml` in plan_data/, named by plan.yaml (`registry: khanh-hoa`). It builds on the national layer
(`registries/national-2025.yaml`: the 2025 reorganisation as every province had it). A plan folder may add agencies
of its own in its `agencies.yaml`. A plan folder that names no registry keeps its whole registry in its own
`agencies.yaml` (as every plan did before registries were shared).

This module only finds the files; `loader` reads and merges them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .. import paths


REGISTRIES_DIR = "registries"
NATIONAL = "national-2025.yaml"
PLAN_AGENCIES = "agencies.yaml"  # a plan's own additions (or, naming no registry, its whole registry)
_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Located:
    """The files of a plan's registry, or why they were not found (`problem`, one sentence; `option` tells whether
    it is about the --registry option rather than plan.yaml's `registry`)."""

    province: Path | None = None
    plan_own: Path | None = None  # the plan folder's agencies.yaml layered on top, if any
    national: Path | None = None
    problem: str | None = None
    option: bool = False


def locate(folder: Path, value: str | None, option: str | Path | None) -> Located:
    """The registry files of the plan in `folder`, whose plan.yaml says `registry: value` (None: not said);
    `option` is the --registry given on the command line (a file, or a folder holding `<name>.yaml`)."""
    own = folder / PLAN_AGENCIES
    if option is None and value is None:  # the whole registry in the plan folder
        if not own.is_file():
            return Located(problem=(
                'plan.yaml không ghi danh mục đơn vị của tỉnh ("registry", ví dụ "registry: khanh-hoa") và thư mục '
                f'kế hoạch không có {PLAN_AGENCIES}; hãy ghi "registry:" trong plan.yaml hoặc dùng tùy chọn --registry'))
        return _with_national(Located(province=own), own, [folder.parent / REGISTRIES_DIR / NATIONAL])
    name = None if value is None else (value if _NAME.match(value) else Path(value).stem)
    if option is not None:
        option = Path(option)
        if option.is_file():
            candidates = [option]
        elif option.is_dir() and name is not None:
            candidates = [option / f"{name}.yaml", option / REGISTRIES_DIR / f"{name}.yaml"]
        elif option.is_dir():
            return Located(option=True, problem=(
                f'plan.yaml không ghi tên danh mục đơn vị ("registry") nên không biết dùng tệp nào trong thư mục '
                f'"{option}"; hãy ghi đường dẫn tới tệp danh mục, ví dụ --registry {option / "khanh-hoa.yaml"}'))
        else:
            return Located(option=True, problem=(
                f'không tìm thấy "{option}" (tùy chọn --registry); hãy ghi đường dẫn tới tệp danh mục đơn vị (.yaml) '
                "hoặc tới thư mục chứa tệp đó"))
    elif name == value:  # a name: beside the plan folder, then the project's plan_data/
        candidates = [folder.parent / REGISTRIES_DIR / f"{name}.yaml",
                      paths.plan_data_dir() / REGISTRIES_DIR / f"{name}.yaml"]
    else:  # a path, from the plan folder
        candidates = [folder / value]
    candidates = _distinct(candidates)
    found = next((c for c in candidates if c.is_file()), None)
    if found is None:
        looked = ", ".join(f'"{c}"' for c in candidates)
        what = f'danh mục đơn vị "{value}"' if value is not None else "danh mục đơn vị"
        return Located(option=option is not None, problem=(
            f"không tìm thấy {what} của kế hoạch; đã tìm {looked}; hãy chép tệp danh mục vào một trong các chỗ đó "
            "hoặc chỉ rõ bằng tùy chọn --registry TỆP_HOẶC_THƯ_MỤC"))
    located = Located(province=found, plan_own=own if own.is_file() else None)
    return _with_national(located, found, [found.parent / NATIONAL])


def _with_national(located: Located, province: Path, first: list[Path]) -> Located:
    """The national layer: beside the province's file, else the project's own."""
    candidates = _distinct([*first, paths.plan_data_dir() / REGISTRIES_DIR / NATIONAL])
    found = next((c for c in candidates if c.is_file()), None)
    if found is None:
        looked = ", ".join(f'"{c}"' for c in candidates)
        return Located(problem=(
            f'không tìm thấy lớp dữ liệu chung toàn quốc "{NATIONAL}" mà danh mục đơn vị "{province}" dựa vào; đã '
            f"tìm {looked}; hãy chép tệp đó vào cạnh tệp danh mục"))
    return Located(located.province, located.plan_own, found)


def _distinct(candidates: list[Path]) -> list[Path]:
    out: list[Path] = []
    seen: set[Path] = set()
    for c in candidates:
        key = c.resolve()
        if key not in seen:
            seen.add(key)
            out.append(c)
    return out
