"""Login and logout. Failed logins are limited per address and name (``web.login_attempts``)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from pipeline.users import authenticate, normalize_name
from web.deps import DB, csrf_check, fingerprint
from web.render import render

router = APIRouter(dependencies=[Depends(csrf_check)])


def _safe_next(target: str | None) -> str:
    """Only a path on this site (never //host or a scheme), so the login cannot bounce elsewhere."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", next=_safe_next(next), error=None, name="")


@router.post("/login")
def login(request: Request, name: str = Form(""), password: str = Form(""), next: str = Form("/"),
          session: Session = DB) -> Response:
    limiter = request.app.state.limiter
    key = (request.client.host if request.client else "?", normalize_name(name))
    wait = limiter.blocked(key)
    if wait:
        return render(request, "login.html", 429, next=_safe_next(next), name=name,
                      error=f"登入失敗次數過多，請 {int(wait // 60) + 1} 分鐘後再試。")
    user = authenticate(session, name, password)
    if user is None:
        limiter.failed(key)
        return render(request, "login.html", 401, next=_safe_next(next), name=name, error="帳號或密碼錯誤。")
    limiter.succeeded(key)
    request.session.clear()  # a new session (and CSRF token) at login: no fixation
    request.session.update(uid=user.id, pw=fingerprint(user))
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
