"""The reminders page, `/ke-hoach/{plan}/{year}/don-doc`: the agencies `kehoach reminders` would remind (not sent,
or to correct, with the office's note), the state of each one's upload link, the list to paste into an email, and
the letter `.../don-doc/cong-van.docx` (the same bytes as `kehoach reminders --out`, built in a private temporary
folder; logged as generate-reminder).

A link is stored only as a hash, so it can be shown only when it is issued (`returns.links`): the page offers to
issue one for each agency to remind that has none (POST on the page), and shows those new links once, in the list.
A link already issued is re-issued from the agency's page. `?ngay=` (the letter's date, default today) and `?han=`
(the date asked, `--by`) are `kehoach reminders --date` and `--by`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ..errors import KehoachError, NotFound
from ..office.vnformat import not_a_date, parse_date
from ..plan.loader import plan_of_year
from ..returns.reminders import Reminders, default_letter_path, due_reminders, nobody_to_remind, reminder_lines
from ..returns.roundlog import log_event
from ..returns.store import Store
from ..returns.status import local_time
from .auth import open_store, require_user
from .downloads import DOCX, Built, discard, private_folder, sent
from .pages import render
from .rounds import Round, round_of

DATE_FIELDS = {"ngay": "Ngày công văn", "han": "Hạn gửi báo cáo"}  # query field -> its label on the page


def _dates(values) -> tuple[dt.date, dt.date | None, dict[str, str]]:
    """The letter's date (default today) and the date asked (None: the default), from the page's fields."""
    typed = {name: str(values.get(name, "") or "").strip() for name in DATE_FIELDS}
    days = {}
    for name, label in DATE_FIELDS.items():
        if typed[name]:
            day = parse_date(typed[name])
            if day is None:
                raise KehoachError(not_a_date(label, typed[name]))
            days[name] = day
    return days.get("ngay", dt.date.today()), days.get("han"), typed


def _query(typed: dict[str, str]) -> str:
    from urllib.parse import urlencode

    kept = {k: v for k, v in typed.items() if v}
    return f"?{urlencode(kept)}" if kept else ""


def _address(request: Request, path: str) -> str:
    """A link as it goes into an email: the full address, from --base-url, else the address this page was reached
    by."""
    settings = request.app.state.settings
    return settings.link(path) if settings.base_url else f"{str(request.base_url).rstrip('/')}{path}"


def _who(r: Round, when: dt.date, by: dt.date | None) -> Reminders:
    s = r.settings
    p = plan_of_year(s.plan_dir, r.year, s.registry)
    with Store(s.db) as store:
        subs = store.submissions(p.id, r.year)
    return due_reminders(p, r.year, subs, when, by)


def _page(request: Request, values, user: str | None = None) -> dict:
    """What the page shows; with `user` (the POST), links are first issued for the agencies without one."""
    from ..returns.links import issue, link_path, live_links

    r = round_of(request)
    when, by, typed = _dates(values)
    who = _who(r, when, by)
    fresh: dict[str, str] = {}
    with open_store(request) as store:
        live = live_links(store, r.plan.id, r.year)
        if user is not None:
            for item in who.items:
                if item.agency not in live and item.agency not in fresh:
                    fresh[item.agency] = _address(request, link_path(issue(store, r.plan.id, r.year, item.agency,
                                                                           by=user)))
            live = live_links(store, r.plan.id, r.year)
    rows = []
    for item in who.items:
        link = live.get(item.agency)
        rows.append({"agency": item.agency, "name": item.name, "reason": item.reason_text, "note": item.note,
                     "version": item.version, "link": fresh.get(item.agency),
                     "issued_at": f"{local_time(link.created_at):%H:%M ngày %d/%m/%Y}" if link else None,
                     "agency_href": f"{r.base}/don-vi/{item.agency}"})
    return {"round": r, "reminders": who, "rows": rows, "lines": reminder_lines(who.items, fresh),
            "without_link": sum(1 for row in rows if row["issued_at"] is None), "typed": typed,
            "query": _query(typed), "nobody": nobody_to_remind(r.year) if not who.items else None,
            "letter_href": f"{r.base}/don-doc/cong-van.docx{_query(typed)}", "issued": len(fresh)}


def _json(context: dict) -> JSONResponse:
    who: Reminders = context["reminders"]
    return JSONResponse({"plan": who.plan.id, "year": who.year, "date": who.date.isoformat(), "by": who.by.isoformat(),
                         "sender": who.sender.name, "agencies": context["rows"], "lines": context["lines"]})


async def reminders_page(request: Request):
    user = require_user(request)
    if request.method == "GET":
        context = await run_in_threadpool(_page, request, request.query_params)
        return _json(context) if request.query_params.get("format") == "json" else \
            render(request, "reminders.html", context)
    form = await request.form()
    try:
        context = await run_in_threadpool(_page, request, form, user)
    finally:
        await form.close()
    return render(request, "reminders.html", context)


def _letter(request: Request, user: str) -> tuple[Path, Path, str]:
    from ..returns.reminders import write_reminders

    r = round_of(request)
    when, by, _ = _dates(request.query_params)
    s = r.settings
    p = plan_of_year(s.plan_dir, r.year, s.registry)
    folder = private_folder()
    try:
        who, written, _ = write_reminders(p, r.year, s.db, when, folder / "cong-van.docx", by)
        if written is None:
            raise NotFound(nobody_to_remind(r.year))
        name = default_letter_path(p, r.year, when).name
        with Store(s.db) as store:
            log_event(store, "generate-reminder", user, plan=p.id, year=r.year,
                      detail=f"{name}: {len(who.addressees)} đơn vị")
    except BaseException:
        discard(folder)
        raise
    return written, folder, name


async def letter(request: Request):
    user = require_user(request)
    path, folder, name = await run_in_threadpool(_letter, request, user)
    return sent(Built(path, DOCX, name), folder)


_PAGE = "/ke-hoach/{plan}/{year}/don-doc"
ROUTES = [
    Route(_PAGE, reminders_page, methods=["GET", "POST"], name="reminders"),
    Route(f"{_PAGE}/cong-van.docx", letter, name="reminder-letter"),
]
