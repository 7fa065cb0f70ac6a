"""Leases: which process works on a row now, across processes and machines, on SQLite and PostgreSQL.

A lease is an owner and an expiry on a row (``lease_owner``, ``lease_until``: alerts, posts, sources,
jobs). A process claims rows with one ``UPDATE … WHERE <still due> AND <lease free>``, so of two
processes racing for a row exactly one gets it (on PostgreSQL the candidates are picked with
``FOR UPDATE SKIP LOCKED``, so racing workers take different rows instead of queueing on one). Every
later write of the holder is fenced by the owner (``WHERE lease_owner = me``): a holder whose lease
expired and was taken over learns it and writes nothing.

A live lease is never taken over. A lease is free when it has none, it expired, or its owner is a
process on this machine that no longer exists (``kill -9``: the restarted process need not wait for
the expiry; on another machine only the expiry counts).

Every claim has an owner string of its own, ``host:pid:token:n``, so the rows of one claim can be
read back exactly. On SQLite the claim runs in a ``BEGIN IMMEDIATE`` transaction
(:func:`pipeline.db.writer`): it waits for the write lock rather than failing on a stale snapshot.
"""

from __future__ import annotations

import itertools
import os
import secrets
import socket
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from pipeline.db import writer
from pipeline.models import utcnow

HOST = socket.gethostname()[:60]
_seq = itertools.count(1)
_process: tuple[int, str] | None = None


def process_id() -> str:
    """``host:pid:token`` of this process (a new token after a fork: Celery's pool children)."""
    global _process
    pid = os.getpid()
    if _process is None or _process[0] != pid:
        _process = (pid, f"{HOST}:{pid}:{secrets.token_hex(3)}")
    return _process[1]


def new_owner() -> str:
    """A fresh owner string for one claim: this process's id plus a counter."""
    return f"{process_id()}:{next(_seq)}"


def owner_alive(owner: str | None) -> bool:
    """False only when we can tell: ``owner`` ran on this machine and its process is gone."""
    if not owner:
        return False
    host, _, rest = owner.partition(":")
    pid = rest.split(":", 1)[0]
    if host != HOST or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by another user
    return True


def free(model: Any, now: datetime, dead: Iterable[str] = ()) -> ColumnElement[bool]:
    """SQL: the row's lease is free at ``now`` (none, expired, or held by a dead local process)."""
    dead = list(dead)
    clauses = [model.lease_until.is_(None), model.lease_until < now]
    if dead:
        clauses.append(model.lease_owner.in_(dead))
    return or_(*clauses)


def dead_owners(sessions: sessionmaker[Session], model: Any, where: ColumnElement[bool] | None = None,
                now: datetime | None = None) -> list[str]:
    """Owners of live leases on ``model`` whose process is gone (same machine only)."""
    now = now or utcnow()
    query = select(model.lease_owner).where(model.lease_until >= now, model.lease_owner.like(f"{HOST}:%"))
    if where is not None:
        query = query.where(where)
    with sessions() as session:
        owners = set(session.scalars(query.distinct()))
    return sorted(o for o in owners if o and not owner_alive(o))


def claim(sessions: sessionmaker[Session], model: Any, where: ColumnElement[bool], *, seconds: float,
          limit: int = 1, order_by: Any = None, now: datetime | None = None,
          values: dict[str, Any] | None = None) -> tuple[str, list[Any]]:
    """Lease up to ``limit`` rows of ``model`` matching ``where`` whose lease is free.

    Returns (owner, primary keys claimed), committed. ``values`` are set in the same statement
    (e.g. ``status="sending"``).
    """
    now = now or utcnow()
    pk = _pk(model)
    dead = dead_owners(sessions, model, where, now)
    owner = new_owner()
    cond = and_(where, free(model, now, dead))
    with writer(sessions)() as session:
        pick = select(pk).where(cond).limit(limit)
        if order_by is not None:
            pick = pick.order_by(order_by)
        if session.get_bind().dialect.name == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        # The candidates first, then the update: as a subquery of the UPDATE, PostgreSQL may run the
        # LIMIT … SKIP LOCKED pick again for each row and so claim more than ``limit`` rows.
        chosen = list(session.scalars(pick))
        if chosen:
            stmt = (update(model).where(pk.in_(chosen), cond)
                    .values(lease_owner=owner, lease_until=now + timedelta(seconds=seconds), **(values or {}))
                    .execution_options(synchronize_session=False))
            session.execute(stmt)
        session.commit()
        keys = list(session.scalars(select(pk).where(model.lease_owner == owner)))
    return owner, keys


def claim_key(sessions: sessionmaker[Session], model: Any, key: Any, where: ColumnElement[bool] | None = None,
              *, seconds: float, now: datetime | None = None, values: dict[str, Any] | None = None) -> str | None:
    """Lease the one row ``key`` if ``where`` holds and its lease is free; the owner, or None."""
    pk = _pk(model)
    cond = pk == key if where is None else and_(pk == key, where)
    owner, keys = claim(sessions, model, cond, seconds=seconds, now=now, values=values)
    return owner if keys else None


def fenced(session: Session, model: Any, key: Any, owner: str, **values: Any) -> bool:
    """Write ``values`` to row ``key`` only while ``owner`` holds its lease (not committed)."""
    pk = _pk(model)
    result = session.execute(update(model).where(pk == key, model.lease_owner == owner).values(**values)
                             .execution_options(synchronize_session=False))
    return bool(getattr(result, "rowcount", 0))


def release(session: Session, model: Any, key: Any, owner: str, **values: Any) -> bool:
    """End ``owner``'s lease on ``key`` and write ``values`` with it (not committed)."""
    return fenced(session, model, key, owner, lease_owner=None, lease_until=None, **values)


def renew(sessions: sessionmaker[Session], model: Any, key: Any, owner: str, seconds: float) -> bool:
    """Extend a lease still held by ``owner``; False when it was lost."""
    with writer(sessions)() as session:
        ok = fenced(session, model, key, owner, lease_until=utcnow() + timedelta(seconds=seconds))
        session.commit()
    return ok


def _pk(model: Any) -> Any:
    cols = list(model.__table__.primary_key.columns)
    if len(cols) != 1:
        raise TypeError(f"{model.__name__}: a lease needs a single-column primary key")
    return getattr(model, cols[0].key)
