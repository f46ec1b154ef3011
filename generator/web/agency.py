"""The agency's page through its link (no account): `GET /nop/{token}` shows its report of the year and a file field,
`POST /nop/{token}` receives its filled form through the same use case as `kehoach ingest` (`returns.upload`), with
the link's plan, year and agency as the only identity accepted.

A token that is wrong, malformed, revoked or for a plan this app does not serve gets one and the same 404 page (a
token cannot be probed); the token is never logged nor written into a page. The page says nothing of other agencies.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Route

from ..office.display import shown
from ..office.vnformat import long_date
from ..plan.assignments import report_date
from ..plan.loader import YearPlans
from ..plan.model import Plan
from ..returns.links import Link, resolve
from ..returns.package import MAX_FILE_BYTES
from ..returns.review import agency_record, state_label
from ..returns.status import local_time
from ..returns.upload import receive_upload
from .auth import open_store
from .pages import render
from .plans import served_plans

FILE_FIELD = "tep"
UNKNOWN_LINK = ("đường dẫn nộp báo cáo này không dùng được (sai, đã bị thu hồi hoặc đã được cấp lại); hãy liên hệ "
                "văn phòng theo dõi báo cáo để được gửi đường dẫn mới")
NO_FILE = "chưa chọn tệp; hãy chọn tệp biểu mẫu .docx đã điền rồi bấm Gửi báo cáo"
ADDED, DUPLICATE = "da-nhan", "da-co"  # ?da-nhan=N after a new version, ?da-co=N after a file already received


def link_user(agency: str) -> str:
    """Who an upload through an agency's link is recorded as, in the history."""
    return f"lien-ket:{agency}"


@dataclass(frozen=True)
class Round:
    """What a live link is for, with the plan it reports on (as the app keeps it loaded: `plans.PlanCache`)."""

    link: Link
    plan: Plan  # the plan as a whole
    for_year: YearPlans
    year_plan: Plan  # the plan in force for the link's year


def _round(request: Request, token: str) -> Round | None:
    with open_store(request) as store:
        link = resolve(store, token)
    if link is None:
        return None
    for plan, for_year in served_plans(request):
        if plan.id == link.plan:
            return Round(link, plan, for_year, request.app.state.plans.year_plan(for_year, link.year))
    return None  # a link of a plan this app does not serve: the same answer as a wrong token


def _page(request: Request, r: Round, *, notice: dict | None = None, error: str | None = None) -> dict:
    """What the page shows: the agency's name (as on the reporting date), year, deadline, the counted version."""
    link, plan = r.link, r.year_plan
    with open_store(request) as store:
        record = agency_record(store, plan, link.year, link.agency)
    counted = record.counted
    return {
        "user": None,  # an office user's session is not this page's concern: no office navigation here
        "name": record.name,
        "year": link.year,
        "plan_number": plan.meta.number,
        "deadline": long_date(report_date(plan, link.year)),
        "counted": None if counted is None else {
            "version": counted.version,
            "state": state_label(counted.review_state),
            "needs_correction": counted.review_state == "can-bo-sung",
            "note": counted.review_note,
            "received": f"{local_time(counted.received_at):%H:%M ngày %d/%m/%Y}",
            "filename": counted.filename,
        },
        "sent": len(record.versions),
        "notice": notice,
        "error": error,
        "file_field": FILE_FIELD,
        "max_mb": MAX_FILE_BYTES // (1024 * 1024),
    }


def _notice(request: Request, r: Round) -> dict | None:
    """After a redirect: the version just received (?da-nhan=N) or found already received (?da-co=N), if it is one
    of this agency's versions."""
    for key in (ADDED, DUPLICATE):
        value = request.query_params.get(key, "")
        if value.isdigit():
            with open_store(request) as store:
                versions = store.history(r.link.plan, r.link.year, r.link.agency)
            chosen = next((s for s in versions if s.version == int(value)), None)
            if chosen is not None:
                return {"added": key == ADDED, "version": chosen.version, "filename": chosen.filename,
                        "warnings": chosen.all_warnings if key == ADDED else ()}
    return None


def unknown_link(request: Request):
    return render(request, "agency.html", {"user": None, "unknown": UNKNOWN_LINK}, 404)


async def agency_page(request: Request):
    token = request.path_params["token"]
    r = await run_in_threadpool(_round, request, token)
    if r is None:
        return unknown_link(request)
    if request.method == "POST":
        return await _upload(request, r)

    def view() -> dict:
        return _page(request, r, notice=_notice(request, r))

    return render(request, "agency.html", {"unknown": None, **await run_in_threadpool(view)})


async def _upload(request: Request, r: Round):
    form = await request.form(max_files=1, max_fields=10)
    try:
        upload = form.get(FILE_FIELD)
        if not isinstance(upload, UploadFile) or (not upload.filename and not upload.size):
            return render(request, "agency.html", {"unknown": None, **await run_in_threadpool(
                _page, request, r, error=NO_FILE)}, 400)
        data = await upload.read(MAX_FILE_BYTES + 1)  # a larger file is refused by its size, not read whole
        size, filename = upload.size, upload.filename
    finally:
        await form.close()

    def receive():
        link = r.link
        with open_store(request) as store:
            return receive_upload(store, r.plan, r.for_year, data, filename, year=link.year, agency=link.agency,
                                  user=link_user(link.agency), size=size)

    event = await run_in_threadpool(receive)
    if event.kind == "failed":
        error = f"{shown(event.path)}: {event.message}"  # as `kehoach ingest` prints it after "Lỗi: "
        return render(request, "agency.html", {"unknown": None, **await run_in_threadpool(
            _page, request, r, error=error)}, 422)
    key = ADDED if event.kind == "added" else DUPLICATE
    return RedirectResponse(f"{request.url.path}?{key}={event.submission.version}", status_code=303)


ROUTES = [
    # {token:path}: whatever follows /nop/, slashes included, gets the same answer as a wrong token
    Route("/nop/{token:path}", agency_page, methods=["GET", "POST"], name="agency_link"),
]
