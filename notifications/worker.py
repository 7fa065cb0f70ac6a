"""The outbox worker loop: delivers until stopped, and never dies silently.

Anything unexpected (a database error, a bug in a notifier) is logged with the alert in hand,
recorded on the worker's heartbeat row (``newsdesk status`` shows it), and retried with back-off
(1 s doubling up to a minute); the loop goes on. A notifier that cannot send at all (revoked token,
missing scope) is asked again every ``backoff_cap`` seconds, while the fallback covers its alerts.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy.orm import Session, sessionmaker

from notifications.base import Notifier, NotifierUnavailable
from notifications.fallback import escalate
from notifications.outbox import RetryPolicy, deliver_pending
from pipeline.db import writer
from pipeline.heartbeat import Heartbeat

log = logging.getLogger(__name__)
MAX_PAUSE = 60.0


def deliver_once(sessions: sessionmaker[Session], notifier: Notifier, policy: RetryPolicy,
                 current: list[int], fallback_after: float | None = None) -> tuple[int, int]:
    """One pass: escalate stuck primary alerts (when ``notifier`` is the fallback), then deliver."""
    with writer(sessions)() as session:
        if fallback_after is not None:
            escalate(session, notifier.name, fallback_after)
        return deliver_pending(session, notifier, policy=policy, current=current)


def run_worker(sessions: sessionmaker[Session], notifier: Notifier, stop: threading.Event, *,
               policy: RetryPolicy | None = None, poll: float = 0.2, fallback_after: float | None = None,
               heartbeat: Heartbeat | None = None) -> None:
    """Deliver until ``stop`` is set; polls the table every ``poll`` seconds when idle."""
    policy = policy or RetryPolicy()
    beat = heartbeat or Heartbeat(sessions, "outbox", notifier.name)
    pause = 1.0
    while not stop.is_set():
        current: list[int] = []
        try:
            sent, failed = deliver_once(sessions, notifier, policy, current, fallback_after)
            beat.beat(sent)
            pause = 1.0
            if sent + failed == 0:
                stop.wait(poll)
        except NotifierUnavailable as exc:
            log.error("%s cannot send (alerts kept; retrying in %.0f s): %s", notifier.name, policy.cap, exc)
            beat.error(f"unavailable: {exc}")
            stop.wait(policy.cap)
        except Exception as exc:  # noqa: BLE001 - the worker must outlive any single failure
            where = f"alert {current[0]}" if current else "the outbox"
            log.exception("%s worker: unexpected error on %s; retrying in %.0f s", notifier.name, where, pause)
            beat.error(f"{where}: {type(exc).__name__}: {exc}")
            stop.wait(pause)
            pause = min(MAX_PAUSE, pause * 2)
    beat.stop()
