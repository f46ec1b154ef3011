"""The round a URL names, `/ke-hoach/{plan}/{year}/...`: the plan the app serves with that id and a report year of
it; anything else is NotFound (the 404 page). URL parts are only ever compared with the plan's own id and parsed as
a year, never used as a path."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from ..errors import KehoachError, NotFound
from ..plan.loader import check_year, load_folder
from ..plan.model import Plan
from .settings import WebSettings


@dataclass(frozen=True)
class Round:
    settings: WebSettings
    plan: Plan  # the plan as a whole (every amendment), as `kehoach ingest` loads it
    year: int

    @property
    def base(self) -> str:
        """The round's path: /ke-hoach/<plan>/<year>."""
        return round_path(self.plan.id, self.year)


def round_path(plan_id: str, year: int) -> str:
    return f"/ke-hoach/{plan_id}/{year}"


def round_of(request: Request) -> Round:
    """The round of the request's path parameters `plan` and `year` (blocking: call it in the thread pool)."""
    settings: WebSettings = request.app.state.settings
    plan = load_folder(settings.plan_dir, registry=settings.registry)
    plan_id, year = request.path_params["plan"], request.path_params["year"]
    if plan_id != plan.id:
        raise NotFound(f'không có kế hoạch "{plan_id}" trong ứng dụng này; kế hoạch đang dùng: Kế hoạch số '
                       f"{plan.meta.number} ({plan.id})")
    try:
        check_year(plan, year)
    except KehoachError as e:
        raise NotFound(str(e)) from None
    return Round(settings, plan, year)
