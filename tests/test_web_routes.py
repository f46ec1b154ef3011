"""Every route of the web app refuses an anonymous request, except an explicit list of public ones: routes added
later are covered without being listed here."""

from __future__ import annotations

import re

from starlette.routing import Mount, Route
from webkit import client_of, csrf_token

from generator.web.auth import is_public

PUBLIC = ("/dang-nhap",)  # the login page
PUBLIC_PREFIXES = ("/nop/", "/static")  # the agencies' link pages (their token is their key), our CSS and JS


def _example(path: str, route) -> str:
    """The route's path with every parameter filled in (an int where the convertor wants one)."""
    def fill(m: re.Match) -> str:
        convertor = (m.group(2) or "str").lstrip(":")
        return {"int": "2025", "float": "1.5", "path": "a/b", "uuid": "00000000-0000-0000-0000-000000000000"}.get(
            convertor, "mau-thu")
    return re.sub(r"\{([a-zA-Z_][a-zA-Z0-9_]*)(:[a-z]+)?\}", fill, path)


def _routes(app):
    for route in app.routes:
        if isinstance(route, Route):
            yield route.path, sorted(route.methods or {"GET"}), route
        elif isinstance(route, Mount):
            yield route.path or "/", ["GET"], route
        else:
            raise AssertionError(f"a route of a kind this test does not know: {route!r}")


def test_every_office_route_refuses_anonymous_requests(web_app):
    seen = []
    with client_of(web_app) as client:
        token = csrf_token(client)
        for path, methods, route in _routes(web_app):
            public = path in PUBLIC or path.startswith(PUBLIC_PREFIXES)
            assert is_public(_example(path, route) + ("/kehoach.css" if isinstance(route, Mount) else "")) == public
            if public:
                continue
            url = _example(path, route)
            for method in methods:
                if method == "HEAD":
                    continue
                seen.append((method, path))
                if method == "GET":
                    r = client.get(url)
                    assert r.status_code == 303 and r.headers["location"].startswith("/dang-nhap?next="), (path, r)
                else:
                    r = client.request(method, url, data={"csrftoken": token}, headers={"X-CSRFToken": token})
                    assert r.status_code == 403 and "cần đăng nhập" in r.text, (method, path, r.status_code)
    assert ("GET", "/") in seen and ("POST", "/dang-xuat") in seen


def test_public_paths_are_only_those_listed():
    for path in ("/", "/nam/2025", "/tai-len", "/dang-nhap/x", "/dang-xuat", "/nop", "/staticx", "/dang-nhapx"):
        assert not is_public(path), path
    for path in ("/dang-nhap", "/nop/abc", "/static/kehoach.css"):
        assert is_public(path), path
