"""The outbox: every alert is written to the database first, then delivered by a worker.

``enqueue`` is idempotent (one alert per story per channel, keyed by ``idempotency_key``);
``deliver_pending`` sends what is due and records the outcome.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from notifications.base import AlertMessage, Notifier
from pipeline.items import Item
from pipeline.models import Alert, ItemRow, utcnow

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8


def enqueue(session: Session, item: Item, channel: str, notifier: str) -> Alert | None:
    """Write a pending alert for a stored item, unless its story already has one on this channel."""
    story = f"cluster:{item.cluster_id}" if item.cluster_id else f"item:{item.id}"
    key = f"{notifier}:{channel}:{story}"
    if session.scalar(select(Alert.id).where(Alert.idempotency_key == key)) is not None:
        return None
    alert = Alert(item_id=item.id, cluster_id=item.cluster_id, channel=channel, notifier=notifier,
                  idempotency_key=key, status="pending", next_attempt_at=utcnow())
    session.add(alert)
    session.flush()
    return alert


def message_for(session: Session, alert: Alert) -> AlertMessage:
    row = session.get(ItemRow, alert.item_id) if alert.item_id else None
    if row is None:
        return AlertMessage(alert.id, "(item removed)", "", "", None, 0.0, "negative", "")
    score = row.scores[-1] if row.scores else None
    return AlertMessage(
        alert_id=alert.id, title=row.title, url=row.url, outlet=row.outlet or row.source,
        published_at=row.published_at, score=score.score if score else 0.0,
        label=score.label if score else "", model=score.model if score else "",
        agencies=sorted({m.agency for m in row.matches}),
        terms=sorted({t for m in row.matches for t in m.terms}), priority=row.priority,
        cluster_id=row.cluster_id)


def deliver_pending(session: Session, notifier: Notifier, limit: int = 100) -> tuple[int, int]:
    """Send due alerts for this notifier; returns (sent, failed). Commits after each alert."""
    now = utcnow()
    due = session.scalars(
        select(Alert).where(Alert.notifier == notifier.name, Alert.status.in_(("pending", "failed")),
                            Alert.next_attempt_at <= now).order_by(Alert.id).limit(limit)).all()
    sent = failed = 0
    for alert in due:
        alert.attempts += 1
        try:
            result = notifier.send(message_for(session, alert), alert.channel)
        except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried later
            failed += 1
            alert.last_error = f"{type(exc).__name__}: {exc}"
            alert.status = "dead" if alert.attempts >= MAX_ATTEMPTS else "failed"
            alert.next_attempt_at = now + timedelta(seconds=min(3600, 2 ** alert.attempts * 5))
            log.warning("alert %s to %s failed: %s", alert.id, alert.channel, alert.last_error)
        else:
            sent += 1
            alert.status, alert.sent_at, alert.external_id = "sent", utcnow(), result.external_id
        session.commit()
    return sent, failed
