"""The dashboard's routes, one module per page; every router checks CSRF on state-changing requests."""

from __future__ import annotations

from fastapi import APIRouter

from web.routes import admin, auth, calendar, coverage, inbox, press, reports, search, sources, story

ROUTERS: list[APIRouter] = [auth.router, inbox.router, story.router, search.router, press.router,
                            calendar.router, reports.router, coverage.router, sources.router, admin.router]
