"""The yearly report pack: one form per reporting agency, the appendix and a manifest."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .appendix import build_appendix
from .assignments import AgencyTasks, distribute
from .docxform import FormTemplate
from .errors import KehoachError
from .forms import form_context, form_properties, receiver_name
from .fsutil import replace_dir, staging_dir
from .model import Plan

APPENDIX_FILE = "phu-luc.xlsx"
MANIFEST_FILE = "manifest.json"


@dataclass
class Pack:
    plan: Plan
    year: int
    agencies: list[AgencyTasks]
    files: dict[str, bytes] = field(default_factory=dict)  # relative path -> content, in write order
    warnings: list[str] = field(default_factory=list)

    @property
    def manifest(self) -> dict:
        return json.loads(self.files[MANIFEST_FILE])


def check_year(plan: Plan, year: int) -> None:
    if not plan.meta.date.year <= year <= 2100:
        raise KehoachError(
            f"năm {year} không hợp lệ: Kế hoạch {plan.meta.number} ban hành năm {plan.meta.date.year}, "
            "hãy chọn năm báo cáo từ năm đó trở đi"
        )


def build_pack(plan: Plan, year: int, template: FormTemplate,
               on_form: Callable[[AgencyTasks], None] | None = None) -> Pack:
    check_year(plan, year)
    distribution = distribute(plan, year)
    pack = Pack(plan, year, distribution.agencies, warnings=distribution.warnings)
    forms = []
    for at in pack.agencies:
        data = template.render(form_context(plan, at, year), form_properties(plan, at, year))
        name = f"{at.agency.id}.docx"
        pack.files[name] = data
        forms.append({
            "agency": at.agency.id,
            "name": at.agency.name,
            "file": name,
            "sha256": hashlib.sha256(data).hexdigest(),
            "lead": [a.task.code for a in at.lead],
            "partner": [a.task.code for a in at.partner],
            "expired": [a.task.code for a in at.expired],
        })
        if on_form:
            on_form(at)
    pack.files[APPENDIX_FILE] = build_appendix(plan)
    manifest = {"plan": plan.id, "plan_version": plan.version, "year": year,
                "receiver": receiver_name(plan, year), "appendix": APPENDIX_FILE, "forms": forms,
                "amendments": [f"{d.number} ngày {d.date:%d/%m/%Y}" for d in plan.amendments],
                "warnings": pack.warnings}
    pack.files[MANIFEST_FILE] = (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    return pack


def write_pack(pack: Pack, out_dir: Path) -> None:
    """Write every file into a staging folder, then swap it in: the old pack stays until the new one is complete."""
    staging = staging_dir(out_dir)
    try:
        for name, data in pack.files.items():
            (staging / name).write_bytes(data)
        replace_dir(staging, out_dir)
    except BaseException:
        import shutil

        shutil.rmtree(staging, ignore_errors=True)
        raise
