"""Telling the media (``newsdesk press notify``): an advisory, a release or the Mayor's schedule to the
journalists of the media list, by LINE push, e-mail and SMS.

Like the alert outbox (:mod:`notifications.outbox`), every notice is written first and sent after:

* :func:`queue` writes one ``media_deliveries`` row per (contact, channel) with the notice as rendered
  then (``payload``), keyed ``media:<release>:<contact>:<channel>``: notifying the same release again
  adds only contacts or channels that were not told yet, never a second copy;
* :func:`deliver_due` *claims* each due row with a lease (:mod:`pipeline.leases`) before sending it, so
  two processes (``press notify`` and the ``run`` scheduler, two schedulers) never send one twice; a
  row left ``sending`` by a process that died is taken over once its lease is free and sent with the
  same idempotency key, which each platform uses to drop a repeat (LINE's ``X-Line-Retry-Key``, the
  SMS gateway's ``clientid``, the mail's ``Message-ID``);
* a failure backs off (``retry_minutes`` doubled after each try, or the platform's ``Retry-After``),
  a refusal that retrying cannot mend (a bad number) or ``max_attempts`` tries make it ``dead``; a
  channel that cannot send at all (no token, a refused password) leaves its rows waiting, uncounted;
* a contact who opted out after the notice was queued is not sent it (``cancelled``).

Statuses: pending → sending → sent | failed (retried) | dead | cancelled.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from notifications.base import NotifierError, NotifierUnavailable, PermanentError
from pipeline import leases
from pipeline.db import writer
from pipeline.models import MediaContact, MediaDelivery, Release, utcnow
from pipeline.redact import redact
from pipeline.settings import Settings
from press import media, templating
from press.drafting import context

log = logging.getLogger(__name__)
SENDABLE = ("approved", "scheduled", "published")
DUE = ("pending", "failed")
LABELS = {"advisory": "採訪通知", "release": "新聞稿", "statement": "新聞澄清", "schedule": "公開行程"}


class NotifyError(ValueError):
    """The notice cannot be queued; the message says what to give instead."""


class Sender(Protocol):
    """Sends one notice to one address on its channel and returns the platform's id for it. ``key`` is
    the delivery's idempotency key: the same key must never reach a person twice. Raises
    :class:`~notifications.base.NotifierError` subclasses (transient, permanent, unavailable)."""

    channel: str

    def send(self, to: str, message: dict[str, str], key: str) -> str: ...


@dataclass(frozen=True)
class Policy:
    """Back-off: ``first`` seconds doubled after each failed try; dead after ``max_attempts``."""

    max_attempts: int = 5
    first: float = 120.0
    cap: float = 6 * 3600.0
    lease: float = 120.0

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        n = settings.press.notify
        # a lease outlives one send (its timeout) with room to spare
        return cls(max_attempts=n.max_attempts, first=60.0 * n.retry_minutes, lease=max(60.0, 4.0 * n.timeout))

    def delay(self, attempts: int, retry_after: float | None = None) -> float:
        return max(min(self.cap, self.first * 2 ** max(0, attempts - 1)), retry_after or 0.0)


@dataclass
class Plan:
    """What :func:`queue` would write (dry run) or wrote."""

    release: Release
    new: list[tuple[MediaContact, str]] = field(default_factory=list)
    already: list[tuple[MediaContact, str]] = field(default_factory=list)  # queued or sent before
    no_channel: list[MediaContact] = field(default_factory=list)  # none of the wanted channels
    message: dict[str, str] = field(default_factory=dict)


@dataclass
class Summary:
    sent: int = 0
    failed: int = 0
    dead: int = 0
    cancelled: int = 0
    waiting: dict[str, str] = field(default_factory=dict)  # channel → why it cannot send now

    def line(self) -> str:
        parts = [f"sent {self.sent}", f"failed {self.failed} (retried later)", f"dead {self.dead}"]
        if self.cancelled:
            parts.append(f"cancelled {self.cancelled} (opted out)")
        return ", ".join(parts)


# --- what is sent --------------------------------------------------------------------------------------

def release_day(release: Release, zone: str) -> date | None:
    """The day a schedule is for: its ``date`` field, else its publication or embargo day."""
    from pipeline.roc import parse_date

    text = str((release.meta or {}).get("fields", {}).get("date") or "")
    if text:
        try:
            return parse_date(text)
        except ValueError:
            pass
    when = release.published_at or release.scheduled_at
    return when.astimezone(ZoneInfo(zone)).date() if when else None


def schedule_for(session: Session, settings: Settings, day: date) -> Release:
    """The approved Mayor's schedule for ``day`` (the latest one, if it was redone)."""
    zone = settings.office.timezone
    rows = list(session.scalars(select(Release).where(Release.kind == "schedule", Release.status.in_(SENDABLE))
                                .order_by(Release.id.desc())))
    for release in rows:
        if release_day(release, zone) == day:
            return release
    undated = [f"{r.id} ({r.title})" for r in rows if release_day(r, zone) is None]
    hint = f"; approved schedules without a day: {', '.join(undated)} (give its id instead)" if undated else ""
    raise NotifyError(f"no approved Mayor's schedule for {day.isoformat()}: draft one with `newsdesk press "
                      f"draft --kind schedule --set date={day.isoformat()}` and approve it{hint}")


def render(release: Release, settings: Settings, day: date | None = None) -> dict[str, str]:
    """The notice: ``subject`` (e-mail), ``text`` (LINE, the mail's text part), ``html`` (the mail's
    HTML part) and ``short`` (SMS, clipped to ``press.notify.sms.max_chars``)."""
    zone = settings.office.timezone
    when = datetime.combine(day, time(8), ZoneInfo(zone)) if day else None
    env = templating.environment(settings)
    ctx = context(release, settings, when)
    text = templating.render(env, f"{release.kind}.txt.j2", ctx).strip()
    html = templating.render(env, f"{release.kind}.html.j2", {**ctx, "fragment": False})
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    label = LABELS.get(release.kind, "通知")
    subject = lines[0] if release.kind == "schedule" and lines else f"【{label}】{release.title}"
    limit = settings.press.notify.sms.max_chars
    short = "\n".join(lines)
    if release.url and release.url not in short:
        short += f"\n{release.url}"
    if len(short) > limit:
        short = short[: limit - 1] + "…"
    return {"subject": subject, "text": text, "html": html, "short": short}


def payload_for(message: Mapping[str, str], channel: str) -> dict[str, str]:
    """Only what the channel sends is kept with its delivery."""
    keys = {"line": ("text",), "sms": ("short",), "email": ("subject", "text", "html")}[channel]
    return {k: message[k] for k in keys}


# --- queueing -------------------------------------------------------------------------------------------

def key_for(release_id: int, contact_id: int, channel: str) -> str:
    return f"media:{release_id}:{contact_id}:{channel}"


def plan(session: Session, settings: Settings, release: Release, *, channels: Sequence[str] = (),
         beats: Sequence[str] = (), outlets: Sequence[str] = (), contacts: Sequence[int] = (),
         day: date | None = None) -> Plan:
    """Who would get what on which channel; nothing is written."""
    wanted = list(channels) or list(settings.press.notify.channels)
    bad = [c for c in wanted if c not in media.CHANNELS]
    if bad:
        raise NotifyError(f"--channel {bad[0]!r}: choose from {', '.join(media.CHANNELS)}")
    result = Plan(release, message=render(release, settings, day))
    chosen = media.recipients(session, beats=beats, outlets=outlets, ids=contacts)
    keys = {key_for(release.id, c.id, ch) for c in chosen for ch in wanted}
    known = set(session.scalars(select(MediaDelivery.idempotency_key)
                                .where(MediaDelivery.release_id == release.id))) & keys
    for contact in chosen:
        usable = [ch for ch in wanted if media.address(contact, ch)]
        if not usable:
            result.no_channel.append(contact)
        for ch in usable:
            target = result.already if key_for(release.id, contact.id, ch) in known else result.new
            target.append((contact, ch))
    return result


def check_sendable(release: Release) -> None:
    if release.status not in SENDABLE:
        raise NotifyError(f"release {release.id} is {release.status}: only an approved (or scheduled, "
                          "published) release goes to the media; `newsdesk press review`/`approve` it first")


def queue(session: Session, settings: Settings, release: Release, now: datetime | None = None,
          **choice: Any) -> Plan:
    """Write the pending deliveries of :func:`plan` (flushed, not committed)."""
    check_sendable(release)
    result = plan(session, settings, release, **choice)
    now = now or utcnow()
    for contact, channel in result.new:
        address = media.address(contact, channel)
        assert address is not None
        session.add(MediaDelivery(
            release_id=release.id, contact_id=contact.id, channel=channel, address=address,
            payload=payload_for(result.message, channel), status="pending", attempts=0, next_attempt_at=now,
            idempotency_key=key_for(release.id, contact.id, channel)))
    session.flush()
    return result


# --- sending --------------------------------------------------------------------------------------------

def senders_from_settings(settings: Settings, channels: Sequence[str] = media.CHANNELS
                          ) -> tuple[dict[str, Sender], dict[str, str]]:
    """The senders the settings and environment allow, and why each other channel cannot send."""
    ready: dict[str, Sender] = {}
    missing: dict[str, str] = {}
    for channel in channels:
        try:
            ready[channel] = _sender(settings, channel)
        except NotifierUnavailable as exc:
            missing[channel] = str(exc)
    return ready, missing


def _sender(settings: Settings, channel: str) -> Sender:
    n = settings.press.notify
    if channel == "line":
        from notifications.line_push import LinePush

        token = settings.secret("LINE_CHANNEL_ACCESS_TOKEN")
        return LinePush(n.line_base_url, token.get_secret_value() if token else "", n.timeout)
    if channel == "sms":
        from notifications.sms import PROVIDERS

        password = settings.secret("SMS_PASSWORD")
        return PROVIDERS[n.sms.provider](n.sms.base_url, n.sms.username,
                                         password.get_secret_value() if password else "", n.timeout)
    from notifications.email import EmailNotifier

    return MailSender(EmailNotifier.from_settings(settings))


class MailSender:
    """The e-mail notifier (``[notifications.email]``'s SMTP server) as a :class:`Sender`."""

    channel = "email"

    def __init__(self, notifier: Any) -> None:
        self.notifier = notifier

    def send(self, to: str, message: dict[str, str], key: str) -> str:
        return str(self.notifier.send_mail(to, message, key))


def due(now: datetime, channels: Sequence[str]) -> Any:
    """SQL: deliveries to send now: due ones, and ones left ``sending`` (their lease decides)."""
    return and_(MediaDelivery.channel.in_(list(channels)),
                or_(and_(MediaDelivery.status.in_(DUE), MediaDelivery.next_attempt_at <= now),
                    MediaDelivery.status == "sending"))


def deliver_due(sessions: sessionmaker[Session], senders: Mapping[str, Sender], *,
                missing: Mapping[str, str] | None = None, policy: Policy | None = None,
                now: datetime | None = None, limit: int = 500, release_id: int | None = None) -> Summary:
    """Send what is due, each row claimed first; returns what happened."""
    policy = policy or Policy()
    now = now or utcnow()
    summary = Summary(waiting=dict(missing or {}))
    live = dict(senders)
    for _ in range(limit):
        if not live:
            break
        where = due(now, list(live))
        if release_id is not None:
            where = and_(where, MediaDelivery.release_id == release_id)
        owner, keys = leases.claim(sessions, MediaDelivery, where, seconds=policy.lease, limit=1,
                                   order_by=MediaDelivery.id, now=now,
                                   values={"status": "sending", "attempts": MediaDelivery.attempts + 1})
        if not keys:
            break
        outcome = _attempt(sessions, live, keys[0], owner, policy, now)
        if outcome.startswith("unavailable:"):
            channel, _, why = outcome[len("unavailable:"):].partition(":")
            live.pop(channel, None)
            summary.waiting[channel] = why
        else:
            setattr(summary, outcome, getattr(summary, outcome) + 1)
    return summary


def _attempt(sessions: sessionmaker[Session], senders: Mapping[str, Sender], delivery_id: int, owner: str,
             policy: Policy, now: datetime) -> str:
    with sessions() as session:
        row = session.get(MediaDelivery, delivery_id)
        assert row is not None
        contact = session.get(MediaContact, row.contact_id)
        channel, address, payload, key, attempts = (row.channel, row.address, dict(row.payload or {}),
                                                    row.idempotency_key, row.attempts)
        opted_out = contact is None or contact.opted_out
    if opted_out:
        _finish(sessions, delivery_id, owner, status="cancelled", last_error="the contact opted out",
                next_attempt_at=None)
        return "cancelled"
    try:
        external = senders[channel].send(address, payload, key)
    except NotifierUnavailable as exc:
        # not this notice's fault: it waits, and this try is not counted
        _finish(sessions, delivery_id, owner, status="pending", attempts=attempts - 1,
                last_error=redact(str(exc)), next_attempt_at=now + timedelta(seconds=policy.first))
        log.warning("media notices by %s wait: %s", channel, redact(str(exc)))
        return f"unavailable:{channel}:{redact(str(exc))}"
    except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried or given up
        retry_after = exc.retry_after if isinstance(exc, NotifierError) else None
        dead = isinstance(exc, PermanentError) or attempts >= policy.max_attempts
        error = redact(f"{type(exc).__name__}: {exc}")
        _finish(sessions, delivery_id, owner, status="dead" if dead else "failed", last_error=error,
                next_attempt_at=None if dead else now + timedelta(seconds=policy.delay(attempts, retry_after)))
        log.warning("media delivery %s by %s %s (try %d): %s", delivery_id, channel,
                    "dead" if dead else "failed", attempts, error)
        return "dead" if dead else "failed"
    _finish(sessions, delivery_id, owner, status="sent", sent_at=utcnow(), external_id=external or None,
            last_error=None, next_attempt_at=None)
    return "sent"


def _finish(sessions: sessionmaker[Session], delivery_id: int, owner: str, **values: Any) -> None:
    with writer(sessions)() as session:
        if not leases.release(session, MediaDelivery, delivery_id, owner, **values):
            log.warning("media delivery %s: lease lost while sending; another process owns it now", delivery_id)
        session.commit()


# --- looking back ---------------------------------------------------------------------------------------

def deliveries(session: Session, *, release_id: int | None = None, status: str | None = None,
               limit: int = 200) -> list[tuple[MediaDelivery, MediaContact]]:
    query = (select(MediaDelivery, MediaContact).join(MediaContact, MediaContact.id == MediaDelivery.contact_id)
             .order_by(MediaDelivery.id.desc()).limit(limit))
    if release_id is not None:
        query = query.where(MediaDelivery.release_id == release_id)
    if status:
        query = query.where(MediaDelivery.status == status)
    return [(d, c) for d, c in session.execute(query).all()]


def counts(session: Session, release_id: int | None = None) -> Counter[str]:
    query = select(MediaDelivery.status, func.count()).group_by(MediaDelivery.status)
    if release_id is not None:
        query = query.where(MediaDelivery.release_id == release_id)
    return Counter({status: n for status, n in session.execute(query).all()})


def requeue(session: Session, ids: Sequence[int] = (), release_id: int | None = None) -> int:
    """Dead deliveries (all, of a release, or ``ids``) back in the queue with their tries reset."""
    query = select(MediaDelivery).where(MediaDelivery.status == "dead")
    if ids:
        query = query.where(MediaDelivery.id.in_(list(ids)))
    if release_id is not None:
        query = query.where(MediaDelivery.release_id == release_id)
    rows = list(session.scalars(query))
    for row in rows:
        row.status, row.attempts, row.next_attempt_at = "pending", 0, utcnow()
    session.flush()
    return len(rows)
