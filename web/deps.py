"""Request dependencies: the database session, the logged-in user, the role a route needs, CSRF."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from pipeline.db import transaction
from pipeline.models import User
from pipeline.settings import Settings
from pipeline.users import role_at_least
from web.security import SAFE_METHODS, csrf_ok


@dataclass(frozen=True)
class Viewer:
    id: int
    name: str
    role: str


class NotLoggedIn(Exception):
    """No valid session: pages redirect to the login, other requests get 401."""


class Forbidden(Exception):
    """The user's role does not allow this route."""

    def __init__(self, needed: str) -> None:
        super().__init__(needed)
        self.needed = needed


class BadCsrf(Exception):
    """A state-changing request without the session's CSRF token."""


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


def db(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the route returns, rolled back on an error."""
    with transaction(request.app.state.sessions) as session:
        yield session


# The transaction ends before the response is sent: a redirect never outruns its commit.
DB = Depends(db, scope="function")


def fingerprint(user: User) -> str:
    """Changes with the password, so a new password ends the sessions made with the old one."""
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]


def current_user(request: Request, session: Session = DB) -> User:
    user_id = request.session.get("uid")
    user = session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or user.disabled or request.session.get("pw") != fingerprint(user):
        request.session.pop("uid", None)
        raise NotLoggedIn()
    # what templates show: a plain copy, still readable after a failed request's rollback
    request.state.user = Viewer(user.id, user.name, user.role)
    return user


def require(role: str) -> Callable[..., User]:
    """A dependency that lets ``role`` and the roles above it through (``.role`` says which)."""

    def check(user: User = Depends(current_user)) -> User:
        if not role_at_least(user.role, role):
            raise Forbidden(role)
        return user

    check.role = role  # type: ignore[attr-defined]  # read by the test that walks every route
    return check


async def csrf_check(request: Request) -> None:
    """Every state-changing request carries the session's token (header for HTMX, field for forms)."""
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get("x-csrf-token")
    if not sent and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value: Any = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    if not csrf_ok(request, sent):
        raise BadCsrf()


officer = require("officer")
reviewer = require("reviewer")
admin = require("admin")
