"""The web app: `create_app(settings)` builds it; every route is an office route unless `auth.is_public` says not.

Middleware, outermost first: security headers; the error boundary (every failure is the error page with the CLI's
sentence); the request body read within the upload limit; the signed session cookie; the CSRF check; the office
gate. Each request opens its own database connection (`auth.open_store`)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from ..returns.roundlog import app_key
from ..returns.store import Store
from . import agency
from . import auth, office
from .documents import ROUTES as DOCUMENT_ROUTES  # upload, documents, reminders
from .failures import ErrorBoundary, error_response
from .pages import make_templates
from .plans import PlanCache
from .security import FormCSRF, RequestBody, SecurityHeaders
from .settings import WebSettings

SESSION_COOKIE = "kehoach_phien"


def create_app(settings: WebSettings) -> Starlette:
    with Store(settings.db) as store:  # a new database is created whole, as `ingest` does
        session_key, csrf_key = app_key(store, "session"), app_key(store, "csrf")
    routes = [
        *auth.ROUTES,
        *office.ROUTES,
        *agency.ROUTES,
        *DOCUMENT_ROUTES,
        Mount("/static", StaticFiles(directory=settings.template_dir / "static"), name="static"),
    ]
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(ErrorBoundary),
        Middleware(RequestBody, limit=settings.upload_limit),
        Middleware(SessionMiddleware, secret_key=session_key.hex(), session_cookie=SESSION_COOKIE,
                   max_age=settings.session_hours * 3600, same_site="lax", https_only=settings.secure_cookies),
        Middleware(FormCSRF, secret=csrf_key.hex(), secure=settings.secure_cookies),
        Middleware(auth.OfficeGate),
    ]
    app = Starlette(routes=routes, middleware=middleware, exception_handlers={HTTPException: error_response})
    app.state.settings = settings
    app.state.templates = make_templates(settings.template_dir)
    app.state.plans = PlanCache()  # loaded plans, kept between requests
    return app
