"""The validated plan: immutable values built by `loader`, read by everything else."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal

from ..errors import Problem


@dataclass(frozen=True)
class Agency:
    id: str
    name: str
    code: str
    kind: str
    reports: bool
    aliases: tuple[str, ...] = ()
    header: str | None = None
    source: str = ""
    established: dt.date | None = None  # exists from this date (None: from the start)
    header_lines: tuple[str, ...] = ()  # the name as printed in the header, split where agencies.yaml splits it
    parent_header: str | None = None  # the body it belongs to, for kinds whose rule says "rieng"
    place: str | None = None  # its own place name for the date line, for kinds whose rule says "rieng"

    @property
    def header_text(self) -> str:
        """The name as printed in the document header (always upper case)."""
        return (self.header or self.name).upper()


@dataclass(frozen=True)
class AgencyGroup:
    """A collective mention ("các sở, ban, ngành") and the agencies it stands for."""

    id: str
    name: str
    aliases: tuple[str, ...] = ()
    members: tuple[str, ...] = ()
    unspecified: bool = False
    source: str = ""
    gap: str | None = None  # why no members are listed (a known gap in the data)
    generic: Agency | None = None  # the form addressed to the group as a whole when it has no members in force
    established: dt.date | None = None


@dataclass(frozen=True)
class Event:
    """A dated change to agencies: renamed, merged (into one), split (into several), abolished."""

    date: dt.date
    kind: Literal["renamed", "merged", "split", "abolished"]
    agencies: tuple[str, ...]
    into: tuple[str, ...] = ()
    name: str | None = None
    header: str | None = None
    code: str | None = None
    basis: str = ""
    source: str = ""
    header_lines: tuple[str, ...] = ()
    parent_header: str | None = None
    place: str | None = None


@dataclass(frozen=True)
class HeaderRule:
    """How bodies of one kind head their documents (agencies.yaml, `headers`): the parent line ("tinh": the
    province's People's Committee, plan.yaml's parent_header; "khong": none; "rieng": the agency's own
    parent_header) and the place of the date line ("tinh": plan.yaml's place; "rieng": the agency's own place)."""

    kind: str
    parent: Literal["tinh", "khong", "rieng"]
    place: Literal["tinh", "rieng"]
    source: str = ""


@dataclass(frozen=True)
class Registry:
    agencies: dict[str, Agency]
    groups: dict[str, AgencyGroup]
    events: tuple[Event, ...] = ()
    header_rules: dict[str, HeaderRule] = field(default_factory=dict)  # kind -> rule (none: every body "tinh")

    def name_of(self, target: str) -> str:
        item = self.agencies.get(target) or self.groups[target]
        return item.name


@dataclass(frozen=True)
class Ref:
    """One agency or group named in a lead/partner cell."""

    target: str  # agency or group id
    is_group: bool
    related: bool = False  # followed by "(có) liên quan"
    text: str = ""  # the wording as it appears in the cell (with its sub-unit and qualifier)
    unit: str = ""  # the sub-unit written in parentheses after the name ("Ban Thi đua - Khen thưởng")


ScheduleKind = Literal["continuous", "annual", "quarterly", "monthly", "half-yearly", "conditional", "period",
                       "open", "deadline", "unknown"]


@dataclass(frozen=True)
class Schedule:
    """A task's timeframe: the official wording, and the years it is reported in (see `schedule`)."""

    kind: ScheduleKind
    text: str  # the official wording, kept for display
    start: int | None = None  # first year of work (None: from the plan's first year)
    end: int | None = None  # last year of work, the deadline's year (None: no end)
    due: dt.date | None = None  # the completion date a deadline gives ("Quý IV/2023": 31/12/2023)

    def status(self, year: int) -> Literal["active", "expired", "future"]:
        """In the reports of `year`: due ("active"), past its deadline ("expired") or not yet begun ("future")."""
        if self.end is not None and year > self.end:
            return "expired"
        if self.start is not None and year < self.start:
            return "future"
        return "active"


@dataclass(frozen=True)
class Task:
    id: str
    group_id: str
    numeral: str  # group's Roman numeral, e.g. "II"
    number: int  # position in its group (TT), from 1
    task: str
    lead: str
    partners: str
    deliverable: str
    timeframe: Schedule
    lead_refs: tuple[Ref, ...]
    partner_refs: tuple[Ref, ...]

    @cached_property
    def code(self) -> str:
        """The task as the official table numbers it, e.g. "II.11"."""
        return f"{self.numeral}.{self.number}"


@dataclass(frozen=True)
class Group:
    id: str
    numeral: str
    title: str
    tasks: tuple[Task, ...]


@dataclass(frozen=True)
class Document:
    """A document the plan refers to (number, date, issuer)."""

    kind: str
    number: str
    date: dt.date
    issuer: str
    title: str = ""


@dataclass(frozen=True)
class ReportSigner:
    """Who signs the consolidated report for a receiving body (plan.yaml, `reporting.signers`)."""

    agency: str  # agency id
    authority: str = ""  # "KT. GIÁM ĐỐC", "" when the head signs
    title: str = "GIÁM ĐỐC"
    name: str = ""


@dataclass(frozen=True)
class Meta:
    id: str
    number: str
    date: dt.date
    issuer: str
    issuer_full: str
    place: str
    parent_header: str
    title: str
    subject: str
    implements: tuple[Document, ...]
    signer_authority: str
    signer_title: str
    signer_name: str
    receiver: str  # agency id
    deadline_day: int
    deadline_month: int
    appendix_heading: str
    appendix_title: str
    appendix_attached: str
    report_signers: tuple[ReportSigner, ...] = ()

    def report_signer(self, agency_id: str) -> ReportSigner:
        """The signer of the consolidated report written by `agency_id` (the head, "GIÁM ĐỐC", if not given)."""
        return next((s for s in self.report_signers if s.agency == agency_id), ReportSigner(agency_id))


@dataclass(frozen=True)
class Plan:
    meta: Meta
    groups: tuple[Group, ...]
    registry: Registry
    version: str  # short content hash of the files that make up this state of the plan
    source_dir: str = field(default="", compare=False)
    amendments: tuple[Document, ...] = ()  # amending documents applied, oldest first
    as_of: dt.date | None = None  # the date this state is in force for (None: every amendment applied)
    registry_files: tuple[str, ...] = field(default=(), compare=False)  # national layer, province, plan's own
    warnings: tuple[Problem, ...] = field(default=(), compare=False)  # file:line notices that do not refuse the plan

    @property
    def id(self) -> str:
        return self.meta.id

    # Derived indexes, computed once per plan (cached_property writes the instance dict, so frozen is fine).
    @cached_property
    def tasks(self) -> tuple[Task, ...]:
        return tuple(t for g in self.groups for t in g.tasks)

    @cached_property
    def task_index(self) -> dict[str, Task]:
        return {t.id: t for t in self.tasks}

    @cached_property
    def task_positions(self) -> dict[str, int]:
        """Task id -> position in the official table (plan order)."""
        return {t.id: i for i, t in enumerate(self.tasks)}

    @cached_property
    def task_by_code(self) -> dict[str, Task]:
        return {t.code: t for t in self.tasks}

    def task(self, task_id: str) -> Task:
        return self.task_index[task_id]
