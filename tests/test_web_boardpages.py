"""The status board in pages (`?trang=`, PAGE_ROWS rows each) on a synthetic plan of 450 agencies: the pages
together are the whole round in the order asked, the counts and filters are over the whole round, the JSON has every
row, and a page that does not exist is a 404 with a sentence."""

from __future__ import annotations

import re
import sys
from html import unescape
from pathlib import Path

import pytest
from webkit import add_account, client_of, log_in

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from synth import make_plan  # noqa: E402

YEAR = 2025
BOARD = f"/ke-hoach/toan-quoc-synth/{YEAR}"


@pytest.fixture(scope="module")
def synth_plan(tmp_path_factory) -> Path:
    return make_plan(tmp_path_factory.mktemp("synth") / "synth", agencies=450, tasks=1000)


@pytest.fixture
def client(tmp_path, synth_plan):
    from generator.web.app import create_app
    from generator.web.settings import WebSettings

    settings = WebSettings(db=tmp_path / "bao-cao.sqlite3", plan_dir=synth_plan)
    add_account(settings)
    with client_of(create_app(settings)) as c:
        assert log_in(c).status_code == 303
        yield c


def names(html: str) -> list[str]:
    """The agencies of the board's table, in order."""
    return re.findall(r'<tr class="g-[^"]+" data-agency="([^"]+)">', html)


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_the_pages_are_the_whole_round(client):
    from generator.web.office import PAGE_ROWS

    every = [r["agency"] for r in client.get(f"{BOARD}?format=json").json()["rows"]]
    assert len(every) > 2 * PAGE_ROWS
    first = client.get(BOARD)
    assert first.status_code == 200
    pages = -(-len(every) // PAGE_ROWS)
    shown = text_of(first.text)
    assert f"Trang 1/{pages}: đơn vị thứ 1–{PAGE_ROWS} trong số {len(every)}." in shown
    assert f"Đã nộp 0/{len(every)} đơn vị" in shown and f"chưa nộp {len(every)}." in shown  # the counts are the round's, not the page's
    seen = names(first.text)
    for page in range(2, pages + 1):
        assert f'href="{BOARD}?trang={page}"' in first.text
        seen += names(client.get(f"{BOARD}?trang={page}").text)
    assert seen == every
    assert len(names(client.get(f"{BOARD}?trang={pages}").text)) == len(every) - (pages - 1) * PAGE_ROWS


def test_pages_follow_the_order_and_the_filter(client):
    from generator.web.office import PAGE_ROWS

    by_name = [r["agency"] for r in client.get(f"{BOARD}?sap-xep=ten&format=json").json()["rows"]]
    page2 = client.get(f"{BOARD}?sap-xep=ten&trang=2").text
    assert names(page2) == by_name[PAGE_ROWS: 2 * PAGE_ROWS]
    assert f'href="{BOARD}?sap-xep=ten&amp;trang=3"' in page2 and 'rel="prev"' in page2
    missing = client.get(f"{BOARD}?trang-thai=chua-nop&sap-xep=ten&trang=2").text
    assert names(missing) == by_name[PAGE_ROWS: 2 * PAGE_ROWS]  # nothing sent yet: every agency is missing
    assert f'href="{BOARD}?trang-thai=chua-nop&amp;sap-xep=ten&amp;trang=1"' in missing
    warned = client.get(f"{BOARD}?trang-thai=canh-bao")
    assert names(warned.text) == [] and "Trang 1/" not in text_of(warned.text)  # one page: no page links


@pytest.mark.parametrize("page", ["4", "0", "abc", "-1", "1.5"])
def test_a_page_that_does_not_exist(client, page):
    r = client.get(f"{BOARD}?trang={page}")
    assert r.status_code == 404
    assert f"bảng tình hình nộp không có trang {page}; hãy chọn trang từ 1 đến 3" in text_of(r.text)


def test_the_json_is_never_paged(client):
    rows = client.get(f"{BOARD}?trang=2&format=json").json()["rows"]
    assert len(rows) == len(client.get(f"{BOARD}?format=json").json()["rows"]) == 450
