"""Accounts: who may do what, for the dashboard and for the CLI's ``--as``.

A name is stored normalised (NFKC, whitespace collapsed to single spaces, trimmed), so ``amy`` and
``ａｍｙ `` are the same person and one of them cannot slip past a check that compares names. Every
check that matters (self-approval) compares user ids. Roles are ordered: an admin may do all a
reviewer may, a reviewer all an officer may.

Passwords are hashed with argon2id (argon2-cffi's defaults); the hash is never shown.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.models import User, utcnow

ROLES = ("officer", "reviewer", "admin")
_hasher = PasswordHasher()
# Verifying against this when the name is unknown keeps the answer's timing the same for both cases.
_DUMMY_HASH = _hasher.hash("newsdesk: no such user")


class UserError(ValueError):
    """A user cannot be created, found or used; the message says why."""


def normalize_name(name: str) -> str:
    """NFKC, then runs of whitespace as one space, trimmed: how a name is stored and looked up."""
    return " ".join(unicodedata.normalize("NFKC", name).split())


def role_at_least(role: str, needed: str) -> bool:
    return ROLES.index(role) >= ROLES.index(needed)


def check_password(password: str) -> None:
    if len(password) < 8:
        raise UserError("a password needs at least 8 characters")


def add_user(session: Session, name: str, role: str, password: str | None, now: datetime | None = None) -> User:
    key = normalize_name(name)
    if not key:
        raise UserError("a user needs a name")
    if role not in ROLES:
        raise UserError(f"role {role!r}: choose from {', '.join(ROLES)}")
    if password is not None:
        check_password(password)
    if session.scalar(select(User.id).where(User.name == key)) is not None:
        raise UserError(f"user {key!r} already exists")
    user = User(name=key, role=role, password_hash=_hasher.hash(password) if password else None,
                disabled=False, created_at=now or utcnow())
    session.add(user)
    session.flush()
    return user


def find_user(session: Session, name: str) -> User | None:
    return session.scalar(select(User).where(User.name == normalize_name(name)))


def resolve(session: Session, name: str) -> User:
    """The active user called ``name`` (normalised): what the CLI's ``--as`` must name."""
    user = find_user(session, name)
    if user is None:
        known = session.scalar(select(User.id).limit(1)) is not None
        hint = "see `newsdesk users list`" if known else "add one with `newsdesk users add NAME --role officer`"
        raise UserError(f"--as {normalize_name(name)!r}: no such user ({hint})")
    if user.disabled:
        raise UserError(f"user {user.name!r} is disabled")
    return user


def authenticate(session: Session, name: str, password: str, now: datetime | None = None) -> User | None:
    """The user if ``password`` is theirs and they are active, else None (same work either way)."""
    user = find_user(session, name)
    try:
        _hasher.verify(user.password_hash if user and user.password_hash else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or user.disabled or not user.password_hash:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = now or utcnow()
    return user


def set_disabled(session: Session, name: str, disabled: bool = True) -> User:
    user = find_user(session, name)
    if user is None:
        raise UserError(f"no such user {normalize_name(name)!r}")
    user.disabled = disabled
    return user


def set_password(session: Session, name: str, password: str) -> User:
    user = find_user(session, name)
    if user is None:
        raise UserError(f"no such user {normalize_name(name)!r}")
    check_password(password)
    user.password_hash = _hasher.hash(password)
    return user


def listing(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name)))
