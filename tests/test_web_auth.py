"""The web app's login, session, CSRF and security headers, through Starlette's in-process client: what a browser
gets (status, page text, cookies, headers) and what an attacker's requests get."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from webkit import OFFICE_PASSWORD, OFFICE_USER, add_account, client_of, csrf_token, hidden_token, log_in, post_form

from generator.web.security import CSP

TEMPLATES = Path(__file__).resolve().parents[1] / "templates" / "web"


def test_anonymous_get_of_an_office_page_goes_to_the_login_page(anon_client):
    r = anon_client.get("/?a=1")
    assert r.status_code == 303 and r.headers["location"] == "/dang-nhap?next=%2F%3Fa%3D1"
    page = anon_client.get(r.headers["location"])
    assert page.status_code == 200 and '<html lang="vi">' in page.text and "Đăng nhập" in page.text
    assert 'name="next" value="/?a=1"' in page.text
    assert page.headers["content-type"] == "text/html; charset=utf-8"


def test_login_then_the_overview_shows_the_plan_and_the_user(anon_client, web_settings):
    add_account(web_settings)
    r = log_in(anon_client, next_="/?a=1")
    assert r.status_code == 303 and r.headers["location"] == "/?a=1"
    page = anon_client.get("/")
    assert page.status_code == 200
    assert "Tài khoản: Nguyễn Văn An" in page.text and "Kế hoạch 1627/KH-UBND" in page.text
    for label in ("Tổng quan", "Tải lên", "Tài liệu", "Nhật ký", "Đăng xuất"):
        assert label in page.text


def test_wrong_password_and_unknown_name_get_the_same_sentence(anon_client, web_settings):
    add_account(web_settings)
    wrong = log_in(anon_client, password="khong-dung-mat-khau")
    unknown = log_in(anon_client, name="Người Lạ")
    for r in (wrong, unknown):
        assert r.status_code == 400 and "tên tài khoản hoặc mật khẩu không đúng; hãy nhập lại" in r.text
        assert "kehoach_phien" not in r.headers.get("set-cookie", "")
    assert anon_client.get("/").status_code == 303


def test_session_cookie_is_httponly_samesite_and_secure_behind_https(tmp_path):
    from generator.web.app import create_app
    from generator.web.settings import WebSettings

    for base_url, secure in ((None, False), ("https://baocao.example.vn", True)):
        settings = WebSettings(db=tmp_path / "db.sqlite3", base_url=base_url)
        add_account(settings) if base_url is None else None
        with client_of(create_app(settings), "https://testserver" if secure else "http://testserver") as client:
            r = log_in(client)
            assert r.status_code == 303, r.text
            cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("kehoach_phien="))
            assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
            assert ("secure" in cookie.lower().split("; ")) == secure, cookie


@pytest.mark.parametrize("target", ["https://ke-xau.example/", "//ke-xau.example/", "/\\ke-xau.example/",
                                    "/\t/ke-xau.example/", "javascript:alert(1)", "http:/ke-xau.example",
                                    "ke-xau.example"])
def test_next_never_leaves_the_app(anon_client, web_settings, target):
    add_account(web_settings)
    r = log_in(anon_client, next_=target)
    assert r.status_code == 303 and r.headers["location"] == "/"
    page = anon_client.get("/dang-nhap", params={"next": target})  # already logged in: sent on at once
    assert page.status_code == 303 and page.headers["location"] == "/"


def test_post_without_the_csrf_token_is_refused(anon_client, web_settings):
    add_account(web_settings)
    anon_client.get("/dang-nhap")
    data = {"name": OFFICE_USER, "password": OFFICE_PASSWORD}
    for sent in (data, {**data, "csrftoken": "gia-mao"}, {**data, "csrftoken": ""}):
        r = anon_client.post("/dang-nhap", data=sent)
        assert r.status_code == 403 and "thiếu mã chống giả mạo" in r.text, r.text
        assert "kehoach_phien" not in r.headers.get("set-cookie", "")
    # a token of another kehoach (another database: another key) is refused too
    assert anon_client.get("/").status_code == 303


def test_a_cross_site_form_gets_nothing_even_with_its_own_token(anon_client, web_settings, tmp_path):
    """The attacker's page posts with a token it got from the app itself, but the victim's browser sends the
    victim's cookie: the two differ."""
    from generator.web.app import create_app
    from generator.web.settings import WebSettings

    add_account(web_settings)
    with client_of(create_app(WebSettings(db=tmp_path / "autre.sqlite3"))) as other:
        foreign = csrf_token(other)
    with client_of(anon_client.app) as attacker:
        own = csrf_token(attacker)
    csrf_token(anon_client)
    for token in (foreign, own):
        r = anon_client.post("/dang-nhap", data={"name": OFFICE_USER, "password": OFFICE_PASSWORD, "csrftoken": token})
        assert r.status_code == 403


def test_token_in_the_header_and_in_multipart_forms(anon_client, web_settings):
    add_account(web_settings)
    token = csrf_token(anon_client)
    r = anon_client.post("/dang-nhap", data={"name": OFFICE_USER, "password": OFFICE_PASSWORD},
                         headers={"X-CSRFToken": token})
    assert r.status_code == 303
    anon_client.post("/dang-xuat", headers={"X-CSRFToken": token})
    r = anon_client.post("/dang-nhap", data={"name": OFFICE_USER, "password": OFFICE_PASSWORD, "csrftoken": token},
                         files={"tep": ("a.txt", b"x")})
    assert r.status_code == 303


def test_page_token_is_the_cookie_from_the_first_visit(web_app):
    with client_of(web_app) as client:
        page = client.get("/dang-nhap")
        assert hidden_token(page.text) == client.cookies["csrftoken"]


def test_anonymous_post_to_an_office_route_is_refused(anon_client):
    r = post_form(anon_client, "/dang-xuat")
    assert r.status_code == 403 and "cần đăng nhập" in r.text


def test_logout_ends_the_session(office_client):
    assert office_client.get("/").status_code == 200
    r = post_form(office_client, "/dang-xuat")
    assert r.status_code == 303 and r.headers["location"] == "/dang-nhap"
    assert office_client.get("/").status_code == 303


def test_a_removed_account_is_logged_out(office_client, web_settings):
    from generator.returns.accounts import remove_user
    from generator.returns.store import Store

    cookie = office_client.cookies["kehoach_phien"]
    with Store(web_settings.db) as store:
        remove_user(store, OFFICE_USER)
    office_client.cookies.set("kehoach_phien", cookie)
    assert office_client.get("/").status_code == 303


def test_security_headers_on_every_response(office_client):
    for url in ("/", "/dang-nhap", "/static/kehoach.css", "/khong-co-trang-nay"):
        r = office_client.get(url)
        assert r.headers["content-security-policy"] == CSP
        assert r.headers["x-content-type-options"] == "nosniff" and r.headers["referrer-policy"] == "no-referrer"
        if not url.startswith("/static/"):
            assert r.headers["cache-control"] == "no-store"
    assert CSP == ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                   "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def test_no_inline_script_or_style_in_the_templates():
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), template.name
        assert "<style" not in text and not re.search(r"\sstyle=", text), template.name
        assert not re.search(r"\son[a-z]+=", text), template.name  # onclick= and the like


def test_unknown_page_is_a_vietnamese_404(office_client):
    r = office_client.get("/khong-co-trang-nay")
    assert r.status_code == 404 and "Lỗi: không có trang này" in r.text and '<html lang="vi">' in r.text


def test_errors_become_the_cli_sentence_with_their_status(web_app, web_settings):
    from starlette.routing import Route

    from generator.errors import Conflict, FormRejected, KehoachError, NotFound

    failures = {"/loi/nguoi-dung": (KehoachError("câu của CLI"), 400), "/loi/khong-co": (NotFound("không có"), 404),
                "/loi/tu-choi": (FormRejected("biểu mẫu hỏng"), 422), "/loi/trung": (Conflict("trùng"), 409),
                "/loi/bug": (ZeroDivisionError("bí mật nội bộ"), 500)}

    def raiser(exc):
        async def endpoint(request):
            raise exc
        return endpoint

    for path, (exc, _) in failures.items():
        web_app.router.routes.append(Route(path, raiser(exc)))
    add_account(web_settings)
    with client_of(web_app) as client:
        log_in(client)
        for path, (exc, status) in failures.items():
            r = client.get(path)
            assert r.status_code == status, (path, r.text)
            if status == 500:
                assert "lỗi không mong đợi trong kehoach" in r.text
                assert "bí mật nội bộ" not in r.text and "Traceback" not in r.text and "ZeroDivision" not in r.text
            else:
                assert f"Lỗi: {exc}" in r.text


def test_a_body_over_the_upload_limit_is_refused_while_it_is_read(tmp_path):
    from generator.web.app import create_app
    from generator.web.settings import WebSettings

    settings = WebSettings(db=tmp_path / "db.sqlite3", upload_limit=1024 * 1024)
    with client_of(create_app(settings)) as client:
        token = csrf_token(client)
        r = client.post("/dang-nhap", data={"csrftoken": token}, files={"tep": ("a.docx", b"x" * (1024 * 1024 + 1))})
        assert r.status_code == 413 and "dữ liệu gửi lên quá lớn (tối đa 1 MB" in r.text

        def chunks():  # no Content-Length: counted as it arrives
            yield b"csrftoken=" + token.encode() + b"&x="
            for _ in range(2000):
                yield b"y" * 1024

        r = client.post("/dang-nhap", content=chunks(), headers={"content-type": "application/x-www-form-urlencoded"})
        assert r.status_code == 413
