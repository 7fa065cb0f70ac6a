"""The outbox: every alert is written to the database first, then delivered by a worker.

``enqueue`` is idempotent: one alert per story per channel (keyed by ``idempotency_key``); a later
copy of the same story (same cluster) becomes a ``copy`` alert that goes into the story's thread.
``deliver_pending`` sends what is due, one attempt per alert, committing around each send:

* the alert is marked ``sending`` and committed *before* the send, so after a crash the next worker
  knows the send may have happened and looks for the message (by its idempotency key, which Slack
  keeps in the message metadata) before sending again: exactly one message per story and channel;
* failures back off exponentially (``RetryPolicy``), honour ``Retry-After``, and survive restarts
  because the schedule is in the table; after ``max_attempts`` the alert is ``dead`` (dead-letter:
  ``newsdesk alerts failed`` / ``alerts retry``);
* copies in a thread go out in order, after their story's first message; a channel that is not ready
  (rate limit) is skipped for this pass, not waited for.

Statuses: pending → sending → sent | failed (retried) | dead.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from notifications.base import (
    AlertMessage,
    Delivery,
    Notifier,
    NotifierError,
    NotifierUnavailable,
    PermanentError,
)
from notifications.ratelimit import ChannelRateLimiter
from pipeline.items import Item
from pipeline.models import Alert, Cluster, ItemRow, utcnow
from pipeline.settings import Settings

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 12
DUE = ("pending", "failed", "sending")


@dataclass(frozen=True)
class RetryPolicy:
    """Back-off doubles from ``base`` seconds up to ``cap``; ``max_attempts`` tries before dead-letter."""

    max_attempts: int = MAX_ATTEMPTS
    base: float = 10.0
    cap: float = 900.0

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        n = settings.notifications
        return cls(max_attempts=n.max_attempts, cap=float(n.backoff_cap))

    def delay(self, attempts: int, retry_after: float | None = None) -> float:
        backoff = min(self.cap, self.base * 2 ** max(0, attempts - 1)) * random.uniform(0.8, 1.0)
        return max(backoff, retry_after or 0.0)


@runtime_checkable
class Recoverable(Protocol):
    """A notifier that can find a message it may already have sent, and rewrite a story's first message."""

    def find_sent(self, message: AlertMessage, channel: str, since: datetime) -> Delivery | None: ...

    def update(self, message: AlertMessage, channel: str, ts: str) -> None: ...


def story_key(notifier: str, channel: str, item: Item) -> str:
    story = f"cluster:{item.cluster_id}" if item.cluster_id else f"item:{item.id}"
    return f"{notifier}:{channel}:{story}"


def enqueue(session: Session, item: Item, channel: str, notifier: str, *,
            not_before: datetime | None = None) -> Alert | None:
    """Write a pending alert for a stored item; None when this item already has one on this channel.

    The first item of a story gets the story's alert; later items of the same cluster get a ``copy``
    alert that is delivered into the story's thread.
    """
    key = story_key(notifier, channel, item)
    parent = session.scalar(select(Alert).where(Alert.idempotency_key == key))
    kind, payload = "item", {}
    if parent is not None:
        if item.cluster_id is None or parent.item_id == item.id:
            return None
        key, kind, payload = f"{key}:item:{item.id}", "copy", {"parent_id": parent.id}
        if session.scalar(select(Alert.id).where(Alert.idempotency_key == key)) is not None:
            return None
    alert = Alert(item_id=item.id, cluster_id=item.cluster_id, channel=channel, notifier=notifier, kind=kind,
                  idempotency_key=key, status="pending", next_attempt_at=not_before or utcnow(),
                  payload=payload)
    session.add(alert)
    session.flush()
    return alert


def message_for(session: Session, alert: Alert) -> AlertMessage:
    """What the notifier renders, from the stored item, its latest score and its story's counts."""
    row = session.get(ItemRow, alert.item_id) if alert.item_id else None
    if row is None:  # a system alert (e.g. a platform to reconnect) carries its own text
        text = str(alert.payload.get("text") or "(item removed)")
        return AlertMessage(alert.id, text, "", str(alert.payload.get("platform", "")), None, 0.0, "", "",
                            idempotency_key=alert.idempotency_key)
    score = row.scores[-1] if row.scores else None
    cluster = session.get(Cluster, row.cluster_id) if row.cluster_id else None
    return AlertMessage(
        alert_id=alert.id, title=row.headline, url=row.url, outlet=row.outlet or row.source,
        published_at=row.published_at, score=score.score if score else 0.0,
        label=score.label if score else "", model=score.model if score else "",
        agencies=sorted({m.agency for m in row.matches}),
        terms=sorted({t for m in row.matches for t in m.terms}), priority=row.priority,
        cluster_id=row.cluster_id, idempotency_key=alert.idempotency_key,
        outlets_count=max(1, len(cluster.outlets or [])) if cluster else 1,
        reach=cluster.reach if cluster else 0)


def _parent(session: Session, alert: Alert) -> Alert | None:
    pid = (alert.payload or {}).get("parent_id")
    return session.get(Alert, pid) if pid else None


def _waits_for_earlier(session: Session, alert: Alert) -> bool:
    """True while an earlier alert of the same thread is unsent: copies keep their order."""
    if alert.cluster_id is None:
        return False
    parent = _parent(session, alert)
    if parent is not None and parent.status != "sent":
        return True
    earlier = select(Alert.id).where(
        Alert.notifier == alert.notifier, Alert.channel == alert.channel,
        Alert.cluster_id == alert.cluster_id, Alert.id < alert.id, Alert.status.in_(DUE)).limit(1)
    return session.scalar(earlier) is not None


def deliver_pending(session: Session, notifier: Notifier, limit: int = 100, *,
                    policy: RetryPolicy | None = None, now: datetime | None = None) -> tuple[int, int]:
    """Send due alerts for this notifier; returns (sent, failed). Commits around each alert.

    Raises :class:`NotifierUnavailable` (after recording it) when the notifier cannot send at all,
    e.g. a revoked token: the alerts stay pending for later.
    """
    policy = policy or RetryPolicy()
    now = now or utcnow()
    limiter: ChannelRateLimiter | None = getattr(notifier, "limiter", None)
    due = session.scalars(
        select(Alert).where(Alert.notifier == notifier.name, Alert.status.in_(DUE),
                            Alert.next_attempt_at <= now).order_by(Alert.id).limit(limit)).all()
    sent = failed = 0
    held: set[tuple[str, int]] = set()  # threads with an earlier alert not delivered in this pass
    for alert in due:
        thread = (alert.channel, alert.cluster_id) if alert.cluster_id else None
        if thread in held or _waits_for_earlier(session, alert) or (limiter and limiter.wait(alert.channel)):
            if thread:
                held.add(thread)
            continue
        if _attempt(session, notifier, alert, policy, limiter, now):
            sent += 1
        else:
            failed += 1
            if thread:
                held.add(thread)
    return sent, failed


def _attempt(session: Session, notifier: Notifier, alert: Alert, policy: RetryPolicy,
             limiter: ChannelRateLimiter | None, now: datetime) -> bool:
    message = message_for(session, alert)
    parent = _parent(session, alert)
    if parent is not None:
        message.thread_ts = parent.external_id
    uncertain = alert.status == "sending" or bool((alert.payload or {}).get("maybe_sent"))
    alert.status, alert.attempts = "sending", alert.attempts + 1
    session.commit()  # from here on a crash leaves "sending": the next try looks before resending
    try:
        delivery = None
        if uncertain and isinstance(notifier, Recoverable):
            delivery = notifier.find_sent(message, alert.channel, alert.created_at)
            if delivery is not None:
                log.info("alert %s was already delivered (%s); not sending again",
                         alert.id, delivery.external_id)
        if delivery is None:
            try:
                delivery = notifier.send(message, alert.channel)
            finally:
                # Counted from the end of the send (which may hold slack-sdk's own retries), so the
                # next message to this channel is a full interval after this one reached Slack.
                if limiter:
                    limiter.mark(alert.channel)
    except NotifierUnavailable as exc:
        _record_failure(alert, exc, policy, now, status="pending", retry_after=policy.cap)
        alert.attempts -= 1  # not the alert's fault: it must not drift towards the dead-letter
        session.commit()
        raise
    except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried later
        retry_after = exc.retry_after if isinstance(exc, NotifierError) else None
        if retry_after and limiter:
            limiter.penalise(alert.channel, retry_after)
        dead = isinstance(exc, PermanentError) or alert.attempts >= policy.max_attempts
        _record_failure(alert, exc, policy, now, status="dead" if dead else "failed", retry_after=retry_after)
        session.commit()
        return False
    alert.status, alert.sent_at, alert.external_id = "sent", utcnow(), delivery.external_id
    alert.thread_id = message.thread_ts or delivery.external_id
    alert.last_error = None
    alert.payload = {**(alert.payload or {}), "channel_id": delivery.channel, "maybe_sent": False}
    session.commit()
    if parent is not None:
        _refresh_parent(session, notifier, parent)
    return True


def _record_failure(alert: Alert, exc: Exception, policy: RetryPolicy, now: datetime, *, status: str,
                    retry_after: float | None) -> None:
    # An unclassified error (a bug, a foreign notifier) may have struck after sending: look first.
    maybe = bool(getattr(exc, "maybe_sent", False)) or not isinstance(exc, NotifierError)
    alert.status = status
    alert.last_error = f"{type(exc).__name__}: {exc}"
    alert.next_attempt_at = now + timedelta(seconds=policy.delay(alert.attempts, retry_after))
    payload = alert.payload or {}
    alert.payload = {**payload, "maybe_sent": maybe or bool(payload.get("maybe_sent"))}
    log.warning("alert %s to %s %s (try %d): %s",
                alert.id, alert.channel, status, alert.attempts, alert.last_error)


def _refresh_parent(session: Session, notifier: Notifier, parent: Alert) -> None:
    """A copy went into the thread: update the story's first message (outlets, reach). Best effort."""
    if not isinstance(notifier, Recoverable) or not parent.external_id:
        return
    try:
        notifier.update(message_for(session, parent), parent.channel, parent.external_id)
    except NotifierError as exc:
        log.warning("could not update the first message of alert %s: %s", parent.id, exc)


def dead_letters(session: Session, notifier: str | None = None) -> list[Alert]:
    """Alerts that gave up (and those still failing), newest first."""
    query = select(Alert).where(Alert.status.in_(("dead", "failed"))).order_by(Alert.id.desc())
    if notifier:
        query = query.where(Alert.notifier == notifier)
    return list(session.scalars(query))


def requeue(session: Session, ids: list[int] | None = None) -> int:
    """Put dead alerts (all, or those in ``ids``) back in the queue; returns how many."""
    query = select(Alert).where(Alert.status.in_(("dead", "failed")))
    if ids:
        query = query.where(Alert.id.in_(ids))
    rows = list(session.scalars(query))
    for alert in rows:
        alert.status, alert.attempts, alert.next_attempt_at = "pending", 0, utcnow()
    session.flush()
    return len(rows)


def drain(sessions: sessionmaker[Session], notifier: Notifier, *, policy: RetryPolicy | None = None,
          seconds: float = 60.0, pause: float = 0.2) -> tuple[int, int]:
    """Deliver until nothing is due or ``seconds`` pass, waiting out each channel's rate limit
    (a single ``deliver_pending`` pass sends one message per channel that is ready).

    Returns (sent, failed); raises :class:`NotifierUnavailable` like ``deliver_pending``.
    """
    deadline = time.monotonic() + seconds
    sent = failed = 0
    while True:
        with sessions() as session:
            s, f = deliver_pending(session, notifier, policy=policy)
            due = session.scalar(select(func.count()).select_from(Alert).where(
                Alert.notifier == notifier.name, Alert.status.in_(DUE), Alert.next_attempt_at <= utcnow()))
        sent, failed = sent + s, failed + f
        if not due or time.monotonic() >= deadline:
            return sent, failed
        time.sleep(pause)


def run_worker(sessions: sessionmaker[Session], notifier: Notifier, stop: threading.Event, *,
               policy: RetryPolicy | None = None, poll: float = 0.2, **_: Any) -> None:
    """Deliver until ``stop`` is set; polls the table every ``poll`` seconds when idle."""
    while not stop.is_set():
        busy = False
        try:
            with sessions() as session:
                sent, failed = deliver_pending(session, notifier, policy=policy)
                busy = sent + failed > 0
        except NotifierUnavailable as exc:
            log.error("%s", exc)
            stop.wait((policy or RetryPolicy()).cap)
        if not busy:
            stop.wait(poll)
