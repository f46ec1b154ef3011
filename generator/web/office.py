"""The office's pages (login required: every route here is behind `auth.OfficeGate`)."""

from __future__ import annotations

import datetime as dt

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.routing import Route

from ..plan.assignments import report_date
from ..plan.loader import load_folder
from ..returns.rounds import round_years
from .auth import open_store
from .pages import render


def _overview(request: Request) -> dict:
    settings = request.app.state.settings
    plan = load_folder(settings.plan_dir, registry=settings.registry)
    today = dt.date.today()
    with open_store(request) as store:
        years = [y for y in round_years(store, plan.id, today) if y >= plan.meta.date.year]
    return {"plans": [{"plan": plan, "rounds": [{"year": y, "deadline": report_date(plan, y)} for y in years]}]}


async def overview(request: Request):
    return render(request, "overview.html", await run_in_threadpool(_overview, request))


ROUTES = [
    Route("/", overview, name="overview"),
]
