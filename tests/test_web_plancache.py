"""The plans the web app keeps loaded between requests (`web.plans.PlanCache`): loaded once, by one request while
the others wait, loaded again when a file of the plan folder changes (an edited tasks.yaml, a new agencies.yaml or
amendment), and a plan made invalid while the server runs gives `kehoach validate`'s sentence on the page."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import threading
from html import unescape
from pathlib import Path

import pytest
from webkit import add_account, client_of, log_in, post_form

from generator import paths
from generator.returns.links import issue
from generator.returns.store import Store

YEAR = 2024
NEW_AGENCY = "hoi-nong-dan-tinh"
OWN_AGENCIES = """agencies:
  - id: hoi-nong-dan-tinh
    name: Hội Nông dân tỉnh
    code: HND
    kind: so
    reports: true
    source: "thêm khi ứng dụng đang chạy"
"""
NEW_TASK = """      - id: nv36
        task: "Vận động hội viên tham gia hợp tác xã"
        lead: "Hội Nông dân tỉnh"
        partners: ""
        deliverable: "Báo cáo"
        timeframe: "Hàng năm"
"""
UNKNOWN_LEAD = 'lead: "Sở Không Có Thật"'


@pytest.fixture
def plan_copy(tmp_path) -> Path:
    folder = tmp_path / "plans" / "khanh-hoa-1627"
    shutil.copytree(paths.default_plan_dir(), folder)
    return folder


@pytest.fixture
def counted_loads(monkeypatch):
    """The plan folders the app loaded (each call of plan_history through the cache)."""
    from generator.web import plans

    loads: list[Path | None] = []
    real = plans.plan_history

    def counting(plan_dir, registry=None):
        loads.append(plan_dir)
        return real(plan_dir, registry)

    monkeypatch.setattr(plans, "plan_history", counting)
    return loads


@pytest.fixture
def served(tmp_path, plan_copy):
    """(an office client logged in, the app's settings) of an app serving `plan_copy`."""
    from generator.web.app import create_app
    from generator.web.settings import WebSettings

    settings = WebSettings(db=tmp_path / "bao-cao.sqlite3", plan_dir=plan_copy)
    app = create_app(settings)
    add_account(settings)
    with client_of(app) as client:
        assert log_in(client).status_code == 303
        yield client, settings


def board_agencies(client) -> list[str]:
    r = client.get(f"/ke-hoach/khanh-hoa-1627/{YEAR}?format=json")
    assert r.status_code == 200, r.text
    return [row["agency"] for row in r.json()["rows"]]


def text_of(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", html))


def validate_lines(folder: Path) -> list[str]:
    """What `kehoach validate` prints of the plan's problems (the lines naming a file)."""
    r = subprocess.run([sys.executable, "-m", "generator", "validate", "--plan", str(folder)], capture_output=True,
                       text=True, cwd=folder.parent)
    assert r.returncode != 0
    return [line.removeprefix("Lỗi: ").strip() for line in (r.stdout + r.stderr).splitlines() if "tasks.yaml:" in line]


def test_plan_loaded_once_for_every_page_and_the_link(served, counted_loads):
    client, settings = served
    with Store(settings.db) as store:
        link = f"/nop/{issue(store, 'khanh-hoa-1627', YEAR, 'so-cong-thuong', by='test')}"
    for url in ("/", f"/ke-hoach/khanh-hoa-1627/{YEAR}", f"/ke-hoach/khanh-hoa-1627/{YEAR}/don-vi/so-cong-thuong",
                f"/ke-hoach/khanh-hoa-1627/{YEAR}/nhat-ky", f"/ke-hoach/khanh-hoa-1627/{YEAR}?format=json"):
        assert client.get(url).status_code == 200, url
    agency = client_of(client.app)
    assert agency.get(link).status_code == 200
    r = post_form(agency, link, files={"tep": ("so-cong-thuong.docx", b"not a form", "application/octet-stream")})
    assert r.status_code == 422  # read (and refused) with the plan the app keeps
    assert client.get(f"/ke-hoach/khanh-hoa-1627/{YEAR}").status_code == 200
    assert len(counted_loads) == 1


def test_an_edit_while_running_is_on_the_next_page(served, plan_copy, counted_loads):
    client, _ = served
    assert NEW_AGENCY not in board_agencies(client)
    (plan_copy / "agencies.yaml").write_text(OWN_AGENCIES, encoding="utf-8")
    tasks = plan_copy / "tasks.yaml"
    tasks.write_text(tasks.read_text(encoding="utf-8") + NEW_TASK, encoding="utf-8")
    assert NEW_AGENCY in board_agencies(client)
    page = text_of(client.get(f"/ke-hoach/khanh-hoa-1627/{YEAR}").text)
    assert "Hội Nông dân tỉnh" in page
    assert len(counted_loads) == 2
    board_agencies(client)
    assert len(counted_loads) == 2  # and kept again


def test_an_amendment_added_while_running_is_loaded(served, plan_copy, counted_loads):
    client, _ = served
    board_agencies(client)
    (plan_copy / "amendments").mkdir()
    (plan_copy / "amendments" / "sua-doi.yaml").write_text("document: {}\n", encoding="utf-8")
    r = client.get(f"/ke-hoach/khanh-hoa-1627/{YEAR}")
    assert r.status_code == 500 and "amendments/sua-doi.yaml" in text_of(r.text)  # not the plan of before
    assert len(counted_loads) == 2
    (plan_copy / "amendments" / "sua-doi.yaml").unlink()
    assert board_agencies(client) and len(counted_loads) == 3


def test_an_invalid_edit_gives_the_validate_sentence(served, plan_copy, counted_loads):
    client, _ = served
    before = board_agencies(client)
    tasks = plan_copy / "tasks.yaml"
    good = tasks.read_text(encoding="utf-8")
    tasks.write_text(good.replace('lead: "Liên Minh Hợp tác xã tỉnh"', UNKNOWN_LEAD), encoding="utf-8")
    expected = validate_lines(plan_copy)
    assert expected and all("Sở Không Có Thật" in line for line in expected)
    for url in (f"/ke-hoach/khanh-hoa-1627/{YEAR}", "/"):
        r = client.get(url)
        assert r.status_code == 500 and "Traceback" not in r.text
        shown = text_of(r.text)
        assert all(line in shown for line in expected), shown
        assert f"Kế hoạch không hợp lệ: {len(expected)} lỗi" in shown
    assert len(counted_loads) == 2  # the invalid plan is kept too: not read again until a file changes
    tasks.write_text(good, encoding="utf-8")
    assert board_agencies(client) == before and len(counted_loads) == 3


def test_one_load_for_requests_at_once(counted_loads):
    from generator.web.plans import PlanCache

    cache, results = PlanCache(), []
    threads = [threading.Thread(target=lambda: results.append(cache.get(None))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counted_loads == [None] and len(results) == 8 and all(r is results[0] for r in results)


def test_the_cache_is_bounded(tmp_path, counted_loads):
    from generator.web.plans import PlanCache

    folders = []
    for name in ("a", "b", "c"):
        folders.append(tmp_path / name / "khanh-hoa-1627")
        shutil.copytree(paths.default_plan_dir(), folders[-1])
    cache = PlanCache(size=2)
    for folder in (*folders, folders[2], folders[1], folders[0]):
        cache.get(folder)
    assert counted_loads == [*folders, folders[0]]  # c and b were kept; a, the least recently used, had gone
