"""Process heartbeats: each scheduler, outbox worker and Celery worker keeps a ``workers`` row fresh,
so ``newsdesk status`` can show what runs, what it last did, and which one went quiet.

A row whose ``seen_at`` is older than :data:`STALE_AFTER` belongs to a process that died or hangs.
Writes are best effort: a heartbeat that cannot be written (the database is busy) is logged and
skipped, never a reason for the worker to stop.
"""

from __future__ import annotations

import logging
import os
import time
from datetime import timedelta

from sqlalchemy import delete, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from pipeline.db import writer
from pipeline.leases import HOST, process_id
from pipeline.models import Worker, utcnow

log = logging.getLogger(__name__)
STALE_AFTER = timedelta(seconds=90)
EVERY = 5.0  # seconds between heartbeats
FORGET_AFTER = timedelta(days=7)  # rows of processes gone this long are dropped


class Heartbeat:
    """One process's (or thread's) row in ``workers``; :meth:`beat` is cheap to call often."""

    def __init__(self, sessions: sessionmaker[Session], kind: str, name: str) -> None:
        self.sessions = writer(sessions)
        self.id = f"{process_id()}:{kind}:{name}"[:120]
        self.kind, self.name = kind, name
        self.done = self.errors = 0
        self._last = 0.0
        self._write(new=True)

    def beat(self, done: int = 0, *, state: str = "running", force: bool = False) -> None:
        self.done += done
        if force or time.monotonic() - self._last >= EVERY:
            self._write(state=state)

    def error(self, message: str) -> None:
        """Record an unexpected error (shown by ``newsdesk status``) and write it at once."""
        self.errors += 1
        self._write(state="recovering", error=message[:2000])

    def stop(self) -> None:
        self._write(state="stopped")

    def _write(self, *, new: bool = False, state: str = "running", error: str | None = None) -> None:
        now = utcnow()
        try:
            with self.sessions() as s:
                if new:
                    s.execute(delete(Worker).where(Worker.seen_at < now - FORGET_AFTER))
                    s.merge(Worker(id=self.id, kind=self.kind, name=self.name, host=HOST, pid=os.getpid(),
                                   started_at=now, seen_at=now, state=state, done=0, errors=0))
                else:
                    values: dict[str, object] = {"seen_at": now, "state": state, "done": self.done,
                                                 "errors": self.errors}
                    if error is not None:
                        values.update(last_error=error, last_error_at=now)
                    s.execute(update(Worker).where(Worker.id == self.id).values(**values))
                s.commit()
            self._last = time.monotonic()
        except SQLAlchemyError as exc:
            log.warning("heartbeat of %s %s not written: %s", self.kind, self.name, exc)
