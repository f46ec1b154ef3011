"""The web app's protections that hold for every route, as ASGI middleware: security headers on every response, the
request body read within the upload limit (refused while it is read, not after), and the CSRF check of every
state-changing request.

CSRF: starlette-csrf's double-submit cookie (a token signed with the app's key, in the cookie `csrftoken`), its
signing and its constant-time comparison. The library reads the token from a header only; pages must work without
JavaScript, so `FormCSRF` also takes it from the form field `csrftoken` (the same value as the cookie), read from the
body `RequestBody` buffered. A page gets the token it must send as `request.state.csrftoken`, from the first visit
on (the cookie is set on the same response)."""

from __future__ import annotations

import http.cookies
from urllib.parse import parse_qs

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette_csrf import CSRFMiddleware

from ..errors import Refused, TooLarge

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
CSRF_FIELD = "csrftoken"  # the hidden field of every POST form (and the cookie's name)
CSRF_HEADER = "x-csrftoken"  # for fetch()
BODY_KEY = "kehoach.body"  # the buffered request body, in the scope
CSRF_REFUSED = ("trang đã mở quá lâu hoặc không phải trang của kehoach gửi yêu cầu này (thiếu mã chống giả mạo); hãy "
                "tải lại trang rồi làm lại")


class SecurityHeaders:
    """Content-Security-Policy (our own scripts and styles only), nosniff, no referrer (agency links are secrets in
    URLs), and `Cache-Control: no-store` on everything but the static files."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers[name] = value
                if not static:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RequestBody:
    """Read the body of a state-changing request whole before anything handles it, refusing it (TooLarge, 413) as
    soon as it passes `limit` bytes (the declared Content-Length first); the app then reads it again from memory."""

    def __init__(self, app: ASGIApp, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or ()).get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > self.limit:
            raise TooLarge(self.refusal())
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client went away mid-upload: nothing was handled, nothing is stored
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                raise TooLarge(self.refusal())
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        scope[BODY_KEY] = body
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # after the body: wait for the disconnect as the server reports it

        await self.app(scope, replay, send)

    def refusal(self) -> str:
        return (f"dữ liệu gửi lên quá lớn (tối đa {self.limit // (1024 * 1024)} MB một lần gửi); hãy gửi ít tệp hơn "
                "mỗi lần")


async def submitted_token(scope: Scope) -> str | None:
    """The CSRF token a request sends: the X-CSRFToken header, else the form field (urlencoded or multipart)."""
    request = Request(scope)
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    body = scope.get(BODY_KEY, b"")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        values = parse_qs(body.decode("latin-1"), max_num_fields=1000).get(CSRF_FIELD)
        return values[0] if values else None
    if kind == "multipart/form-data":
        sent = False

        async def once() -> Message:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        form = await Request(scope, once).form()
        try:
            value = form.get(CSRF_FIELD)
            return value if isinstance(value, str) else None
        finally:
            await form.close()
    return None


class FormCSRF(CSRFMiddleware):
    """starlette-csrf's check, with the token also read from the form field `csrftoken`, refused with a Vietnamese
    sentence (Refused, 403), and the token known to the page that sets the cookie."""

    def __init__(self, app: ASGIApp, secret: str, *, secure: bool):
        super().__init__(app, secret, cookie_name=CSRF_FIELD, cookie_secure=secure, cookie_samesite="lax",
                         header_name=CSRF_HEADER, safe_methods=set(SAFE_METHODS))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cookie = Request(scope).cookies.get(self.cookie_name)
        fresh = None
        if not cookie or not self._csrf_tokens_match(cookie, cookie):  # none yet, or not signed with our key
            fresh = self._generate_csrf_token()
        scope.setdefault("state", {})["csrftoken"] = fresh or cookie
        if scope["method"] not in self.safe_methods:
            submitted = await submitted_token(scope)
            if not cookie or not submitted or not self._csrf_tokens_match(cookie, submitted):
                raise Refused(CSRF_REFUSED)

        async def send_cookie(message: Message) -> None:
            if fresh and message["type"] == "http.response.start":
                morsel: http.cookies.BaseCookie = http.cookies.SimpleCookie()
                morsel[self.cookie_name] = fresh
                morsel[self.cookie_name]["path"] = "/"
                morsel[self.cookie_name]["samesite"] = self.cookie_samesite
                if self.cookie_secure:
                    morsel[self.cookie_name]["secure"] = True
                MutableHeaders(scope=message).append("set-cookie", morsel.output(header="").strip())
            await send(message)

        await self.app(scope, receive, send_cookie)
