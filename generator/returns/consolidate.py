"""The consolidation of a year's returned forms, as plain data: per task, what each agency reported."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from ..forms.contract import STATUSES
from ..office.vnformat import short_date
from ..plan.assignments import assignments
from ..plan.model import Agency, Group, Plan, Task
from .model import Entry, Submission


NO_INFO = "Chưa có thông tin"  # a task no lead (or partner) reported a status for
NOT_REPORTED = "Chưa báo cáo"  # an agency that sent no form
NO_STATUS = "Không ghi tình trạng"  # an agency that sent its form but left the status empty
OTHER = "Khác"  # a status typed by hand that is none of STATUSES
CATEGORIES = STATUSES + (NO_INFO,)
ROLE_NAMES = {"lead": "Chủ trì", "partner": "Phối hợp"}


# ==================================================================================================== consolidation


@dataclass(frozen=True)
class Contribution:
    agency: Agency
    role: str  # "lead" | "partner"
    reported: bool  # the agency sent a form this year
    entry: Entry | None  # its row for the task (None: no form, or the row is missing)

    @property
    def has_content(self) -> bool:
        return self.entry is not None and not self.entry.is_empty

    @property
    def label(self) -> str:
        """The status as shown: one of STATUSES, the text typed, or why there is none."""
        if not self.reported:
            return NOT_REPORTED
        if self.entry is None or not self.entry.status_text:
            return NO_STATUS
        return self.entry.status or self.entry.status_text

    @property
    def category(self) -> str:
        if not self.reported:
            return NOT_REPORTED
        if self.entry is None or not self.entry.status_text:
            return NO_STATUS
        return self.entry.status or OTHER


@dataclass(frozen=True)
class TaskSummary:
    task: Task
    expired: bool  # its timeframe ended before the year
    leads: tuple[Contribution, ...]
    partners: tuple[Contribution, ...]

    @property
    def basis(self) -> tuple[Contribution, ...]:
        """The agencies whose reports make the task's status: its leads, or its partners when no lead must report."""
        return self.leads or self.partners

    @property
    def status(self) -> str:
        """The task's status: that of its leads (of its partners when no lead must report); several leads that
        disagree make it "Đang thực hiện"; no status reported: NO_INFO."""
        statuses = {c.entry.status for c in self.basis if c.entry is not None and c.entry.status}
        if not statuses:
            return NO_INFO
        if len(statuses) == 1:
            return statuses.pop()
        return "Đang thực hiện"

    @property
    def reporting(self) -> tuple[int, int]:
        """(how many of the basis agencies reported a status for the task, how many must)."""
        return sum(1 for c in self.basis if c.entry is not None and c.entry.status), len(self.basis)

    @property
    def complete(self) -> bool:
        """Every agency the status rests on reported one."""
        done, due = self.reporting
        return done == due

    @property
    def status_label(self) -> str:
        """The status as printed, saying how much it rests on: "Hoàn thành (3/33 đơn vị chủ trì đã báo cáo)"; bare
        only when every lead (or partner, see `basis`) reported a status."""
        done, due = self.reporting
        if done == due:
            return self.status
        who = "chủ trì" if self.leads else "phối hợp"
        return f"{self.status} ({done}/{due} đơn vị {who} đã báo cáo)"


@dataclass(frozen=True)
class Consolidation:
    plan: Plan
    year: int
    expected: tuple[Agency, ...]  # agencies that had to report, registry order
    submissions: Mapping[str, Submission]  # agency id -> the submission that counts
    groups: tuple[tuple[Group, tuple[TaskSummary, ...]], ...]
    late: frozenset[str] | None = None  # agencies whose report arrived after the deadline (None: not known)

    @property
    def tasks(self) -> tuple[TaskSummary, ...]:
        return tuple(t for _, ts in self.groups for t in ts)

    @property
    def reported(self) -> tuple[Agency, ...]:
        return tuple(a for a in self.expected if a.id in self.submissions)

    @property
    def missing(self) -> tuple[Agency, ...]:
        return tuple(a for a in self.expected if a.id not in self.submissions)

    @property
    def on_time(self) -> tuple[Agency, ...] | None:
        if self.late is None:
            return None
        return tuple(a for a in self.reported if a.id not in self.late)

    def task_counts(self, tasks: tuple[TaskSummary, ...] | None = None) -> dict[str, int]:
        counts = dict.fromkeys(CATEGORIES, 0)
        for t in self.tasks if tasks is None else tasks:
            counts[t.status] += 1
        return counts

    def complete_counts(self) -> dict[str, int]:
        """Tasks by status, counting only those every lead reported a status for."""
        return self.task_counts(tuple(t for t in self.tasks if t.complete))

    def entry_counts(self) -> dict[str, int]:
        """Reports (task, agency) by status, over the agencies that sent a form."""
        counts = dict.fromkeys(CATEGORIES, 0)
        for t in self.tasks:
            for c in t.leads + t.partners:
                if c.reported:
                    counts[c.entry.status if c.entry is not None and c.entry.status else NO_INFO] += 1
        return counts

    def sections(self, name: str) -> list[tuple[Agency, str]]:
        return [(a, self.submissions[a.id].sections.get(name, "")) for a in self.reported
                if self.submissions[a.id].sections.get(name, "").strip()]


def consolidate(plan: Plan, year: int, submissions: Mapping[str, Submission], *,
                late: Collection[str] | None = None) -> Consolidation:
    """Organise the submissions that count (one per agency) by the plan's groups and tasks (pure). `late`: the
    agencies whose report arrived after the deadline, if known.

    Who answers for what comes from `assignments` (the agencies in force at the year's deadline), so the summary
    attributes each task exactly as the forms sent that year did."""
    expected_tasks = assignments(plan, year)
    expected = tuple(at.agency for at in expected_tasks)
    roles: dict[str, dict[str, str]] = {}  # task id -> agency id -> role, agencies in registry order
    for at in expected_tasks:
        for a in at.all:
            roles.setdefault(a.task.id, {})[at.agency.id] = a.role
    entries = {aid: {e.task_id: e for e in s.entries} for aid, s in submissions.items()}
    groups = []
    for group in plan.groups:
        tasks = []
        for task in group.tasks:
            when = task.timeframe.status(year)
            if when == "future" or task.id not in roles:
                continue
            leads, partners = [], []
            for agency in expected:
                role = roles[task.id].get(agency.id)
                if role is None:
                    continue
                c = Contribution(agency, role, agency.id in entries, entries.get(agency.id, {}).get(task.id))
                (leads if role == "lead" else partners).append(c)
            tasks.append(TaskSummary(task, when == "expired", tuple(leads), tuple(partners)))
        if tasks:
            groups.append((group, tuple(tasks)))
    reporting = {a.id for a in expected}
    kept = {aid: s for aid, s in submissions.items() if aid in reporting}
    late_ids = None if late is None else frozenset(a for a in late if a in kept)
    return Consolidation(plan, year, expected, kept, tuple(groups), late_ids)


def _stamp(c: Consolidation) -> dt.datetime:
    """The fixed document date of a summary: the reporting deadline of the year."""
    m = c.plan.meta
    return dt.datetime(c.year, m.deadline_month, m.deadline_day)


def _plan_ref(plan: Plan) -> str:
    return f"Kế hoạch số {plan.meta.number} ngày {short_date(plan.meta.date)}"


def title_line(c: Consolidation) -> str:
    m = c.plan.meta
    return f"Tổng hợp kết quả thực hiện {_plan_ref(c.plan)} của {m.issuer} về {m.subject} năm {c.year}"
