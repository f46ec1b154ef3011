"""Fixtures and helpers of the web app's tests (registered for every test by conftest's `pytest_plugins`).

- `web_settings`: WebSettings on a fresh database in the test's folder, with the default plan.
- `web_app`: `create_app(web_settings)`.
- `anon_client`: a TestClient nobody logged in with (redirects are not followed: a test sees the 303).
- `office_client`: a TestClient logged in as OFFICE_USER (the account is created first).
- `csrf_token(client)`: the token a POST must carry (after at least one page was fetched: `client.get(...)`);
  `post_form(client, url, data, files=None)`: a POST as the browser's form sends it, the hidden field `csrftoken`
  included; `hidden_token(html)`: the token a page's form carries.
"""

from __future__ import annotations

import re

import pytest

OFFICE_USER = "Nguyễn Văn An"
OFFICE_PASSWORD = "mat-khau-van-phong-2025"


@pytest.fixture
def web_settings(tmp_path):
    from generator.web.settings import WebSettings

    return WebSettings(db=tmp_path / "kehoach-data" / "bao-cao.sqlite3")


@pytest.fixture
def web_app(web_settings):
    from generator.web.app import create_app

    return create_app(web_settings)


def client_of(app, base_url: str = "http://testserver"):
    from starlette.testclient import TestClient

    return TestClient(app, base_url=base_url, follow_redirects=False)


@pytest.fixture
def anon_client(web_app):
    with client_of(web_app) as client:
        yield client


def add_account(settings, name: str = OFFICE_USER, password: str = OFFICE_PASSWORD) -> None:
    from generator.returns.accounts import add_user
    from generator.returns.store import Store

    with Store(settings.db) as store:
        add_user(store, name, password, by="test")


def csrf_token(client) -> str:
    if "csrftoken" not in client.cookies:
        client.get("/dang-nhap")
    return client.cookies["csrftoken"]


def hidden_token(html: str) -> str:
    found = re.search(r'<input type="hidden" name="csrftoken" value="([^"]+)">', html)
    assert found, "the page's form has no hidden csrftoken field"
    return found.group(1)


def post_form(client, url: str, data: dict | None = None, files=None, **kwargs):
    return client.post(url, data={**(data or {}), "csrftoken": csrf_token(client)}, files=files, **kwargs)


def log_in(client, name: str = OFFICE_USER, password: str = OFFICE_PASSWORD, next_: str | None = None):
    data = {"name": name, "password": password}
    if next_ is not None:
        data["next"] = next_
    return post_form(client, "/dang-nhap", data)


@pytest.fixture
def office_client(web_app, web_settings):
    add_account(web_settings)
    with client_of(web_app) as client:
        r = log_in(client)
        assert r.status_code == 303, r.text
        yield client
