"""The plans the web app serves, and the URL's {plan} and {year} of a round's pages: `round_plan` gives the plan in
force for that year's report (as the CLI's `plan_of_year`); an unknown plan or year is a 404. Small helpers every
office page shares (`?format=json`, times as the clerk reads them).

Plans are loaded once and kept in the app (`PlanCache`, `app.state.plans`) until a file the load reads changes:
each request only stamps those files (`plan.sources`), so an amendment added or tasks.yaml edited while the server
runs is seen by the next request, and a plan made invalid gives `kehoach validate`'s sentence, not the old plan."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request

from ..errors import NotFound, PlanInvalid
from ..plan.assignments import distribute
from ..plan.loader import YearPlans, plan_folder, plan_history
from ..plan.model import Plan
from ..plan.sources import Stamp, plan_sources, stamp

LAST_YEAR = 2100  # as plan.loader.check_year
NO_PLAN = "không có kế hoạch {plan} trong các kế hoạch ứng dụng đang phục vụ; hãy quay về trang Tổng quan"
NO_YEAR = "Kế hoạch {number} không có báo cáo năm {year}; hãy chọn một năm ở trang Tổng quan"


PLANS_KEPT = 4  # plan folders (with their registry) kept loaded at most; the least recently used goes first


@dataclass
class _Loaded:
    stamp: Stamp  # of the files the load read, taken before it
    extra: tuple[Path, ...]  # files the load read beyond `plan_sources` (a registry named by a path elsewhere)
    plans: tuple[Plan, YearPlans] | None
    invalid: PlanInvalid | None = None  # the plan as found invalid (kept too: not loaded again until a file changes)


class PlanCache:
    """Loaded plans, by plan folder and registry option, each kept while the stamp of its files is unchanged.
    Thread-safe (requests run in the threadpool): a plan is loaded by one request while the others wait for it."""

    def __init__(self, size: int = PLANS_KEPT):
        self.size = size
        self._lock = threading.RLock()
        self._entries: OrderedDict[tuple[Path, Path | None], _Loaded] = OrderedDict()

    def get(self, plan_dir: Path | None, registry: Path | None = None) -> tuple[Plan, YearPlans]:
        """(the plan as a whole, year -> the plan in force for that year's report), as `loader.plan_history`;
        PlanInvalid (or the missing folder's KehoachError) as it raises them."""
        with self._lock:
            folder = plan_folder(plan_dir)
            key = (folder, registry)
            sources = plan_sources(folder, registry)
            entry = self._entries.get(key)
            if entry is None or entry.stamp != stamp([*sources, *entry.extra]):
                entry = self._load(key, plan_dir, sources)
            self._entries.move_to_end(key)
            if entry.invalid is not None:
                raise PlanInvalid(entry.invalid.problems)  # a fresh exception each time: requests run in threads
            return entry.plans

    def _load(self, key, plan_dir: Path | None, sources: list[Path]) -> _Loaded:
        before = stamp(sources)
        try:
            base, for_year = plan_history(plan_dir, key[1])
        except PlanInvalid as e:
            entry = _Loaded(before, (), None, e)
        else:
            extra = tuple(p for p in map(Path, base.registry_files) if p not in sources)
            entry = _Loaded(before + stamp(extra), extra, (base, for_year))
        self._entries[key] = entry
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return entry

    def year_plan(self, for_year: YearPlans, year: int) -> Plan:
        """The plan in force for `year`'s report (`for_year` of a plan `get` gave), its tasks distributed to the
        agencies (`plan.assignments`, kept per plan object) by one request while the others wait: every later
        `assignments` of it is a lookup."""
        with self._lock:
            plan = for_year(year)
            distribute(plan, year)
        return plan


def served_plans(request: Request) -> list[tuple[Plan, YearPlans]]:
    """(the plan as a whole, year -> the plan in force for that year's report) of each plan the app serves, from the
    app's cache (loaded again when its files changed)."""
    state = request.app.state
    return [state.plans.get(state.settings.plan_dir, state.settings.registry)]


def served_plan(request: Request, plan_id: str):
    for base, for_year in served_plans(request):
        if base.id == plan_id:
            return base, for_year
    raise NotFound(NO_PLAN.format(plan=plan_id))


def round_plan(request: Request) -> tuple[Plan, int]:
    """The plan in force for the URL's {year} of the URL's {plan}, and the year (404 for an unknown one)."""
    base, for_year = served_plan(request, request.path_params["plan"])
    text = request.path_params["year"]
    year = int(text) if text.isascii() and text.isdigit() and len(text) == 4 else None
    if year is None or not base.meta.date.year <= year <= LAST_YEAR:
        raise NotFound(NO_YEAR.format(number=base.meta.number, year=text))
    return request.app.state.plans.year_plan(for_year, year), year


def round_url(plan: Plan, year: int, rest: str = "") -> str:
    return f"/ke-hoach/{plan.id}/{year}{rest}"


def shown_time(at: str | None) -> str:
    """A stored UTC time as the clerk reads it: local, "dd/mm/yyyy HH:MM:SS" (as `kehoach show` prints it)."""
    from ..returns.status import local_time

    return f"{local_time(at):%d/%m/%Y %H:%M:%S}" if at else ""


def wants_json(request: Request) -> bool:
    return request.query_params.get("format") == "json"


def counts_json(c) -> dict:
    return {"expected": c.expected, "sent": c.sent, "on_time": c.on_time, "late": c.late,
            "correction": c.correction, "missing": c.missing, "warned": c.warned}
