"""Which channels an item goes to, and when: routing per agency or priority, and quiet hours.

``notifications.slack.channels`` maps an agency short name or a priority to a channel; an item goes to
every mapped channel of its agencies (the bureau the alert decision routed it to first, then the
watchlist's) and its priority, else to ``notifications.slack.channel``.
During ``notifications.quiet_hours`` (office time) alerts are held until the quiet hours end, unless
their priority is in ``notifications.breakthrough`` ("critical breaks through").
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from notifications import outbox
from pipeline.items import Item
from pipeline.models import Alert, utcnow
from pipeline.settings import Settings


def channels_for(settings: Settings, item: Item) -> list[str]:
    """The channels for ``item``, in a stable order, without repeats."""
    slack = settings.notifications.slack
    keys = [*item.routed, item.priority or ""]
    found = [slack.channels[k] for k in keys if k in slack.channels]
    return list(dict.fromkeys(found)) or [slack.channel]


def _parse(window: str) -> tuple[time, time]:
    start, end = window.split("-")
    return time.fromisoformat(start), time.fromisoformat(end)


def quiet_until(settings: Settings, priority: str | None, now: datetime) -> datetime | None:
    """When a held alert may go out (aware UTC), or None to send now."""
    notes = settings.notifications
    if not notes.quiet_hours or (priority or "") in notes.breakthrough:
        return None
    zone = ZoneInfo(settings.office.timezone)
    local = now.astimezone(zone)
    start, end = _parse(notes.quiet_hours)
    t = local.timetz().replace(tzinfo=None)
    inside = (start <= t < end) if start <= end else (t >= start or t < end)
    if not inside:
        return None
    day = local.date() if (start <= end or t < end) else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=zone).astimezone(now.tzinfo)


def notify(session: Session, item: Item, settings: Settings, notifier: str,
           now: datetime | None = None) -> list[Alert]:
    """Enqueue ``item`` for each of its channels, held through quiet hours; returns the new alerts.

    This is what the pipeline's alert stage calls for a stored, negative, relevant item.
    """
    now = now or utcnow()
    hold = quiet_until(settings, item.priority, now)
    alerts = [outbox.enqueue(session, item, channel, notifier, not_before=hold)
              for channel in channels_for(settings, item)]
    return [a for a in alerts if a is not None]
