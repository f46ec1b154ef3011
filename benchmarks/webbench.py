"""The web app's figures for `make bench` (benchmarks/run.py): on the database of a 2,000-agency round,

  1. the status board of the round (GET /ke-hoach/<plan>/<year>, logged in) served, median of BOARD_RUNS requests;
  2. one agency's form sent through its link (POST /nop/<token>, the page's own form) and then visible on the status
     board (the agency's row no longer "chưa nộp"), median over UPLOADS agencies, one upload each.

Times are server side: the requests go through the whole app (every middleware, the session, CSRF, the database)
in this process with Starlette's TestClient, so no network or client time is counted. Budgets (issue 16): 100 ms and
300 ms."""

from __future__ import annotations

import os
import re
import statistics
import time
from html import unescape
from pathlib import Path

BOARD_RUNS = int(os.environ.get("BENCH_BOARD_RUNS", "21"))
UPLOADS = int(os.environ.get("BENCH_WEB_UPLOADS", "9"))
BOARD_BUDGET_MS, UPLOAD_BUDGET_MS = 100, 300
USER, PASSWORD = "Người đo hiệu năng", "mat-khau-do-hieu-nang"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _hidden(html: str) -> dict[str, str]:
    return {unescape(n): unescape(v) for n, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"',
                                                             html)}


def _upload_form(html: str) -> tuple[str | None, str, dict[str, str]]:
    """(action, file field name, hidden fields) of the page's multipart form."""
    form = re.search(r'<form[^>]*enctype="multipart/form-data"[^>]*>(.*?)</form>', html, re.S)
    assert form, "the agency's page has no upload form"
    action = re.search(r'action="([^"]*)"', form.group(0)[: form.group(0).index(">")])
    field = re.search(r'<input[^>]*type="file"[^>]*name="([^"]+)"|<input[^>]*name="([^"]+)"[^>]*type="file"',
                      form.group(1))
    assert field, "the upload form has no file field"
    return (unescape(action.group(1)) if action and action.group(1) else None), (field.group(1) or field.group(2)), \
        _hidden(form.group(1))


def _pending(board_json: dict, agency: str) -> bool:
    """Whether the status board (its JSON: a row per agency, `version` the counted one) shows `agency` as not sent."""
    for row in board_json["rows"]:
        if row["agency"] == agency:
            return row["version"] is None
    raise AssertionError(f"{agency} is not on the status board")


def web_figures(db: Path, plan_dir: Path, year: int, waiting: dict[str, bytes]) -> list[str]:
    """Rows of the figures table; `db` holds the round with every agency but those of `waiting` (agency -> filled
    form) ingested."""
    import importlib.util

    missing = [m for m in ("generator.web.round", "generator.web.agency") if importlib.util.find_spec(m) is None]
    if missing:  # the pages of issue 16 are merged one branch at a time
        return [f"| web app: not measured, {', '.join(missing)} not in this checkout yet | - | - |"]
    from starlette.testclient import TestClient

    from generator.plan.loader import load_folder
    from generator.returns.accounts import add_user, user_exists
    from generator.returns.links import issue
    from generator.returns.store import Store
    from generator.web.app import create_app
    from generator.web.settings import WebSettings

    plan = load_folder(plan_dir)
    with Store(db) as store:
        if not user_exists(store, USER):
            add_user(store, USER, PASSWORD, by="bench")
        tokens = {agency: issue(store, plan.id, year, agency, by="bench") for agency in waiting}
    app = create_app(WebSettings(db=db, plan_dir=plan_dir))
    board = f"/ke-hoach/{plan.id}/{year}"
    lines = []
    with TestClient(app, follow_redirects=False) as office, TestClient(app, follow_redirects=False) as agencies:
        page = office.get("/dang-nhap")
        r = office.post("/dang-nhap", data={"name": USER, "password": PASSWORD, **_hidden(page.text)})
        assert r.status_code == 303, r.text
        assert office.get(board).status_code == 200  # warm: templates compiled, plan caches filled
        agencies_count = len(office.get(f"{board}?format=json").json()["rows"])
        times = []
        for _ in range(BOARD_RUNS):
            start = time.perf_counter()
            r = office.get(board)
            times.append(time.perf_counter() - start)
            assert r.status_code == 200, r.text[:500]
        board_ms = statistics.median(times) * 1000
        lines.append(_row(f"status board, {agencies_count:,} agencies (GET, median of {BOARD_RUNS})", board_ms,
                          BOARD_BUDGET_MS))
        before = office.get(f"{board}?format=json").json()
        assert all(_pending(before, agency) for agency in waiting), "the waiting agencies must start as not sent"
        times = []
        for agency, data in waiting.items():
            link = f"/nop/{tokens[agency]}"
            page = agencies.get(link)
            assert page.status_code == 200, page.text
            action, field, hidden = _upload_form(page.text)
            start = time.perf_counter()
            r = agencies.post(action or link, data=hidden, files={field: (f"{agency}.docx", data, DOCX)})
            assert r.status_code in (200, 303), r.text
            shown = office.get(f"{board}?format=json")
            assert shown.status_code == 200 and not _pending(shown.json(), agency), shown.text[:500]
            times.append(time.perf_counter() - start)
        upload_ms = statistics.median(times) * 1000
        lines.append(_row(f"one form via its link, then on the board (median of {len(waiting)})", upload_ms,
                          UPLOAD_BUDGET_MS))
    return lines


def _row(name: str, ms: float, budget: int) -> str:
    verdict = "within budget" if ms <= budget else "OVER BUDGET"
    return f"| {name:<60} | {ms:8.1f} ms | budget {budget} ms: {verdict} |"
