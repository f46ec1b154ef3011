"""The office's reading pages (login required: every route here is behind `auth.OfficeGate`): the overview of every
plan and year, the status board of one year's round, the round's history. Each also answers `?format=json` with the
same data. The agency's page, its review and its link are in `round.py` (its routes are part of ROUTES)."""

from __future__ import annotations

import datetime as dt

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ..errors import NotFound
from ..office.vnformat import long_date
from ..plan.assignments import assignments, report_date
from ..returns.board import (GROUPS, ORDERS, board_rows, filter_rows, overview_years, round_counts, round_overview,
                              sort_rows)
from ..returns.review import round_status
from ..returns.rounds import round_years
from . import round as agency_pages
from .auth import open_store
from .pages import render
from .rounds import to_current
from .plans import LAST_YEAR, counts_json, round_plan, round_url, served_plans, shown_time, wants_json

# ------------------------------------------------------------------------------------------------ the overview


def overview_data(request: Request, today: dt.date) -> dict:
    plans = []
    with open_store(request) as store:
        for base, for_year in served_plans(request):
            stored = [y for y in round_years(store, base.id, today) if y <= LAST_YEAR]
            years = overview_years(base.meta.date.year, min(today.year, LAST_YEAR), stored,
                                   lambda y: bool(assignments(for_year(y), y)))
            rounds = []
            for year in years:
                plan = for_year(year)
                r = round_overview(plan, year, store, today)
                rounds.append({"year": year, "deadline": r.deadline.isoformat(), "deadline_text": long_date(r.deadline),
                               "counts": counts_json(r.counts), "url": round_url(plan, year)})
            plans.append({"plan": base.id, "number": base.meta.number, "title": base.meta.title, "rounds": rounds})
    return {"today": today.isoformat(), "plans": plans}


async def overview(request: Request):
    data = await run_in_threadpool(overview_data, request, dt.date.today())
    if wants_json(request):
        return JSONResponse(data)
    return render(request, "overview.html", data)


# ------------------------------------------------------------------------------------------------ the round's board


PAGE_ROWS = 200  # rows of the status board's page (`?trang=`); its JSON has every row
NO_PAGE = "bảng tình hình nộp không có trang {page}; hãy chọn trang từ 1 đến {pages}"


def board_page(request: Request, total: int) -> tuple[int, int]:
    """(the URL's page `?trang=` (1 when not given), the number of pages) of a board of `total` rows; a page that
    is not one of them is a 404."""
    pages = max(1, -(-total // PAGE_ROWS))
    text = request.query_params.get("trang") or "1"
    page = int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else 0
    if not 1 <= page <= pages:
        raise NotFound(NO_PAGE.format(page=text, pages=pages))
    return page, pages


def board_data(request: Request, today: dt.date, *, paged: bool = False) -> dict:
    """The round's board: every row (the JSON), or the rows of the URL's page only (`paged`, the HTML page); the
    counts, the filter and the order are over the whole round."""
    plan, year = round_plan(request)
    group = request.query_params.get("trang-thai") or ""
    order = request.query_params.get("sap-xep") or ""
    with open_store(request) as store:
        statuses = round_status(plan, year, store.submissions(plan.id, year), today)
    rows = sort_rows(filter_rows(board_rows(statuses), group), order)
    total, page, pages = len(rows), 1, 1
    if paged:
        page, pages = board_page(request, total)
        rows = rows[(page - 1) * PAGE_ROWS: page * PAGE_ROWS]
    due = report_date(plan, year)
    when = "đã quá hạn" if today > due else f"còn {(due - today).days} ngày" if today < due else "hôm nay là hạn cuối"
    data = {"plan": plan.id, "number": plan.meta.number, "title": plan.meta.title, "year": year,
            "deadline": due.isoformat(), "deadline_text": long_date(due), "deadline_when": when,
            "counts": counts_json(round_counts(statuses)), "filter": group, "order": order,
            "rows": [{**r.as_json(), "arrived_text": f"{r.arrived:%d/%m/%Y}" if r.arrived else ""} for r in rows],
            "url": round_url(plan, year)}
    if paged:
        data.update(page=page, pages=pages, total=total, first=(page - 1) * PAGE_ROWS + 1)
    return data


async def board(request: Request):
    json = wants_json(request)
    data = await run_in_threadpool(board_data, request, dt.date.today(), paged=not json)
    if json:
        return JSONResponse(data)
    return render(request, "round.html", {**data, "groups": GROUPS, "orders": ORDERS})


# ------------------------------------------------------------------------------------------------ the history


def history_data(request: Request) -> dict:
    from ..returns.roundhistory import round_history

    plan, year = round_plan(request)
    with open_store(request) as store:
        lines = round_history(store, plan.id, year)
    names = {a.id: a.name for a in plan.registry.agencies.values()}
    return {"plan": plan.id, "number": plan.meta.number, "year": year, "url": round_url(plan, year),
            "lines": [{**line.as_json(), "at_text": shown_time(line.at),
                       "agency_name": names.get(line.agency or "", line.agency)} for line in lines]}


async def history(request: Request):
    data = await run_in_threadpool(history_data, request)
    if wants_json(request):
        return JSONResponse(data)
    return render(request, "history.html", data)


ROUTES = [
    Route("/", overview, name="overview"),
    Route("/ke-hoach/{plan}/{year}", board, name="round"),
    Route("/ke-hoach/{plan}/{year}/nhat-ky", history, name="round-history"),
    Route("/nhat-ky", to_current("nhat-ky"), name="history-now"),  # the navigation's "Nhật ký"
    *agency_pages.ROUTES,
]
