"""Loading and validating a plan folder (plan.yaml, tasks.yaml, its registry of agencies) into a `Plan`.

Every problem is collected with its file and line, so `kehoach validate` can list them all at once; nothing
downstream ever sees an invalid plan.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from pathlib import Path

from .. import paths
from ..errors import KehoachError, PlanInvalid, Problem
from ..office.vnformat import to_roman
from .amendments import _Drafts, _apply, _check_amendment_documents, _drafts, _load_amendments
from .assignments import report_date
from .model import Document, Group, Meta, Plan, Registry, ReportSigner, Task
from .registry import _LAYER_MODELS, _build_registry, _registry_digest, _registry_sources
from .resolve import Resolver
from .schedule import parse_timeframe, unknown_warning
from .yamlfast import _Source
from . import schema


def load_plan(folder: str | Path, as_of: dt.date | None = None, *, report_year: int | None = None,
              registry: str | Path | None = None) -> Plan:
    """Load and validate a plan folder; raise PlanInvalid listing every problem.

    The plan in force on `as_of` is the base plan plus the amendments dated on or before it (all of them when
    `as_of` is None); `report_year` stands for that year's reporting deadline. Every amendment is validated
    whatever the date. `registry` (the --registry option: a file, or a folder holding `<name>.yaml`) stands for
    the province's registry plan.yaml names (see `registries`).
    """
    folder = Path(folder)
    problems: list[Problem] = []
    if not folder.is_dir():
        raise PlanInvalid([Problem(str(folder), 0, "không tìm thấy thư mục kế hoạch")])
    plan_src, tasks_src = _Source(folder / "plan.yaml", problems), _Source(folder / "tasks.yaml", problems)
    layers = _registry_sources(folder, plan_src, registry, problems)
    raw_plan = plan_src.validate(schema.RawPlanFile)
    raw_layers = [src.validate(model) if src else None for src, model in zip(layers, _LAYER_MODELS)]
    raw_tasks = tasks_src.validate(schema.RawTasksFile)
    amendments = _load_amendments(folder, problems)
    if problems or not (raw_plan and raw_tasks and all(raw_layers[:2])):
        raise PlanInvalid(problems)

    registry = _build_registry(layers, raw_layers)
    meta = _build_meta(raw_plan, plan_src, registry)
    _check_amendment_documents(amendments, meta.date)
    if report_year is not None:
        as_of = dt.date(report_year, meta.deadline_month, meta.deadline_day)
    applied = [a for a in amendments if as_of is None or a.doc.document.date <= as_of]
    resolver = Resolver(registry)
    registry_named = " hay ".join(f'"{src.name}"' for src in layers[1:] if src)  # where a missing name goes
    drafts = _drafts(raw_tasks, tasks_src)
    if len(applied) == len(amendments):
        # No second pass: let the raw models go before the plan is built (national-scale plans); the drafts keep
        # only the task models they read their fields from.
        raw_tasks = None
    for amendment in amendments:  # validate every amendment, in force or not
        _apply(drafts, amendment)
    groups = _build_groups(drafts, resolver, registry_named)
    del drafts
    if problems:
        raise PlanInvalid(problems)
    if raw_tasks is not None:  # the state in force on `as_of` leaves out some amendments
        drafts = _drafts(raw_tasks, tasks_src)
        for amendment in applied:
            _apply(drafts, amendment)
        groups = _build_groups(drafts, resolver, registry_named)
    digest = hashlib.sha256(plan_src.raw)
    digest.update(_registry_digest(registry))
    for src in (tasks_src, *applied):
        digest.update(src.raw)
    documents = tuple(
        Document(d.kind, d.number, d.date, d.issuer, d.title) for d in (a.doc.document for a in applied)
    )
    warnings = tuple(sorted({w for src in (*layers, tasks_src, *amendments) if src for w in src.warnings}))
    return Plan(meta, groups, registry, digest.hexdigest()[:12], str(folder), documents, as_of,
                registry_files=tuple(src.name for src in layers if src), warnings=warnings)


def _build_meta(raw: schema.RawPlanFile, src: _Source, registry: Registry) -> Meta:
    if raw.reporting.receiver not in registry.agencies:
        src.error(src.line("reporting", "receiver"), f'đơn vị nhận báo cáo "{raw.reporting.receiver}" không có trong danh mục đơn vị')
    day, month = (int(x) for x in raw.reporting.deadline.split("/"))
    if not (1 <= month <= 12 and 1 <= day <= 31):
        src.error(src.line("reporting", "deadline"), f'hạn báo cáo "{raw.reporting.deadline}" không phải ngày/tháng hợp lệ')
    signers = _report_signers(raw, src, registry)
    return Meta(
        id=raw.id, number=raw.number, date=raw.date, issuer=raw.issuer, issuer_full=raw.issuer_full,
        place=raw.place, parent_header=raw.parent_header, title=raw.title, subject=raw.subject,
        implements=tuple(Document(d.kind, d.number, d.date, d.issuer) for d in raw.implements),
        signer_authority=raw.signer.authority, signer_title=raw.signer.title, signer_name=raw.signer.name,
        receiver=raw.reporting.receiver, deadline_day=day, deadline_month=month,
        appendix_heading=raw.appendix.heading, appendix_title=raw.appendix.title,
        appendix_attached=raw.appendix.attached, report_signers=signers,
    )


SIGNING_AUTHORITIES = ("KT.", "TL.", "TUQ.", "TM.", "Q.")  # ký thay, thừa lệnh, thừa ủy quyền, thay mặt, quyền


def _report_signers(raw: schema.RawPlanFile, src: _Source, registry: Registry) -> tuple[ReportSigner, ...]:
    """`reporting.signers`: who signs the consolidated report of each receiving body (optional)."""
    out: list[ReportSigner] = []
    for i, s in enumerate(raw.reporting.signers):
        where = ("reporting", "signers", i)
        if s.agency not in registry.agencies:
            src.error(src.line(*where, "agency"), f'người ký báo cáo tổng hợp: đơn vị "{s.agency}" không có trong '
                                                  "danh mục đơn vị")
        elif any(o.agency == s.agency for o in out):
            src.error(src.line(*where, "agency"), f'người ký báo cáo tổng hợp của "{s.agency}" được khai báo hai lần')
        authority = " ".join(s.authority.split())
        if authority and not (authority.upper().startswith(SIGNING_AUTHORITIES) and len(authority.split()) > 1):
            src.error(src.line(*where, "authority"),
                      f'thẩm quyền ký "{s.authority}" phải là KT., TL., TUQ., TM. hoặc Q. và chức danh (ví dụ '
                      '"KT. GIÁM ĐỐC"); bỏ trống khi người đứng đầu cơ quan ký')
        out.append(ReportSigner(s.agency, authority.upper(), " ".join(s.title.split()).upper(),
                                " ".join(s.name.split())))
    return tuple(out)


def _build_groups(drafts: _Drafts, resolver: Resolver, registry_named: str) -> tuple[Group, ...]:
    """The groups and tasks of the drafts, names resolved; a name the registry lacks is a problem at its cell, saying
    which registry files (`registry_named`: the province's, the plan's own) it could be added to."""
    groups: list[Group] = []
    for gi, g in enumerate(drafts.groups):
        numeral = to_roman(gi + 1)
        tasks: list[Task] = []
        for ti, t in enumerate(g.tasks):
            code = f"{numeral}.{ti + 1}"
            try:
                schedule = parse_timeframe(t.value("timeframe"))
            except ValueError as e:
                t.field("timeframe").error(str(e))
                continue
            if schedule.kind == "unknown":
                t.field("timeframe").warn(unknown_warning(code, schedule.text))
            refs, unknown = {}, False
            for name in ("lead", "partners"):
                res = resolver.resolve(t.value(name))
                for text in res.unknown:
                    t.field(name).error(
                        f'không tìm thấy đơn vị "{text}" (nhiệm vụ {code}) trong danh mục đơn vị {registry_named}; '
                        "hãy sửa tên hoặc thêm tên này vào aliases của đơn vị"
                    )
                unknown = unknown or bool(res.unknown)
                refs[name] = res.refs
            if not refs["lead"] and not unknown:
                t.field("lead").error(f"nhiệm vụ {code} chưa có đơn vị chủ trì")
            tasks.append(Task(t.id, g.id, numeral, ti + 1, t.value("task"), t.value("lead"), t.value("partners"),
                              t.value("deliverable"), schedule, refs["lead"], refs["partners"]))
        groups.append(Group(g.id, numeral, g.title.value, tuple(tasks)))
    return tuple(groups)


def check_year(plan: Plan, year: int) -> None:
    if not plan.meta.date.year <= year <= 2100:
        raise KehoachError(
            f"năm {year} không hợp lệ: Kế hoạch {plan.meta.number} ban hành năm {plan.meta.date.year}, "
            "hãy chọn năm báo cáo từ năm đó trở đi"
        )


def plan_folder(plan_dir: Path | None) -> Path:
    """The plan folder to use; a missing one is one sentence (not a list of problems)."""
    if plan_dir is None:
        return paths.default_plan_dir()
    if not plan_dir.is_dir():
        raise KehoachError(f'không tìm thấy thư mục kế hoạch "{plan_dir}"; hãy kiểm tra đường dẫn --plan (thư mục chứa '
                           "plan.yaml và tasks.yaml)")
    return plan_dir


def load_folder(plan_dir: Path | None, as_of: dt.date | None = None, registry: Path | None = None) -> Plan:
    return load_plan(plan_folder(plan_dir), as_of, registry=registry)


def plan_history(plan_dir: Path | None, registry: Path | None = None) -> tuple[Plan, YearPlans]:
    """The plan as a whole, and the plan in force for a year's report (amendments up to that year's deadline: the
    plan its forms were generated from, as `kehoach pack` does)."""
    base = load_folder(plan_dir, registry=registry)
    return base, YearPlans(plan_dir, base, registry)


class YearPlans:
    """`(year)`: the plan in force for a year's report; `states(year)`: every state of the plan a form of that year
    can have been generated from (before each amendment in force by then, oldest first), loaded only when asked.
    Safe to share between threads (the web app keeps one per plan): each state is loaded once."""

    def __init__(self, plan_dir: Path | None, base: Plan, registry: Path | None = None):
        self.plan_dir, self.base, self.registry = plan_dir, base, registry
        self.cache: dict[int, Plan] = {}
        self.by_date: dict[dt.date, Plan] = {}
        self.lock = threading.RLock()

    def __call__(self, year: int) -> Plan:
        with self.lock:
            return self._of_year(year)

    def _of_year(self, year: int) -> Plan:
        if year not in self.cache:
            when = report_date(self.base, year)
            if all(d.date <= when for d in self.base.amendments):
                self.cache[year] = self.base  # every amendment was in force by then: the same plan, no second load
            else:
                self.cache[year] = load_folder(self.plan_dir, when, self.registry)
        return self.cache[year]

    def states(self, year: int) -> list[Plan]:
        with self.lock:
            return self._states(year)

    def _states(self, year: int) -> list[Plan]:
        dates = sorted({d.date for d in self.base.amendments if d.date <= report_date(self.base, year)})
        # the plan before its first amendment, then after each amendment date but the last: that one is `(year)`
        befores = [dates[0] - dt.timedelta(days=1), *dates[:-1]] if dates else []
        for when in befores:
            if when not in self.by_date:
                self.by_date[when] = load_folder(self.plan_dir, when, self.registry)
        return [*(self.by_date[when] for when in befores), self._of_year(year)]


def plan_of_year(plan_dir: Path | None, year: int, registry: Path | None = None) -> Plan:
    base, for_year = plan_history(plan_dir, registry)
    check_year(base, year)
    return for_year(year)
