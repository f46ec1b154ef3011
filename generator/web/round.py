"""The office's page of one agency's report for a year (login required): every version with its review state, note,
times, warnings and history; the readings of one version; the review form (the same use case as `kehoach review`);
the original file as received; the agency's upload link (issue, re-issue, revoke through `returns.links`)."""

from __future__ import annotations

from pathlib import PureWindowsPath
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from ..errors import KehoachError, NotFound
from ..forms.contract import SECTIONS
from ..plan.assignments import assignments
from ..plan.model import Plan
from ..returns.dbschema import REVIEW_STATES
from ..returns.review import ROLE_LABELS, agency_name, agency_record, describe, review_version, state_label, who
from .auth import open_store, require_user
from .failures import failure
from .plans import round_plan, round_url, shown_time, wants_json
from .pages import render

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
NO_AGENCY = "không có đơn vị {agency} trong báo cáo năm {year} của Kế hoạch {number}; hãy chọn đơn vị ở bảng tình hình nộp"
NO_VERSION = "{name} không có phiên bản {version} của báo cáo năm {year}; hãy chọn phiên bản ở trang của đơn vị"
LINK_ACTIONS = {"cap": "cấp (hoặc cấp lại)", "thu-hoi": "thu hồi"}


def agency_of(request: Request, store, plan: Plan, year: int) -> str:
    """The URL's {agency}: the id of an agency that reports that year or has sent versions for it, else 404."""
    agency = request.path_params["agency"]
    reporting = {at.agency.id for at in assignments(plan, year)}
    if agency not in reporting and not (agency in plan.registry.agencies and store.history(plan.id, year, agency)):
        raise NotFound(NO_AGENCY.format(agency=agency, year=year, number=plan.meta.number))
    return agency


def version_number(request: Request, versions, name: str, year: int, text: str | None = None) -> int:
    """The version asked for (the URL's {version}, or `text`) among `versions`, else 404."""
    text = request.path_params.get("version", "") if text is None else text
    number = int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None
    if number is None or all(s.version != number for s in versions):
        raise NotFound(NO_VERSION.format(name=name, version=text, year=year))
    return number


def _reading(plan: Plan, s) -> dict:
    tasks = plan.task_index
    return {"version": s.version,
            "entries": [{"task_id": e.task_id, "code": e.code, "task": tasks[e.task_id].task if e.task_id in tasks
                         else "", "role": ROLE_LABELS.get(e.role, e.role), "result": e.result, "status": e.status,
                         "status_text": e.status_text, "note": e.note, "empty": e.is_empty} for e in s.entries],
            "sections": [{"name": k, "title": title, "text": s.sections.get(k, "")} for k, title in SECTIONS.items()]}


def agency_data(request: Request, shown_version: str | None = None) -> dict:
    """Everything the agency's page shows (and its JSON gives)."""
    from ..returns.links import live_links

    plan, year = round_plan(request)
    with open_store(request) as store:
        agency = agency_of(request, store, plan, year)
        record = agency_record(store, plan, year, agency)
        link = live_links(store, plan.id, year).get(agency)
    url = f"{round_url(plan, year)}/don-vi/{agency}"
    counted = record.counted
    chosen = counted or (record.versions[-1] if record.versions else None)
    if shown_version:
        number = version_number(request, record.versions, record.name, year, shown_version)
        chosen = next(s for s in record.versions if s.version == number)
    versions = []
    for s in record.versions:
        versions.append({
            "version": s.version, "counted": counted is not None and s.id == counted.id, "state": s.review_state,
            "state_label": state_label(s.review_state), "note": s.review_note, "filename": s.filename,
            "received_at": s.received_at, "received_text": shown_time(s.received_at), "arrived_on": s.arrived_on,
            "warnings": list(s.all_warnings), "file_url": f"{url}/phien-ban/{s.version}/tep",
            "review_url": f"{url}/phien-ban/{s.version}/duyet",
            "history": [{"at": e.at, "at_text": shown_time(e.at), "user": who(e), "what": describe(e)}
                        for e in record.events if e.submission_id == s.id]})
    return {"plan": plan.id, "number": plan.meta.number, "year": year, "agency": agency, "name": record.name,
            "url": url, "round_url": round_url(plan, year), "counted": counted.version if counted else None,
            "versions": versions, "reading": _reading(plan, chosen) if chosen else None,
            "other_years": list(record.other_years),
            "link": {"live": link is not None, "issued_at": link.created_at if link else None,
                     "issued_text": shown_time(link.created_at) if link else ""}}


def _page(request: Request, data: dict, status: int = 200, **extra):
    states = [(s, state_label(s)) for s in REVIEW_STATES]
    return render(request, "agency_office.html", {**data, "states": states, "message": None, "new_link": None,
                                                   **extra}, status)


async def agency_page(request: Request):
    data = await run_in_threadpool(agency_data, request, request.query_params.get("phien-ban") or None)
    if wants_json(request):
        return JSONResponse(data)
    return _page(request, data)


async def _refused_page(request: Request, exc: KehoachError):
    """The agency's page again, with the sentence of what could not be done, at the status of its kind (an unknown
    plan, year or agency: the error page, 404)."""
    sentence, status = failure(exc)
    data = await run_in_threadpool(agency_data, request)
    return _page(request, data, status, message=sentence)


def _review(request: Request, user: str, state: str, note: str) -> None:
    plan, year = round_plan(request)
    with open_store(request) as store:
        agency = agency_of(request, store, plan, year)
        versions = store.history(plan.id, year, agency)
        number = version_number(request, versions, agency_name(plan, year, agency), year)
        review_version(store, plan, year, agency, number, state, note, user)


async def review(request: Request):
    user = require_user(request)
    form = await request.form()
    state, note = str(form.get("state", "")), str(form.get("note", ""))
    try:
        await run_in_threadpool(_review, request, user, state, note)
    except KehoachError as e:
        return await _refused_page(request, e)
    return RedirectResponse(request.url_for("agency", **_agency_params(request)).path, status_code=303)


def _agency_params(request: Request) -> dict:
    return {k: request.path_params[k] for k in ("plan", "year", "agency")}


def ascii_name(year: int, agency: str, version: int) -> str:
    return f"{agency}-{year}-phien-ban-{version}.docx"


def content_disposition(ascii_fallback: str, original: str) -> str:
    """attachment; an ASCII slug name for old clients, and the name as received (RFC 5987, UTF-8) for the rest."""
    name = PureWindowsPath(original).name or ascii_fallback  # (a Windows or POSIX folder never reaches the header)
    return f"attachment; filename=\"{ascii_fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def _original(request: Request) -> tuple[bytes, str]:
    plan, year = round_plan(request)
    with open_store(request) as store:
        agency = agency_of(request, store, plan, year)
        versions = store.history(plan.id, year, agency)
        number = version_number(request, versions, agency_name(plan, year, agency), year)
        chosen = next(s for s in versions if s.version == number)
        data = store.original(chosen.id)
    return data, content_disposition(ascii_name(year, agency, number), chosen.filename)


async def original_file(request: Request):
    data, disposition = await run_in_threadpool(_original, request)
    return Response(data, media_type=DOCX, headers={"Content-Disposition": disposition})


def _link(request: Request, user: str, action: str) -> str | None:
    """Issue (the new token) or revoke (None) the agency's link."""
    from ..returns import links

    plan, year = round_plan(request)
    with open_store(request) as store:
        agency = agency_of(request, store, plan, year)
        if action == "cap":
            links.reporting_agencies(plan, year, (agency,))
            return links.issue(store, plan.id, year, agency, by=user)
        if action == "thu-hoi":
            links.revoke(store, plan.id, year, agency, by=user, name=agency_name(plan, year, agency))
            return None
    raise KehoachError(f'việc "{action}" không có; hãy chọn một trong: ' + ", ".join(
        f"{k} ({v})" for k, v in LINK_ACTIONS.items()))


async def link(request: Request):
    from ..returns.links import link_path

    user = require_user(request)
    form = await request.form()
    try:
        token = await run_in_threadpool(_link, request, user, str(form.get("action", "")))
    except KehoachError as e:
        return await _refused_page(request, e)
    if token is None:
        return RedirectResponse(request.url_for("agency", **_agency_params(request)).path, status_code=303)
    data = await run_in_threadpool(agency_data, request)  # the link is shown this once: it is stored hashed
    return _page(request, data, new_link=request.app.state.settings.link(link_path(token)))


BASE = "/ke-hoach/{plan}/{year}/don-vi/{agency}"
ROUTES = [
    Route(BASE, agency_page, name="agency"),
    Route(BASE + "/phien-ban/{version}/duyet", review, methods=["POST"], name="review"),
    Route(BASE + "/phien-ban/{version}/tep", original_file, name="original"),
    Route(BASE + "/lien-ket", link, methods=["POST"], name="agency-link"),
]
