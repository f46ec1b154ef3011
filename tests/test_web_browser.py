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


@pytest.fixture(scope="module")
def sent_forms(forms_2024, tmp_path_factory):
    """Two filled 2024 forms on disk, as the clerk and the agency pick them in the file dialog."""
    from browser import filled

    folder = tmp_path_factory.mktemp("forms")
    out = {}
    for agency, text in (("so-cong-thuong", "Sở Công Thương: đã tổ chức 03 lớp tập huấn về kinh tế tập thể."),
                         ("so-tai-chinh", "Sở Tài chính: đã bố trí kinh phí hỗ trợ 12 hợp tác xã.")):
        out[agency] = folder / f"{agency}.docx"
        out[agency].write_bytes(filled(forms_2024[agency], text))
    return out


def test_an_agency_sends_its_form_through_its_link(server, page, sent_forms):
    from browser import issue_links

    link = issue_links(server, YEAR)["so-cong-thuong"]
    page.goto(link)
    assert page.get_by_role("heading", name=f"Nộp báo cáo năm {YEAR}").is_visible()
    assert "Sở Công Thương" in page.inner_text("main")
    assert "Chưa gửi báo cáo" in page.inner_text("main")
    shot(page, "trang-lien-ket-don-vi")
    page.get_by_label("Tệp biểu mẫu (.docx)").set_input_files(sent_forms["so-cong-thuong"])
    page.get_by_role("button", name="Gửi báo cáo").click()
    page.wait_for_load_state()
    assert "Đã nhận phiên bản 1" in page.inner_text("main")
    shot(page, "ket-qua-nop-qua-lien-ket")
    assert page.problems == []
