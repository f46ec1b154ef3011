"""What the web app answers when something fails: the sentence `errors.describe` gives (the one the command line
prints), on the error page, with the HTTP status of its kind. No traceback ever reaches a page; a bug is logged on
the server's console and the page says only that something unexpected happened."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import describe

LOG = logging.getLogger("kehoach.web")

STATUS_OF_KIND = {  # errors.describe's kinds
    "user": 400, "plan": 500, "rejected": 422, "not-found": 404, "refused": 403, "too-large": 413, "conflict": 409,
    "os": 500, "database": 503, "memory": 503, "bug": 500,
}
BUG = ("lỗi không mong đợi trong kehoach, dữ liệu đã có vẫn giữ nguyên; hãy thử lại, nếu vẫn lỗi hãy báo người phụ "
       "trách kỹ thuật (chi tiết đã được ghi ở cửa sổ chạy kehoach serve)")
HTTP_SENTENCES = {
    404: "không có trang này; hãy kiểm tra lại địa chỉ hoặc quay về trang Tổng quan",
    405: "trang này không nhận yêu cầu kiểu này; hãy quay lại trang trước",
}


def http_status(kind: str) -> int:
    """The HTTP status of an error of `kind` (errors.describe)."""
    return STATUS_OF_KIND.get(kind, 500)


def failure(exc: BaseException) -> tuple[str, int]:
    """The sentence a page shows for `exc`, and the HTTP status."""
    if isinstance(exc, HTTPException):
        return HTTP_SENTENCES.get(exc.status_code, "yêu cầu không hợp lệ; hãy quay lại trang trước"), exc.status_code
    sentence, kind = describe(exc)
    if kind == "bug":
        LOG.error("kehoach web: unexpected error", exc_info=exc)
        sentence = BUG
    return sentence, http_status(kind)


def error_response(request: Request, exc: BaseException):
    from .pages import render

    sentence, status = failure(exc)
    try:
        return render(request, "error.html", {"message": sentence, "status": status}, status)
    except Exception as e:  # noqa: BLE001 - a broken error template must still answer with the sentence
        from starlette.responses import PlainTextResponse

        LOG.error("kehoach web: the error page failed", exc_info=e)
        return PlainTextResponse(f"Lỗi: {sentence}", status_code=status)


class ErrorBoundary:
    """Every exception raised below it (middleware and routes) becomes the error page, unless the response has
    already begun (then the connection is closed and the error logged)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:  # noqa: BLE001 - the boundary of a request: every error is a page
            if started:
                LOG.error("kehoach web: error after the response began", exc_info=exc)
                raise
            request = Request(scope)
            if "app" not in scope:
                raise
            await error_response(request, exc)(scope, receive, send)
