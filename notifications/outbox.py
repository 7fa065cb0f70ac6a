"""The outbox: every alert is written to the database first, then delivered by any number of workers.

``enqueue`` is idempotent: one alert per story per channel (keyed by ``idempotency_key``); a later
copy of the same story (same cluster) becomes a ``copy`` alert that goes into the story's thread.
``deliver_pending`` sends what is due, one attempt per alert:

* an alert is *claimed* before it is sent (:mod:`pipeline.leases`): one ``UPDATE`` sets it
  ``sending`` with this worker as the lease owner, only if it is still due and nobody holds it, so
  two workers (two ``run`` processes, Celery workers, ``alerts deliver``) never send the same alert;
* the claim is committed *before* the send, so after a crash the next worker knows the send may
  have happened and looks for the message (by its idempotency key, which Slack keeps in the message
  metadata) before sending again: exactly one message per story and channel. A live lease is never
  taken over; an expired one (or one whose process is gone) is, and always through that look-up;
* every write after the send is fenced by the lease owner, so a worker that lost its lease records
  nothing over the new holder's work;
* failures back off exponentially (``RetryPolicy``), honour ``Retry-After``, and survive restarts
  because the schedule is in the table; after ``max_attempts`` the alert is ``dead`` (dead-letter:
  ``newsdesk alerts failed`` / ``alerts retry``);
* copies in a thread go out in order, after their story's first message; a channel that is not ready
  (rate limit) is skipped for this pass, not waited for;
* spikes, digests and system notices are messages of their own kind (:mod:`notifications.spike`,
  :mod:`notifications.digest`), retried like alerts and paced by the same rate limit.

Statuses: pending → sending → sent | failed (retried) | dead.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import and_, func, or_, select
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
from pipeline import leases
from pipeline.items import Item, routing_order
from pipeline.models import Alert, Cluster, ItemRow, utcnow
from pipeline.redact import redact
from pipeline.settings import Settings

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 12
DUE = ("pending", "failed", "sending")
LEASE_SECONDS = 120.0  # longer than one send can take (timeout 10 s, a few rate-limit retries)


@dataclass(frozen=True)
class RetryPolicy:
    """Back-off doubles from ``base`` seconds up to ``cap``; ``max_attempts`` tries before dead-letter."""

    max_attempts: int = MAX_ATTEMPTS
    base: float = 10.0
    cap: float = 900.0
    lease: float = LEASE_SECONDS

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        n = settings.notifications
        return cls(max_attempts=n.max_attempts, base=float(n.backoff_base), cap=float(n.backoff_cap),
                   lease=float(n.lease_seconds))

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
    """What the notifier renders: a story from its stored item, or a spike / notice from the payload."""
    payload = alert.payload or {}
    if alert.kind in ("spike", "system", "digest"):
        title = str(payload.get("text") or payload.get("name") or alert.kind)
        return AlertMessage(alert.id, title, "", str(payload.get("platform", "")), None, 0.0, "", "",
                            idempotency_key=alert.idempotency_key, kind=alert.kind, details=dict(payload))
    row = session.get(ItemRow, alert.item_id) if alert.item_id else None
    if row is None:  # the item was deleted: say so rather than send an empty story
        text = str(payload.get("text") or f"(alert #{alert.id}: its item was removed)")
        return AlertMessage(alert.id, text, "", "", None, 0.0, "", "", idempotency_key=alert.idempotency_key,
                            kind="system")
    score = row.scores[-1] if row.scores else None
    cluster = session.get(Cluster, row.cluster_id) if row.cluster_id else None
    return AlertMessage(
        alert_id=alert.id, title=row.headline, url=row.url, outlet=row.outlet or row.source,
        published_at=row.published_at, score=score.score if score else 0.0,
        label=score.label if score else "", model=score.model if score else "",
        agencies=routing_order(row.agency, sorted({m.agency for m in row.matches})), reasons=_reasons(row),
        terms=sorted({t for m in row.matches for t in m.terms}), priority=row.priority,
        cluster_id=row.cluster_id, idempotency_key=alert.idempotency_key,
        outlets_count=max(1, len(cluster.outlets or [])) if cluster else 1,
        reach=cluster.reach if cluster else 0, kind=alert.kind)


def _reasons(row: ItemRow) -> list[str]:
    decision = (row.meta or {}).get("decision") or {}
    return [str(r) for r in decision.get("reasons") or []]


def _parent(session: Session, alert: Alert) -> Alert | None:
    pid = (alert.payload or {}).get("parent_id")
    return session.get(Alert, pid, populate_existing=True) if pid else None


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


def due_query(notifier: str, now: datetime) -> Any:
    return and_(Alert.notifier == notifier, Alert.status.in_(DUE), Alert.next_attempt_at <= now)


def deliver_pending(session: Session, notifier: Notifier, limit: int = 100, *,
                    policy: RetryPolicy | None = None, now: datetime | None = None,
                    current: list[int] | None = None) -> tuple[int, int]:
    """Send due alerts for this notifier; returns (sent, failed). Commits ``session`` first.

    Raises :class:`NotifierUnavailable` (after recording it) when the notifier cannot send at all,
    e.g. a revoked token: the alerts stay pending for later. ``current`` receives the id of the alert
    in hand, so a caller can name it if something unexpected breaks.
    """
    policy = policy or RetryPolicy()
    now = now or utcnow()
    session.commit()  # claims run in their own transactions: nothing of ours may hold the write lock
    sessions = sessionmaker(session.get_bind(), expire_on_commit=False)
    limiter: ChannelRateLimiter | None = getattr(notifier, "limiter", None)
    free = leases.free(Alert, now, leases.dead_owners(sessions, Alert, Alert.notifier == notifier.name, now))
    due = session.execute(
        select(Alert.id, Alert.status, Alert.attempts).where(due_query(notifier.name, now), free)
        .order_by(Alert.id).limit(limit)).all()
    session.commit()
    sent = failed = 0
    held: set[tuple[str, int]] = set()  # threads with an earlier alert not delivered in this pass
    for alert_id, seen_status, seen_attempts in due:
        alert = session.get(Alert, alert_id, populate_existing=True)
        if alert is None or alert.status != seen_status:
            continue
        thread = (alert.channel, alert.cluster_id) if alert.cluster_id else None
        if thread in held or _waits_for_earlier(session, alert) or (limiter and limiter.wait(alert.channel)):
            if thread:
                held.add(thread)
            session.commit()
            continue
        session.commit()
        owner = leases.claim_key(
            sessions, Alert, alert_id, and_(Alert.status == seen_status, Alert.attempts == seen_attempts,
                                            Alert.next_attempt_at <= now),
            seconds=policy.lease, now=now, values={"status": "sending", "attempts": Alert.attempts + 1})
        if owner is None:
            continue  # another worker took it (or it changed) since we looked
        if current is not None:
            current[:] = [alert_id]
        session.refresh(alert)
        if _attempt(session, notifier, alert, owner, seen_status, policy, limiter, now):
            sent += 1
        else:
            failed += 1
            if thread:
                held.add(thread)
    return sent, failed


def _attempt(session: Session, notifier: Notifier, alert: Alert, owner: str, before: str,
             policy: RetryPolicy, limiter: ChannelRateLimiter | None, now: datetime) -> bool:
    uncertain = before == "sending" or bool((alert.payload or {}).get("maybe_sent"))
    parent = _parent(session, alert)
    message = message_for(session, alert)
    if parent is not None:
        message.thread_ts = parent.external_id
    session.commit()  # end the read: nothing is held while the platform is called
    try:
        delivery = _deliver(session, notifier, alert, message, uncertain, limiter)
    except NotifierUnavailable as exc:
        # Not the alert's fault: it must not drift towards the dead-letter.
        _finish_failure(session, alert, owner, exc, policy, now, status="pending", retry_after=policy.cap,
                        counted=False)
        raise
    except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried later
        retry_after = exc.retry_after if isinstance(exc, NotifierError) else None
        if retry_after and limiter:
            limiter.penalise(alert.channel, retry_after)
        dead = isinstance(exc, PermanentError) or alert.attempts >= policy.max_attempts
        _finish_failure(session, alert, owner, exc, policy, now, status="dead" if dead else "failed",
                        retry_after=retry_after)
        return False
    payload = {**(alert.payload or {}), "channel_id": delivery.channel, "maybe_sent": False}
    if not leases.release(session, Alert, alert.id, owner, status="sent", sent_at=utcnow(),
                          external_id=delivery.external_id, thread_id=message.thread_ts or delivery.external_id,
                          last_error=None, payload=payload):
        log.warning("alert %s: lease lost while sending; another worker owns it now", alert.id)
    session.commit()
    session.refresh(alert)
    if parent is not None:
        _refresh_parent(session, notifier, parent)
    return True


def _deliver(session: Session, notifier: Notifier, alert: Alert, message: AlertMessage, uncertain: bool,
             limiter: ChannelRateLimiter | None) -> Delivery:
    """Look first when the last try may have gone out; else send (a digest goes its own way)."""
    # A digest that failed part-way (posted, then the chart upload failed) is looked up too.
    if (uncertain or (alert.kind == "digest" and alert.attempts > 1)) and isinstance(notifier, Recoverable):
        found = notifier.find_sent(message, alert.channel, alert.created_at)
        if found is not None:
            log.info("alert %s was already delivered (%s); not sending again", alert.id, found.external_id)
            return found
    try:
        if alert.kind == "digest":
            from notifications.digest import deliver_digest

            return deliver_digest(session, notifier, alert, message)
        return notifier.send(message, alert.channel)
    finally:
        # Counted from the end of the send (which may hold slack-sdk's own retries), so the next
        # message to this channel is a full interval after this one reached the platform.
        if limiter:
            limiter.mark(alert.channel)


def _finish_failure(session: Session, alert: Alert, owner: str, exc: Exception, policy: RetryPolicy,
                    now: datetime, *, status: str, retry_after: float | None, counted: bool = True) -> None:
    # An unclassified error (a bug, a foreign notifier) may have struck after sending: look first.
    maybe = bool(getattr(exc, "maybe_sent", False)) or not isinstance(exc, NotifierError)
    payload = alert.payload or {}
    error = redact(f"{type(exc).__name__}: {exc}")  # stored: no secret in it
    attempts = alert.attempts if counted else max(0, alert.attempts - 1)
    values = dict(status=status, last_error=error, attempts=attempts,
                  next_attempt_at=now + timedelta(seconds=policy.delay(alert.attempts, retry_after)),
                  payload={**payload, "maybe_sent": maybe or bool(payload.get("maybe_sent"))})
    if not leases.release(session, Alert, alert.id, owner, **values):
        log.warning("alert %s: lease lost while sending; another worker owns it now", alert.id)
    session.commit()
    session.refresh(alert)
    log.warning("alert %s to %s %s (try %d): %s", alert.id, alert.channel, status, alert.attempts, error)


def _refresh_parent(session: Session, notifier: Notifier, parent: Alert) -> None:
    """A copy went into the thread: update the story's first message (outlets, reach). Best effort."""
    if not isinstance(notifier, Recoverable) or not parent.external_id:
        return
    try:
        notifier.update(message_for(session, parent), parent.channel, parent.external_id)
    except NotifierError as exc:
        log.warning("could not update the first message of alert %s: %s", parent.id, exc)
    finally:
        session.commit()


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


def count_due(session: Session, notifier: str, now: datetime | None = None) -> int:
    """Alerts this notifier could send now (a live ``sending`` lease is someone else's work)."""
    now = now or utcnow()
    return session.scalar(select(func.count()).select_from(Alert).where(
        due_query(notifier, now), or_(Alert.status != "sending", leases.free(Alert, now)))) or 0


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
            due = count_due(session, notifier.name)
        sent, failed = sent + s, failed + f
        if not due or time.monotonic() >= deadline:
            return sent, failed
        time.sleep(pause)


def run_worker(*args: Any, **kwargs: Any) -> None:
    """:func:`notifications.worker.run_worker` (kept here for callers of the old name)."""
    from notifications.worker import run_worker as run

    run(*args, **kwargs)
