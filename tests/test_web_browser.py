"""The web app in a real browser (Debian's chromium through Playwright) against the real server (`kehoach serve`):
what a clerk and an agency do in the December round, with nothing of our own blocked by the Content-Security-Policy
and no error on any page's console. Screenshots of the main pages go to output/screenshots/ for the developer to
look at."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browser import OFFICE_PASSWORD, OFFICE_USER, needs, start_server, watch

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


@pytest.fixture(scope="module")
def links(server):
    """`kehoach links --year 2024` once for the module: a link is printed only when it is issued."""
    from browser import issue_links

    return issue_links(server, YEAR)


@pytest.fixture
def new_page(chromium):
    """Pages of separate browsers (the office's, an agency's): no cookie shared; each watched."""
    contexts = []

    def make():
        context = chromium.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900}, accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.problems = watch(page)
        return page

    yield make
    for context in contexts:
        context.close()


@needs("agency", "office")
def test_an_agency_sends_its_form_and_sees_the_offices_note(server, links, new_page, sent_forms):
    """Sở Công Thương sends its form through its link; the clerk sets that version to "cần bổ sung" with a note on
    the agency's office page; the agency opens its link again and reads the note."""
    office, agency = new_page(), new_page()
    base = f"{server.url}/ke-hoach/{PLAN_ID}/{YEAR}"

    agency.goto(links["so-cong-thuong"])
    assert agency.get_by_role("heading", name=f"Nộp báo cáo năm {YEAR}").is_visible()
    main = agency.inner_text("main")
    assert "Sở Công Thương" in main and "Chưa gửi báo cáo" in main
    shot(agency, "trang-lien-ket-don-vi")
    agency.get_by_label("Tệp biểu mẫu (.docx)").set_input_files(sent_forms["so-cong-thuong"])
    agency.get_by_role("button", name="Gửi báo cáo").click()
    agency.wait_for_load_state()
    assert "Đã nhận phiên bản 1" in agency.inner_text("main")
    shot(agency, "ket-qua-nop-qua-lien-ket")

    log_in(office, server)
    office.goto(f"{base}/don-vi/so-cong-thuong")
    note = "Đề nghị bổ sung số liệu về số hợp tác xã được hỗ trợ năm 2024."
    office.get_by_label("Trạng thái duyệt").select_option("can-bo-sung")
    office.get_by_label(re.compile("^Ghi chú")).fill(note)
    office.get_by_role("button", name="Lưu trạng thái duyệt phiên bản 1").click()
    office.wait_for_load_state()
    assert office.get_by_role("heading", name=re.compile("Phiên bản 1 .*Cần bổ sung")).is_visible()
    assert note in office.inner_text("main")
    shot(office, "trang-don-vi-van-phong")

    agency.goto(links["so-cong-thuong"])
    main = agency.inner_text("main")
    assert "Cần bổ sung" in main and note in main, main
    shot(agency, "trang-lien-ket-can-bo-sung")
    assert office.problems == [] and agency.problems == []


@needs("office", "upload")
def test_the_clerk_receives_a_form_and_downloads_the_summary(server, new_page, sent_forms):
    """Sở Tài chính's form received on the office's upload page, on the round board as version 1, and the summary
    downloaded from the documents page names it and what it reported."""
    import docx

    office = new_page()
    base = f"{server.url}/ke-hoach/{PLAN_ID}/{YEAR}"
    log_in(office, server)
    office.goto(f"{base}/tai-len")
    office.get_by_label(re.compile("Các tệp biểu mẫu")).set_input_files(sent_forms["so-tai-chinh"])
    office.get_by_role("button", name="Nhận các tệp").click()
    office.wait_for_load_state()
    results = office.inner_text("section[aria-labelledby=ket-qua]")
    assert "so-tai-chinh.docx" in results and "phiên bản 1" in results, results
    shot(office, "ket-qua-tai-len-van-phong")

    office.goto(base)
    row = office.locator("table.board tbody tr[data-agency=so-tai-chinh] td")
    assert row.nth(2).inner_text() == "1", row.all_inner_texts()
    shot(office, "bang-theo-doi")
    office.goto(f"{server.url}/")
    shot(office, "tong-quan")

    office.goto(f"{base}/tai-lieu")
    shot(office, "tai-lieu")
    with office.expect_download() as download:
        office.get_by_role("link", name=f"Báo cáo tổng hợp năm {YEAR} (.docx)").click()
    assert download.value.suggested_filename.endswith(".docx")
    document = docx.Document(download.value.path())
    text = "\n".join([p.text for p in document.paragraphs] +
                     [c.text for t in document.tables for row in t.rows for c in row.cells])
    assert "Sở Tài chính" in text and "bố trí kinh phí hỗ trợ 12 hợp tác xã" in text
    assert office.problems == []
