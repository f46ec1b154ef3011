"""Logging in and out of the office's pages, and the gate in front of them.

Every route is an office route, reachable only by a logged-in account, unless its path is public (PUBLIC: the login
page, the agencies' link pages under /nop/, the static files). A route needs nothing to be protected: `OfficeGate`
refuses an anonymous request before any route runs (a GET is sent to the login page, anything else is refused with
403), and checks that the session's account still exists. A handler reads its user with `require_user(request)`."""

from __future__ import annotations

from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ..errors import KehoachError, Refused
from ..returns.store import Store
from .pages import current_user, render
from .security import SAFE_METHODS

LOGIN = "/dang-nhap"
LOGOUT = "/dang-xuat"
PUBLIC_PATHS = (LOGIN,)
PUBLIC_PREFIXES = ("/nop/", "/static/")  # the agencies' link pages; our own CSS and JS
SESSION_USER = "user"
NOT_LOGGED_IN = "cần đăng nhập bằng tài khoản của văn phòng để dùng trang này; hãy đăng nhập rồi làm lại"
WRONG_LOGIN = "tên tài khoản hoặc mật khẩu không đúng; hãy nhập lại"


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path of this app only (never another site: no scheme, no host, no "//" or
    backslash or control character a browser would read as one), else the overview."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target \
            or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return "/"
    return target  # "/" not followed by "/" and no backslash: a path on this host, never a scheme or another host


def open_store(request: Request) -> Store:
    """The database, on a connection of this request's own (close it: `with open_store(request) as store:`)."""
    return Store(request.app.state.settings.db)


def _account_of(db, name: object) -> str | None:
    from ..returns.accounts import user_exists

    if not isinstance(name, str) or not name:
        return None
    with Store(db) as store:
        return name if user_exists(store, name) else None


class OfficeGate:
    """Refuse anonymous requests to every office route (everything not `is_public`)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"].startswith("/static/"):  # our CSS and JS: no account needed, no database opened
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        settings = request.app.state.settings
        user = await run_in_threadpool(_account_of, settings.db, request.session.get(SESSION_USER))
        scope.setdefault("state", {})["user"] = user
        if user is None and not is_public(scope["path"]):
            if request.session:
                request.session.clear()  # an account removed meanwhile: its session ends
            if scope["method"] in ("GET", "HEAD"):
                wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                await RedirectResponse(f"{LOGIN}?next={quote(wanted, safe='')}", status_code=303)(scope, receive, send)
                return
            raise Refused(NOT_LOGGED_IN)
        await self.app(scope, receive, send)


def require_user(request: Request) -> str:
    """The logged-in office user (the gate has let only such requests reach an office route)."""
    user = current_user(request)
    if user is None:
        raise Refused(NOT_LOGGED_IN)
    return user


async def login_page(request: Request):
    target = safe_next(request.query_params.get("next"))
    if request.method in SAFE_METHODS:
        if current_user(request):
            return RedirectResponse(target, status_code=303)
        return render(request, "login.html", {"next": target, "name": "", "message": None})
    form = await request.form()
    name, password = str(form.get("name", "")), str(form.get("password", ""))
    target = safe_next(str(form.get("next", "")) or None)
    address = request.client.host if request.client else ""
    try:
        ok = await run_in_threadpool(_login, request.app.state.settings.db, name, password, address)
    except KehoachError as e:
        return render(request, "login.html", {"next": target, "name": name, "message": str(e)}, 403)
    if not ok:
        return render(request, "login.html", {"next": target, "name": name, "message": WRONG_LOGIN}, 400)
    request.session.clear()
    request.session[SESSION_USER] = ok
    return RedirectResponse(target, status_code=303)


def _login(db, name: str, password: str, address: str) -> str | None:
    """The account name when `password` is its own, else None; too many failures: Refused (accounts.login)."""
    from ..returns.accounts import login

    with Store(db) as store:
        return login(store, name, password, address)


async def logout(request: Request):
    request.session.clear()
    return RedirectResponse(LOGIN, status_code=303)


ROUTES = [
    Route(LOGIN, login_page, methods=["GET", "POST"], name="login"),
    Route(LOGOUT, logout, methods=["POST"], name="logout"),
]
