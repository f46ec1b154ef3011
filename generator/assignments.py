"""Who reports on what: a plan and a year -> each reporting agency's lead, partner and expired tasks.

Role rules (issue #3): an agency named explicitly keeps that role even if a group it belongs to holds the other role;
otherwise lead beats partner; a task appears at most once per agency.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .model import Agency, Plan, Ref, Task

Role = Literal["lead", "partner"]

# Lower rank wins when an agency is reached several ways for one task.
_RANK = {("lead", False): 0, ("partner", False): 1, ("lead", True): 2, ("partner", True): 3}


@dataclass(frozen=True)
class Assignment:
    task: Task
    role: Role
    via: str | None = None  # the group wording when the agency is reached through a group
    related: bool = False  # the group was qualified "có liên quan": report if relevant


@dataclass(frozen=True)
class AgencyTasks:
    agency: Agency
    lead: tuple[Assignment, ...]
    partner: tuple[Assignment, ...]
    expired: tuple[Assignment, ...]

    @property
    def all(self) -> tuple[Assignment, ...]:
        return self.lead + self.partner + self.expired


def _reached(plan: Plan, ref: Ref) -> list[str]:
    if not ref.is_group:
        return [ref.target]
    return list(plan.registry.groups[ref.target].members)


def task_roles(plan: Plan, task: Task) -> dict[str, Assignment]:
    """Every agency a task reaches, with its single winning role."""
    best: dict[str, tuple[int, Assignment]] = {}
    for role, refs in (("lead", task.lead_refs), ("partner", task.partner_refs)):
        for ref in refs:
            rank = _RANK[(role, ref.is_group)]
            via = ref.text if ref.is_group else None
            for agency_id in _reached(plan, ref):
                if agency_id not in best or rank < best[agency_id][0]:
                    best[agency_id] = (rank, Assignment(task, role, via, ref.related))
    return {agency_id: a for agency_id, (_, a) in best.items()}


def assignments(plan: Plan, year: int) -> list[AgencyTasks]:
    """The reporting agencies that have tasks in `year`, in registry order, each with its tasks in plan order."""
    per_agency: dict[str, dict[str, list[Assignment]]] = {}
    for task in plan.tasks:
        status = task.timeframe.status(year)
        if status == "future":
            continue
        for agency_id, a in task_roles(plan, task).items():
            bucket = "expired" if status == "expired" else a.role
            per_agency.setdefault(agency_id, {"lead": [], "partner": [], "expired": []})[bucket].append(a)
    result = []
    for agency_id, agency in plan.registry.agencies.items():
        if not agency.reports or agency_id not in per_agency:
            continue
        b = per_agency[agency_id]
        result.append(AgencyTasks(agency, tuple(b["lead"]), tuple(b["partner"]), tuple(b["expired"])))
    return result
