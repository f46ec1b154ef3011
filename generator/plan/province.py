"""A province's registry on its own, without a plan (the importer resolves a new plan's names against it): found by
name, by path, or by the province name its file declares (`province:`), then built from its layers like a plan's."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import paths
from ..errors import KehoachError, PlanInvalid, Problem
from .model import Registry
from .registries import NATIONAL, REGISTRIES_DIR, Located, _with_national
from .registry import _LAYER_MODELS, _build_registry
from .resolve import name_key
from .yamlfast import _Source


@dataclass(frozen=True)
class Province:
    name: str  # the registry's name ("khanh-hoa"): what plan.yaml's `registry` says
    path: Path
    province: str  # the province's name as the file declares it ("Khánh Hòa"), or ""
    registry: Registry


def _declared_province(path: Path) -> str:
    """The `province:` line of a registry file, read without loading it (a top-level key, one line)."""
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.startswith("province:"):
                    value = line.split(":", 1)[1].split(" #", 1)[0].strip().strip("\"'")
                    return value
    except (OSError, UnicodeDecodeError):
        return ""
    return ""


def registries_dir() -> Path:
    return paths.plan_data_dir() / REGISTRIES_DIR


def find_province(option: str | Path | None, province_names: list[str]) -> tuple[str, Path]:
    """(registry name, file) of `option` (a name in plan_data/registries, or a file), else of the registry whose
    declared province matches one of `province_names` (by `name_key`); a sentence saying where it looked if none."""
    folder = registries_dir()
    if option is not None:
        text = str(option)
        candidate = Path(text)
        if candidate.is_file():
            return candidate.stem, candidate
        by_name = folder / f"{text}.yaml"
        if "/" not in text and by_name.is_file():
            return text, by_name
        raise KehoachError(f'không tìm thấy danh mục đơn vị "{text}" (tùy chọn --registry); đã tìm tệp "{candidate}" '
                           f'và "{by_name}"; hãy ghi tên một danh mục trong "{folder}" hoặc đường dẫn tới tệp .yaml')
    wanted = {name_key(n) for n in province_names if n}
    known: list[str] = []
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        if path.name == NATIONAL:
            continue
        declared = _declared_province(path)
        known.append(f"{path.stem} ({declared})" if declared else path.stem)
        if declared and name_key(declared) in wanted:
            return path.stem, path
    shown = ", ".join(f'"{n}"' for n in province_names if n) or "(không đọc được tên tỉnh trong văn bản)"
    have = "; có: " + ", ".join(known) if known else "; thư mục không có danh mục nào"
    raise KehoachError(f'không tìm thấy danh mục đơn vị của tỉnh {shown} trong "{folder}"{have}; hãy viết danh mục '
                       "của tỉnh (README, mục \"Danh mục đơn vị của tỉnh\") hoặc chỉ rõ bằng --registry TÊN_HOẶC_TỆP")


def load_province(name: str, path: Path) -> Province:
    """The province's registry built over the national layer (PlanInvalid listing its problems)."""
    located = _with_national(Located(province=path), path, [path.parent / NATIONAL])
    if located.problem:
        raise KehoachError(located.problem)
    problems: list[Problem] = []
    sources: list[_Source | None] = [_Source(located.national, problems), _Source(path, problems), None]
    raws = [src.validate(model) if src else None for src, model in zip(sources, _LAYER_MODELS)]
    if problems or not all(raws[:2]):
        raise PlanInvalid(problems)
    return Province(name, path, _declared_province(path), _build_registry(sources, raws))

