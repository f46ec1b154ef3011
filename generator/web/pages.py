"""Rendering a page: the Jinja2 templates of templates/web/ (autoescaped), with what every page needs (the user, the
CSRF token and its hidden field, the navigation)."""

from __future__ import annotations

from pathlib import Path

import jinja2
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from .security import CSRF_FIELD

# (label, path) of the navigation of the office's pages, in order
NAV = (("Tổng quan", "/"), ("Tải lên", "/tai-len"), ("Tài liệu", "/tai-lieu"), ("Nhật ký", "/nhat-ky"))


@jinja2.pass_context
def csrf_input(context) -> Markup:
    """The hidden field every POST form carries: `{{ csrf_input() }}` inside the <form>."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, escape(context["csrftoken"]))


def make_templates(folder: Path) -> Jinja2Templates:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(folder), autoescape=True, undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True)
    env.globals.update(csrf_input=csrf_input, nav=NAV, csrf_field=CSRF_FIELD)
    return Jinja2Templates(env=env)


def current_user(request: Request) -> str | None:
    """The office user of this request (checked against the accounts by `auth.OfficeGate`), or None."""
    return getattr(request.state, "user", None)


def render(request: Request, name: str, context: dict | None = None, status: int = 200) -> HTMLResponse:
    """The page `name` (templates/web/<name>) with `context`, plus `user`, `csrftoken` and `path`."""
    templates: Jinja2Templates = request.app.state.templates
    full = {"user": current_user(request), "csrftoken": getattr(request.state, "csrftoken", ""),
            "path": request.url.path, **(context or {})}
    return templates.TemplateResponse(request, name, full, status_code=status)
