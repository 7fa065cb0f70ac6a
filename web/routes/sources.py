"""Sources: the health of every configured source (last fetch, error, disabled, next run); an admin
may disable or enable one (``crawlers.state``, the same functions as ``newsdesk sources enable``)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from crawlers.state import disable, enable, ensure_row
from pipeline.models import Source, User
from pipeline.settings import Settings
from web.deps import DB, admin, csrf_check, officer, settings_of
from web.errors import InputError
from web.render import render

router = APIRouter(dependencies=[Depends(csrf_check)])


@router.get("/sources")
def sources(request: Request, user: User = Depends(officer), session: Session = DB,
            settings: Settings = Depends(settings_of)) -> Response:
    rows = {r.name: r for r in session.scalars(select(Source))}
    entries = [(src, rows.get(src.name)) for src in settings.sources]
    return render(request, "sources.html", entries=entries,
                  unknown=[r for name, r in rows.items() if name not in {s.name for s in settings.sources}])


def _toggle(session: Session, settings: Settings, name: str, off: bool) -> Response:
    src = next((s for s in settings.sources if s.name == name), None)
    if src is None:
        raise InputError(f"來源「{name}」不在設定中")
    row = ensure_row(session, src)
    (disable if off else enable)(row)
    return RedirectResponse("/sources", status_code=303)


@router.post("/sources/{name}/disable")
def disable_source(name: str, user: User = Depends(admin), session: Session = DB,
                   settings: Settings = Depends(settings_of)) -> Response:
    return _toggle(session, settings, name, True)


@router.post("/sources/{name}/enable")
def enable_source(name: str, user: User = Depends(admin), session: Session = DB,
                  settings: Settings = Depends(settings_of)) -> Response:
    return _toggle(session, settings, name, False)
