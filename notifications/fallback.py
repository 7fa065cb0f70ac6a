"""The fallback notifier: when Slack cannot deliver, the officers still hear of the alert.

An alert for Slack that is still not delivered ``notifications.fallback_after`` seconds after it was
due (Slack down, a revoked token or missing scope, a long rate-limit backlog), or after it was made
and has failed since, gets one copy for the fallback notifier (console or e-mail,
``notifications.fallback``), keyed ``fallback:<notifier>:<alert id>`` so it is made once whatever
the number of workers. An alert held through quiet hours is not due, so it is not copied.

The Slack alert itself stays in the outbox and goes out when Slack is back: the fallback is an
extra, never a replacement. The fallback has its own worker, so a stalled Slack never delays it,
and e-mail uses ``fallback_timeout`` as its SMTP time-out.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from notifications.base import ConsoleNotifier, Notifier
from pipeline.models import Alert, utcnow
from pipeline.settings import Settings

PRIMARY = ("slack",)  # notifiers whose failures the fallback covers


def fallback_notifier(settings: Settings, primaries: list[str]) -> Notifier | None:
    """The fallback to run beside ``primaries``, or None (no Slack, fallback off, or already a primary)."""
    name = settings.notifications.fallback
    if name == "none" or not any(p in PRIMARY for p in primaries) or name in primaries:
        return None
    if name == "email":
        from notifications.email import EmailNotifier

        email = settings.notifications.email
        timeout = min(email.timeout, settings.notifications.fallback_timeout)
        return EmailNotifier(email.model_copy(update={"timeout": timeout}), settings.secret("SMTP_PASSWORD"))
    return ConsoleNotifier()


def escalate(session: Session, fallback: str, after: float, now: datetime | None = None,
             primaries: tuple[str, ...] = PRIMARY, limit: int = 200) -> int:
    """Copy undelivered primary alerts older than ``after`` seconds to ``fallback``; returns how many."""
    now = now or utcnow()
    since = now - timedelta(seconds=after)
    stuck = select(Alert).where(
        Alert.notifier.in_(primaries), Alert.kind.in_(("item", "copy", "spike", "system")),
        or_(and_(Alert.status == "pending", Alert.next_attempt_at <= since),  # due long ago, never sent
            and_(Alert.status.in_(("pending", "failed", "dead")), Alert.last_error.is_not(None),
                 Alert.created_at <= since)),
    ).order_by(Alert.id).limit(limit)
    made = 0
    for alert in session.scalars(stuck).all():
        key = f"fallback:{fallback}:{alert.id}"
        if session.scalar(select(Alert.id).where(Alert.idempotency_key == key)) is not None:
            continue
        payload = {k: v for k, v in (alert.payload or {}).items() if k not in ("parent_id", "maybe_sent")}
        copy = Alert(item_id=alert.item_id, cluster_id=None, channel=alert.channel, notifier=fallback,
                     kind="item" if alert.kind == "copy" else alert.kind, idempotency_key=key,
                     status="pending", next_attempt_at=now, payload={**payload, "fallback_for": alert.id})
        try:
            with session.begin_nested():
                session.add(copy)
        except IntegrityError:
            continue  # another worker made it first
        made += 1
    session.commit()
    return made
