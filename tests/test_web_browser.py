"""The web app in a real browser (Debian's chromium through Playwright) against the real server (`kehoach serve`):
what a clerk and an agency do in the December round, with nothing of our own blocked by the Content-Security-Policy
and no error on any page's console. Screenshots of the main pages go to output/screenshots/ for the developer to
look at."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browser import OFFICE_PASSWORD, OFFICE_USER, start_server, watch

pytestmark = pytest.mark.browser

YEAR = 2024
PLAN_ID = "khanh-hoa-1627"
SHOTS = Path(__file__).resolve().parents[1] / "output" / "screenshots"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with start_server(tmp_path_factory.mktemp("browser") / "serve") as s:
        yield s


@pytest.fixture
def page(chromium):
    context = chromium.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.problems = watch(page)
    yield page
    context.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def log_in(page, server) -> None:
    page.goto(f"{server.url}/dang-nhap")
    page.get_by_label("Tên tài khoản").fill(OFFICE_USER)
    page.get_by_label("Mật khẩu").fill(OFFICE_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{server.url}/")
    assert f"Tài khoản: {OFFICE_USER}" in page.inner_text("header")


def test_an_anonymous_visitor_is_sent_to_the_login_page(server, page):
    page.goto(f"{server.url}/ke-hoach/{PLAN_ID}/{YEAR}")
    assert urlpath(page.url) == "/dang-nhap"
    assert page.get_by_role("heading", name="Đăng nhập").is_visible()
    assert page.evaluate("document.documentElement.lang") == "vi"
    shot(page, "dang-nhap")
    assert page.problems == []


def test_the_watcher_sees_what_the_policy_blocks(server, page):
    """The check the other tests rely on can fail: an inline style and an inline script are blocked and reported."""
    page.goto(f"{server.url}/dang-nhap")
    page.evaluate("""() => {
        document.body.setAttribute("style", "color: red");
        const s = document.createElement("script"); s.textContent = "window.ran = 1"; document.body.append(s);
    }""")
    page.wait_for_timeout(300)
    assert page.evaluate("window.ran") is None
    assert any("style-src" in p for p in page.problems), page.problems
    assert any("script-src" in p for p in page.problems), page.problems


def test_the_clerk_logs_in_and_out(server, page):
    log_in(page, server)
    shot(page, "tong-quan")
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url(re.compile(r".*/dang-nhap.*"))
    page.goto(f"{server.url}/")
    assert urlpath(page.url) == "/dang-nhap"
    assert page.problems == []


def urlpath(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).path
