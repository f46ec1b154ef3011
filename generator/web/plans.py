"""The plans the web app serves, and the URL's {plan} and {year} of a round's pages: `round_plan` gives the plan in
force for that year's report (as the CLI's `plan_of_year`); an unknown plan or year is a 404. Small helpers every
office page shares (`?format=json`, times as the clerk reads them)."""

from __future__ import annotations

from starlette.requests import Request

from ..errors import NotFound
from ..plan.loader import plan_history
from ..plan.model import Plan

LAST_YEAR = 2100  # as plan.loader.check_year
NO_PLAN = "không có kế hoạch {plan} trong các kế hoạch ứng dụng đang phục vụ; hãy quay về trang Tổng quan"
NO_YEAR = "Kế hoạch {number} không có báo cáo năm {year}; hãy chọn một năm ở trang Tổng quan"


def served_plans(request: Request) -> list[tuple[Plan, object]]:
    """(the plan as a whole, year -> the plan in force for that year's report) of each plan the app serves."""
    settings = request.app.state.settings
    return [plan_history(settings.plan_dir, settings.registry)]


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
    return for_year(year), year


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
