"""The documents of a round, `/ke-hoach/{plan}/{year}/tai-lieu`: the year's pack (all forms as one .zip, or one
agency's form), the appendix and the summary (.docx, .xlsx), built on request by the same use cases as `kehoach
pack`, `appendix` and `summary` (the same bytes), into a private temporary folder that is removed once the file is
sent. Nothing is written under output/ and no part of a request becomes a path. Each document built is a line of
the round's log (`events`: generate-pack, generate-appendix, generate-summary).

This module also gathers the routes of the office's upload page (`upload`) and reminders page (`reminders_page`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .. import paths
from ..plan.assignments import assignments, report_date
from ..plan.loader import check_year, load_folder, load_plan, plan_folder, plan_of_year
from ..returns.roundlog import log_event
from ..returns.store import Store
from . import reminders_page, upload
from .auth import require_user
from .downloads import DOCX, XLSX, ZIP, Built, discard, private_folder, sent
from .pages import render
from .rounds import Round, round_of, to_current

FORM_TEMPLATE = "bao-cao-don-vi.docx"  # `kehoach pack` without --template


def _template():
    from ..forms.render import FormTemplate

    return FormTemplate(paths.templates_dir() / FORM_TEMPLATE)


def _year_plan(r: Round):
    """The plan in force at the year's reporting deadline, as `kehoach pack` loads it."""
    s = r.settings
    p = load_plan(plan_folder(s.plan_dir), report_year=r.year, registry=s.registry)
    check_year(p, r.year)
    return p


def build_pack_zip(r: Round, folder: Path) -> Built:
    """`kehoach pack` into `folder`/bo-bieu-mau, then every file of it (the forms, phu-luc.xlsx, manifest.json) in
    one zip, in name order."""
    from ..fsutil import visible_entries
    from ..forms.pack import write_pack
    from ..office.ziputil import write_zip_to

    p = _year_plan(r)
    tpl = _template()
    tpl.check(p, r.year)
    pack = folder / "bo-bieu-mau"
    write_pack(p, r.year, tpl, pack, jobs=1)  # no process pool forked from the server's threads
    target = folder / "bo-bieu-mau.zip"
    names = sorted(visible_entries(pack))
    write_zip_to(target, ((name, (pack / name).read_bytes()) for name in names))
    return Built(target, ZIP, f"bo-bieu-mau-{r.plan.id}-{r.year}.zip")


def build_one_form(r: Round, folder: Path, agency: str) -> Built:
    """One agency's form, the same bytes as its file in the pack (`forms.pack.build_form`)."""
    from ..fsutil import atomic_write_bytes
    from ..forms.pack import build_form

    p = _year_plan(r)
    tpl = _template()
    data = build_form(p, r.year, tpl, agency)  # NotFound first: an unknown agency costs no template check
    tpl.check(p, r.year)
    target = folder / "bieu-mau.docx"
    atomic_write_bytes(target, data)
    return Built(target, DOCX, f"{agency}.docx")


def build_appendix_file(r: Round, folder: Path) -> Built:
    """`kehoach appendix --as-of <the year's reporting deadline>`: the appendix in force for that year's report."""
    from ..fsutil import atomic_write_bytes
    from ..forms.appendix import build_appendix

    s = r.settings
    p = load_folder(s.plan_dir, report_date(r.plan, r.year), s.registry)
    target = folder / "phu-luc.xlsx"
    atomic_write_bytes(target, build_appendix(p))
    return Built(target, XLSX, f"phu-luc-{r.plan.id}-{r.year}.xlsx")


def build_summary_file(r: Round, folder: Path, which: str) -> Built:
    """`kehoach summary --year <year>` into `folder`/tong-hop; `which`: "docx" or "xlsx"."""
    from ..returns.summary import SUMMARY_DOCX, SUMMARY_XLSX, write_year_summary

    s = r.settings
    p = plan_of_year(s.plan_dir, r.year, s.registry)
    target = folder / "tong-hop"
    write_year_summary(p, r.year, s.db, target)
    name = SUMMARY_DOCX if which == "docx" else SUMMARY_XLSX
    return Built(target / name, DOCX if which == "docx" else XLSX,
                 f"{Path(name).stem}-{r.plan.id}-{r.year}.{which}")


def _build_and_log(request: Request, user: str, action: str, detail: str, agency: str | None,
                   build: Callable[[Round, Path], Built]) -> tuple[Built, Path]:
    r = round_of(request)
    folder = private_folder()
    try:
        built = build(r, folder)
        with Store(r.settings.db) as store:
            log_event(store, action, user, plan=r.plan.id, year=r.year, agency=agency, detail=detail)
    except BaseException:
        discard(folder)
        raise
    return built, folder


def _download(action: str, detail: str, build: Callable[[Round, Path], Built]):
    async def endpoint(request: Request):
        user = require_user(request)
        built, folder = await run_in_threadpool(_build_and_log, request, user, action, detail, None, build)
        return sent(built, folder)

    return endpoint


async def one_form(request: Request):
    user = require_user(request)
    agency = request.path_params["agency"]
    built, folder = await run_in_threadpool(
        _build_and_log, request, user, "generate-pack", f"bieu-mau/{agency}.docx", agency,
        lambda r, f: build_one_form(r, f, agency))
    return sent(built, folder)


def _documents(request: Request) -> dict:
    r = round_of(request)
    s = r.settings
    p = plan_of_year(s.plan_dir, r.year, s.registry)
    forms = [{"agency": at.agency.id, "name": at.agency.name, "href": f"{r.base}/tai-lieu/bieu-mau/{at.agency.id}.docx"}
             for at in assignments(p, r.year)]
    base = f"{r.base}/tai-lieu"
    files = [
        {"href": f"{base}/bo-bieu-mau.zip", "label": f"Bộ biểu mẫu năm {r.year} (mọi biểu mẫu, phụ lục, manifest.json; "
                                                      ".zip)", "command": f"kehoach pack --year {r.year}"},
        {"href": f"{base}/phu-luc.xlsx", "label": "Phụ lục của kế hoạch (.xlsx)",
         "command": f"kehoach appendix --as-of {report_date(r.plan, r.year):%d/%m/%Y}"},
        {"href": f"{base}/tong-hop.docx", "label": f"Báo cáo tổng hợp năm {r.year} (.docx)",
         "command": f"kehoach summary --year {r.year}"},
        {"href": f"{base}/tong-hop.xlsx", "label": f"Bảng tổng hợp năm {r.year} (.xlsx)",
         "command": f"kehoach summary --year {r.year}"},
    ]
    return {"round": r, "files": files, "forms": forms}


async def documents_page(request: Request):
    require_user(request)
    context = await run_in_threadpool(_documents, request)
    if request.query_params.get("format") == "json":
        return JSONResponse({"plan": context["round"].plan.id, "year": context["round"].year,
                             "files": context["files"], "forms": context["forms"]})
    return render(request, "documents.html", context)


_DOCS = "/ke-hoach/{plan}/{year}/tai-lieu"
ROUTES = [
    Route("/tai-len", to_current("tai-len"), name="upload-now"),  # the navigation's "Tải lên" and "Tài liệu"
    Route("/tai-lieu", to_current("tai-lieu"), name="documents-now"),
    *upload.ROUTES,
    Route(_DOCS, documents_page, name="documents"),
    Route(f"{_DOCS}/bo-bieu-mau.zip", _download("generate-pack", "bo-bieu-mau.zip", build_pack_zip),
          name="pack-zip"),
    Route(_DOCS + "/bieu-mau/{agency}.docx", one_form, name="one-form"),
    Route(f"{_DOCS}/phu-luc.xlsx", _download("generate-appendix", "phu-luc.xlsx", build_appendix_file),
          name="appendix"),
    Route(f"{_DOCS}/tong-hop.docx", _download("generate-summary", "tong-hop.docx",
                                              lambda r, f: build_summary_file(r, f, "docx")), name="summary-docx"),
    Route(f"{_DOCS}/tong-hop.xlsx", _download("generate-summary", "tong-hop.xlsx",
                                              lambda r, f: build_summary_file(r, f, "xlsx")), name="summary-xlsx"),
    *reminders_page.ROUTES,
]
