"""Who reports on what: a plan and a year -> each reporting agency's lead, partner and expired tasks.

Role rules (issues #3 and #5): an agency named explicitly keeps that role even if a group it belongs to holds the
other role; otherwise lead beats partner; a task appears at most once per agency. Agencies are those in force at the
year's reporting deadline: a successor receives its predecessors' tasks (its own mention winning a tie), with a note
naming the predecessor.
"""

from __future__ import annotations

import datetime as dt
import weakref
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from .model import Agency, Plan, Task
from .timeline import agency_at, ceasing_event, name_before, recipients


Role = Literal["lead", "partner"]

# Lower rank wins when an agency is reached several ways for one task.
_RANK = {("lead", False): 0, ("partner", False): 1, ("lead", True): 2, ("partner", True): 3}


@dataclass(frozen=True)
class Assignment:
    task: Task
    role: Role
    via: str | None = None  # the group wording when the agency is reached through a group
    related: bool = False  # the group was qualified "có liên quan": report if relevant
    predecessor: str | None = None  # name of the agency or group whose task this was, when it passed on
    named: str | None = None  # the mention's wording when it names a sub-unit ("Sở Nội vụ (Ban Thi đua - ...)")


@dataclass(frozen=True)
class AgencyTasks:
    agency: Agency  # as named on the reporting date
    lead: tuple[Assignment, ...]
    partner: tuple[Assignment, ...]
    expired: tuple[Assignment, ...]

    @property
    def all(self) -> tuple[Assignment, ...]:
        return self.lead + self.partner + self.expired


@dataclass
class Distribution:
    agencies: list[AgencyTasks]
    warnings: list[str] = field(default_factory=list)

    @cached_property
    def by_agency(self) -> dict[str, AgencyTasks]:
        return {at.agency.id: at for at in self.agencies}


def report_date(plan: Plan, year: int) -> dt.date:
    """The reporting deadline of `year`: the date agencies and the plan are taken as in force."""
    return dt.date(year, plan.meta.deadline_month, plan.meta.deadline_day)


def task_roles(plan: Plan, task: Task, when: dt.date,
               reached: dict[tuple[str, bool], list[tuple[str, str | None]]] | None = None) -> dict[str, Assignment]:
    """Every agency (or generic group form) a task reaches on `when`, with its single winning role.

    `reached` remembers, across the tasks of one distribution, whom a mention reaches on `when` (agency id and the
    name of the predecessor it answers for): a national plan mentions the same bodies thousands of times."""
    reg = plan.registry
    reached = {} if reached is None else reached
    best: dict[str, tuple[tuple[int, int], Assignment]] = {}
    for role, refs in (("lead", task.lead_refs), ("partner", task.partner_refs)):
        for ref in refs:
            rank = _RANK[(role, ref.is_group)]
            via = ref.text if ref.is_group else None
            named = ref.text if ref.unit and not ref.is_group else None
            mention = (ref.target, ref.is_group)
            if mention not in reached:
                reached[mention] = [(r.id, _predecessor_name(plan, r.predecessor, when) if r.predecessor else None)
                                    for r in recipients(reg, ref.target, ref.is_group, when)]
            for agency_id, predecessor in reached[mention]:
                key = (rank, 1 if predecessor else 0)
                if agency_id not in best or key < best[agency_id][0]:
                    best[agency_id] = (key, Assignment(task, role, via, ref.related, predecessor, named))
    return {agency_id: a for agency_id, (_, a) in best.items()}


def _predecessor_name(plan: Plan, predecessor: str, when: dt.date) -> str:
    """The name under which a body that ceased by `when` was mentioned (as it was just before it ceased)."""
    reg = plan.registry
    event = ceasing_event(reg, predecessor, when) if predecessor in reg.agencies else None
    return name_before(reg, predecessor, event.date if event else when)


# distribute() is pure and called for every form read back; remember its result per (plan object, year).
_CACHE: dict[tuple[int, int], tuple[weakref.ref, Distribution]] = {}


def distribute(plan: Plan, year: int) -> Distribution:
    """The reporting agencies in force on the year's deadline that have tasks, each with its tasks in plan order."""
    key = (id(plan), year)
    hit = _CACHE.get(key)
    if hit is not None and hit[0]() is plan:
        return hit[1]
    result = _distribute(plan, year)
    _CACHE[key] = (weakref.ref(plan, lambda _ref: _CACHE.pop(key, None)), result)
    return result


def _distribute(plan: Plan, year: int) -> Distribution:
    when = report_date(plan, year)
    reg = plan.registry
    per: dict[str, dict[str, list[Assignment]]] = {}
    reached: dict[tuple[str, bool], list[tuple[str, str | None]]] = {}
    warnings: list[str] = []
    for task in plan.tasks:
        status = task.timeframe.status(year)
        if status == "future":
            continue
        roles = task_roles(plan, task, when, reached)
        if not any(r.role == "lead" for r in roles.values()):
            warnings.append(f"Nhiệm vụ {task.code} không còn đơn vị chủ trì nào tồn tại vào {when:%d/%m/%Y}.")
        for agency_id, a in roles.items():
            bucket = "expired" if status == "expired" else a.role
            per.setdefault(agency_id, {"lead": [], "partner": [], "expired": []})[bucket].append(a)
    result = []
    order = [*reg.agencies, *reg.groups]
    for agency_id in order:
        if agency_id not in per:
            continue
        agency = agency_at(reg, agency_id, when)
        if not agency.reports:
            continue
        if agency_id in reg.groups:
            group = reg.groups[agency_id]
            warnings.append(
                f'Nhóm "{group.name}" chưa có danh sách thành viên ({group.gap}); đã tạo một biểu mẫu chung '
                f'"{agency_id}.docx" gửi "{agency.name}".'
            )
        b = per[agency_id]
        result.append(AgencyTasks(agency, tuple(b["lead"]), tuple(b["partner"]), tuple(b["expired"])))
    return Distribution(result, warnings)


def assignments(plan: Plan, year: int) -> list[AgencyTasks]:
    return distribute(plan, year).agencies


def receiver_at(plan: Plan, year: int) -> Agency:
    """The body that receives the reports of `year` (the plan's receiver, or its successor)."""
    when = report_date(plan, year)
    found = recipients(plan.registry, plan.meta.receiver, False, when)
    return agency_at(plan.registry, found[0].id, when) if found else plan.registry.agencies[plan.meta.receiver]
