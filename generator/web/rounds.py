"""The round a URL of the upload, documents and reminders pages names, `/ke-hoach/{plan}/{year}/...`: checked by
`plans.round_plan` (the plans served; an unknown plan or year is NotFound, the 404 page). URL parts are only ever
compared with a plan's own id and parsed as a year, never used as a path. `current_round`, `to_current`: where the
navigation's "Tải lên", "Tài liệu" and "Nhật ký" lead (the round of the year being reported now)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse

from ..plan.model import Plan
from .auth import require_user
from .plans import round_plan, round_url, served_plans
from .settings import WebSettings


@dataclass(frozen=True)
class Round:
    settings: WebSettings
    plan: Plan  # the plan in force for the year's report (`plans.round_plan`)
    year: int

    @property
    def base(self) -> str:
        """The round's path: /ke-hoach/<plan>/<year>."""
        return round_url(self.plan, self.year)


def round_of(request: Request) -> Round:
    """The round of the request's path parameters `plan` and `year` (blocking: call it in the thread pool)."""
    plan, year = round_plan(request)
    return Round(request.app.state.settings, plan, year)


def current_round(request: Request) -> str:
    """The path of the round being reported now (`returns.review.reporting_year`) of the first plan served."""
    from ..returns.review import reporting_year

    base, _ = served_plans(request)[0]
    return round_url(base, max(reporting_year(dt.date.today()), base.meta.date.year))


def to_current(page: str):
    """The endpoint of a navigation entry: a redirect (303) to `page` of the round being reported now."""

    async def endpoint(request: Request):
        require_user(request)
        return RedirectResponse(f"{await run_in_threadpool(current_round, request)}/{page}", status_code=303)

    return endpoint
