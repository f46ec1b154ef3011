"""Which files loading a plan folder reads, and a cheap stamp of them: (path, size, mtime_ns) of each, None for a
missing one. A process that keeps a loaded plan (the web app) compares stamps to know when to load it again: an
amendment added, tasks.yaml or the registry edited. Only `os.stat` and directory listings, no file is read."""

from __future__ import annotations

import os
from pathlib import Path

from .. import paths
from .amendments import AMENDMENTS_DIR
from .registries import PLAN_AGENCIES, REGISTRIES_DIR

PLAN_FILES = ("plan.yaml", "tasks.yaml", PLAN_AGENCIES)

Stamp = tuple[tuple[str, int | None, int | None], ...]


def _listing(folder: Path) -> list[Path]:
    """The entries of `folder` (none if it is missing), sorted by name."""
    try:
        return sorted(Path(e.path) for e in os.scandir(folder))
    except OSError:
        return []


def plan_sources(folder: Path, registry: Path | None = None) -> list[Path]:
    """The files a load of the plan in `folder` may read, as far as is known without reading any: its own files,
    every file of amendments/, the registries beside it and in the project's plan_data/, and --registry (a file, or
    the registry files in that folder). A plan.yaml naming its registry by a path elsewhere adds that file: see
    `Plan.registry_files`, which a caller stamps after the load."""
    found = [folder / name for name in PLAN_FILES]
    found += _listing(folder / AMENDMENTS_DIR)
    places = [folder.parent / REGISTRIES_DIR, paths.plan_data_dir() / REGISTRIES_DIR]
    if registry is not None:
        if registry.is_dir():
            places += [registry, registry / REGISTRIES_DIR]
        else:
            found.append(registry)
    for place in dict.fromkeys(places):
        found += [p for p in _listing(place) if p.suffix == ".yaml"]
    return list(dict.fromkeys(found))


def stamp(files: list[Path] | tuple[Path, ...]) -> Stamp:
    """(path, size, mtime_ns) of each file, in order; (path, None, None) for one that is missing."""
    out = []
    for path in files:
        try:
            st = os.stat(path)
        except OSError:
            out.append((str(path), None, None))
        else:
            out.append((str(path), st.st_size, st.st_mtime_ns))
    return tuple(out)
