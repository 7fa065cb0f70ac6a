"""The dashboard application: :func:`create_app` wires settings, the database and the routes."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import RedirectResponse, Response

from pipeline.db import open_database, transaction
from pipeline.settings import Settings
from web import render as rendering
from web.deps import BadCsrf, Forbidden, NotLoggedIn
from web.errors import USER_ERRORS
from web.security import LoginLimiter, secret_key, security_headers

STATIC = Path(__file__).with_name("static")


def create_app(settings: Settings, sessions: sessionmaker[Session] | None = None) -> FastAPI:
    """The ASGI app; ``sessions`` defaults to the settings' database (migrated on open)."""
    from web.routes import ROUTERS

    app = FastAPI(title="newsdesk", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.sessions = sessions or open_database(settings.database_url)
    app.state.jinja = rendering.environment(settings.office.timezone)
    app.state.limiter = LoginLimiter(settings.web.login_attempts, settings.web.login_window_minutes * 60)
    app.middleware("http")(security_headers)
    app.add_middleware(SessionMiddleware, secret_key=secret_key(settings), session_cookie="newsdesk_session",
                       max_age=int(settings.web.session_hours * 3600), same_site="lax",
                       https_only=settings.web.secure_cookies)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in ROUTERS:
        app.include_router(router)
    app.add_api_route("/favicon.ico", lambda: Response(status_code=204), include_in_schema=False)
    _handlers(app)
    _index_archive(app.state.sessions)
    return app


def _index_archive(sessions: sessionmaker[Session]) -> None:
    """Items stored before the search index existed (or by another path) become searchable."""
    from pipeline.search import catch_up

    with transaction(sessions) as session:
        catch_up(session, limit=10**9)


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(NotLoggedIn)
    async def to_login(request: Request, exc: NotLoggedIn) -> Response:
        target = "/login?next=" + quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        if rendering.is_htmx(request):
            return Response(status_code=401, headers={"HX-Redirect": target})
        if request.method != "GET":
            return Response("請先登入", status_code=401, media_type="text/plain; charset=utf-8")
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        return _problem(request, 403, f"需要「{rendering.ROLE_NAMES.get(exc.needed, exc.needed)}」以上的權限。")

    @app.exception_handler(BadCsrf)
    async def bad_csrf(request: Request, exc: BadCsrf) -> Response:
        return _problem(request, 403, "表單已過期或來源不明（CSRF 檢查未通過），請重新整理頁面後再試。")

    for error in USER_ERRORS:
        @app.exception_handler(error)
        async def user_error(request: Request, exc: Any) -> Response:
            return _problem(request, 409, str(exc))


def _problem(request: Request, status: int, message: str) -> Response:
    """An HTMX request gets the message in the page's alert area; a plain one gets a small page."""
    if rendering.is_htmx(request):
        response = rendering.render(request, "_flash.html", status, message=message)
        response.headers.update({"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"})
        return response
    return rendering.render(request, "problem.html", status, message=message, status=status)
