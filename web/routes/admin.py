"""Admin pages: users (add, disable, enable) and the effective settings (secrets masked)."""

from __future__ import annotations

import json

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from pipeline.models import User
from pipeline.settings import Settings, effective
from pipeline.users import ROLES, add_user, listing, set_disabled
from web.deps import DB, admin, csrf_check, settings_of
from web.render import render

router = APIRouter(dependencies=[Depends(csrf_check)])


@router.get("/admin/users")
def users(request: Request, user: User = Depends(admin), session: Session = DB) -> Response:
    return render(request, "users.html", users=listing(session), roles=ROLES)


@router.post("/admin/users")
def add(name: str = Form(""), role: str = Form("officer"), password: str = Form(""), user: User = Depends(admin),
        session: Session = DB) -> Response:
    add_user(session, name, role, password or None)
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{user_id}/disable")
def disable(user_id: int, user: User = Depends(admin), session: Session = DB) -> Response:
    return _set(session, user, user_id, True)


@router.post("/admin/users/{user_id}/enable")
def enable(user_id: int, user: User = Depends(admin), session: Session = DB) -> Response:
    return _set(session, user, user_id, False)


def _set(session: Session, me: User, user_id: int, off: bool) -> Response:
    from pipeline.users import UserError

    target = session.get(User, user_id)
    if target is None:
        raise UserError(f"使用者 #{user_id} 不存在")
    if off and target.id == me.id:
        raise UserError("不能停用自己的帳號")
    set_disabled(session, target.name, off)
    return RedirectResponse("/admin/users", status_code=303)


@router.get("/admin/settings")
def settings_page(request: Request, user: User = Depends(admin), settings: Settings = Depends(settings_of)) -> Response:
    """``newsdesk config check --json``: secrets appear only as set or unset, the database password masked."""
    return render(request, "settings.html", text=json.dumps(effective(settings), ensure_ascii=False, indent=2))
