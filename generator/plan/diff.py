"""What changed between two states of a plan: tasks added, removed and changed field by field, and whose forms change.

Pure: two `Plan` values and a report year in, a `PlanDiff` out; the CLI prints it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..forms.context import form_context
from .assignments import distribute
from .model import Plan, Task


FIELD_LABELS = {
    "code": "Số thứ tự",
    "task": "Nhiệm vụ",
    "lead": "Đơn vị chủ trì",
    "partners": "Đơn vị phối hợp",
    "deliverable": "Sản phẩm hoàn thành",
    "timeframe": "Thời gian hoàn thành",
}


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str
    new: str

    @property
    def label(self) -> str:
        return FIELD_LABELS[self.field]


@dataclass(frozen=True)
class TaskChange:
    task: Task  # the new state
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True)
class FormChange:
    agency: str
    name: str
    kind: str  # "new" (receives a form now), "dropped" (no longer), "changed"


@dataclass
class PlanDiff:
    year: int
    added: list[Task] = field(default_factory=list)
    removed: list[Task] = field(default_factory=list)
    changed: list[TaskChange] = field(default_factory=list)
    groups: list[FieldChange] = field(default_factory=list)  # field = group id; old/new titles ("" if absent)
    forms: list[FormChange] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.groups or self.forms)


def _values(t: Task) -> dict[str, str]:
    return {"code": t.code, "task": t.task, "lead": t.lead, "partners": t.partners, "deliverable": t.deliverable,
            "timeframe": t.timeframe.text}


def _forms(plan: Plan, year: int) -> dict[str, tuple[str, dict]]:
    contexts = {}
    for at in distribute(plan, year).agencies:
        ctx = form_context(plan, at, year)
        contexts[at.agency.id] = (at.agency.name, ctx)
    return contexts


def diff_plans(old: Plan, new: Plan, year: int) -> PlanDiff:
    d = PlanDiff(year)
    old_tasks = {t.id: t for t in old.tasks}
    new_tasks = {t.id: t for t in new.tasks}
    d.added = [t for t in new.tasks if t.id not in old_tasks]
    d.removed = [t for t in old.tasks if t.id not in new_tasks]
    for t in new.tasks:
        if t.id in old_tasks:
            before, after = _values(old_tasks[t.id]), _values(t)
            changes = tuple(FieldChange(f, before[f], after[f]) for f in FIELD_LABELS if before[f] != after[f])
            if changes:
                d.changed.append(TaskChange(t, changes))
    old_groups = {g.id: g.title for g in old.groups}
    new_groups = {g.id: g.title for g in new.groups}
    for gid in [*old_groups, *(g for g in new_groups if g not in old_groups)]:
        if old_groups.get(gid, "") != new_groups.get(gid, ""):
            d.groups.append(FieldChange(gid, old_groups.get(gid, ""), new_groups.get(gid, "")))
    before, after = _forms(old, year), _forms(new, year)
    for agency_id in [*after, *(a for a in before if a not in after)]:
        if agency_id not in before:
            d.forms.append(FormChange(agency_id, after[agency_id][0], "new"))
        elif agency_id not in after:
            d.forms.append(FormChange(agency_id, before[agency_id][0], "dropped"))
        elif before[agency_id][1] != after[agency_id][1]:
            d.forms.append(FormChange(agency_id, after[agency_id][0], "changed"))
    return d
