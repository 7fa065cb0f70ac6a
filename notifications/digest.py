"""The daily digest: top stories per agency, sentiment mix, open and overdue responses, spikes.

``collect`` reads the database (items by publication time; one story per cluster with its copies
counted; spikes by the same rule as ``newsdesk spikes``, over the digest's period). It is rendered
per medium by :mod:`notifications.digest_render`: plain text on a terminal and the console, Block Kit
on Slack, HTML in e-mail, and a chart. ``run_digest_if_due`` is what the scheduler calls: once a
day, after ``schedule.digest_time`` in the office's time zone, it writes one digest row per notifier
to the outbox (``kind="digest"``, the period, the spike rule and the outlets' names in its payload;
the idempotency key makes it once a day whatever the number of schedulers). The outbox workers
deliver it as a digest (:func:`deliver_digest`), paced, retried with back-off when it fails, and
looked up before a resend.
"""

from __future__ import annotations

import logging
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from notifications.base import AlertMessage, ConsoleNotifier, Delivery, Notifier, PermanentError
from pipeline.models import Alert, ItemRow, Response, SentimentScore, utcnow
from pipeline.settings import Settings, SpikeSettings
from pipeline.spikes import Spike, detect_with

log = logging.getLogger(__name__)
OPEN = ("open", "assigned")


@dataclass
class Story:
    """One story (a cluster of copies) as the digest lists it: one line, its copies counted."""

    title: str
    url: str
    outlets: list[str] = field(default_factory=list)  # each outlet once, in order of first copy
    copies: int = 0
    score: float = 0.0  # the highest P(negative) among its copies
    negative: bool = False


@dataclass
class AgencyLine:
    agency: str
    mentions: int = 0  # copies routed to the agency in the period
    negative: int = 0  # copies labelled negative
    story_count: int = 0  # distinct stories among them
    previous: int = 0  # copies in the period before
    stories: list[Story] = field(default_factory=list)  # distinct stories, most negative first
    spike: Spike | None = None  # by the same rule as `newsdesk spikes`, over the digest's period

    @property
    def top(self) -> list[Story]:
        return [s for s in self.stories if s.negative]


@dataclass
class Digest:
    since: datetime
    until: datetime
    zone: str
    agencies: list[AgencyLine]
    sentiment: Counter[str]
    open_responses: int
    overdue_responses: int
    spike_rule: str = ""

    @property
    def spikes(self) -> list[AgencyLine]:
        return [a for a in self.agencies if a.spike is not None]


def parse_since(text: str) -> timedelta:
    """``24h``, ``7d``, ``90m`` → a duration; a clear error otherwise."""
    m = re.fullmatch(r"\s*(\d+)\s*([mhd])\s*", text)
    if not m:
        raise ValueError(f"--since {text!r}: expected a number and m, h or d (e.g. 24h, 7d)")
    return timedelta(**{{"m": "minutes", "h": "hours", "d": "days"}[m.group(2)]: int(m.group(1))})


def _items(session: Session, since: datetime, until: datetime) -> list[ItemRow]:
    """Items published in [since, until) (collection time for an item without a publication time)."""
    when = func.coalesce(ItemRow.published_at, ItemRow.collected_at)
    query = (select(ItemRow).where(when >= since, when < until).order_by(when, ItemRow.id)
             .options(selectinload(ItemRow.scores), selectinload(ItemRow.matches)))
    return list(session.scalars(query))


def _add_copy(stories: dict[object, Story], row: ItemRow, outlet: str, score: SentimentScore | None) -> None:
    story = stories.setdefault(row.cluster_id or f"item:{row.id}", Story(row.headline, row.url))
    story.copies += 1
    if outlet not in story.outlets:
        story.outlets.append(outlet)
    if score is not None and score.score > story.score:
        story.score = score.score
    story.negative = story.negative or bool(score and score.label == "negative")


def collect(session: Session, since: datetime, until: datetime, zone: str = "Asia/Taipei", top: int = 3, *,
            spikes: SpikeSettings | None = None, outlet_name: Callable[[str], str] = str) -> Digest:
    """The period's digest: per agency its copies, negatives and stories (one per cluster, copies
    counted), the sentiment mix, open responses, and spikes by the ``spikes`` rule over the period."""
    lines: dict[str, AgencyLine] = {}
    per_agency: dict[str, dict[object, Story]] = defaultdict(dict)
    mix: Counter[str] = Counter()
    for row in _items(session, since, until):
        score = row.scores[-1] if row.scores else None
        mix[score.label if score else "unscored"] += 1
        outlet = outlet_name(row.outlet or row.source)
        for agency in sorted({m.agency for m in row.matches}):
            line = lines.setdefault(agency, AgencyLine(agency))
            line.mentions += 1
            line.negative += bool(score and score.label == "negative")
            _add_copy(per_agency[agency], row, outlet, score)
    previous: Counter[str] = Counter()
    for row in _items(session, since - (until - since), since):
        previous.update({m.agency for m in row.matches})
    rule = spikes or SpikeSettings()
    found = {s.name: s for s in detect_with(session, rule, until, until - since) if s.scope == "agency"}
    for line in lines.values():
        line.previous = previous[line.agency]
        ranked = sorted(per_agency[line.agency].values(), key=lambda s: (-s.negative, -s.score, -s.copies))
        line.stories = ranked[:top] if top else ranked
        line.story_count = len(ranked)
        line.spike = found.get(line.agency)
    responses = list(session.scalars(select(Response).where(Response.status.in_(OPEN))))
    overdue = sum(1 for r in responses if r.deadline is not None and r.deadline < until)
    ordered = sorted(lines.values(), key=lambda a: (-a.negative, -a.mentions, a.agency))
    return Digest(since, until, zone, ordered, mix, len(responses), overdue,
                  spike_rule=f"至少 {rule.min_count} 則且 p < {rule.p_value:g}")


def render_text(d: Digest) -> str:
    """Plain text (a terminal, the console notifier, the e-mail's text part)."""
    from notifications.digest_render import text

    return text(d)


def chart_png(d: Digest, limit: int = 15) -> bytes:
    from notifications.digest_render import chart_png as draw

    return draw(d, limit)


@runtime_checkable
class DigestSink(Protocol):
    """A notifier that can post a plain message and upload a file (Slack)."""

    def post(self, channel: str, text: str, blocks: list[dict[str, Any]] | None = None, *,
             key: str | None = None) -> Delivery: ...

    def upload(self, channel: str, *, content: bytes, filename: str, title: str, comment: str) -> None: ...


@runtime_checkable
class DigestMailer(Protocol):
    """A notifier that sends the digest whole (e-mail: text, and the chart attached)."""

    def send_digest(self, text: str, chart: bytes, html: str | None = None) -> None: ...


def send_digest(notifier: Notifier, channel: str, d: Digest, key: str | None = None) -> Delivery:
    """Send ``d`` in the notifier's own medium: Block Kit and the chart on Slack (``key`` in the
    message's metadata), HTML with the chart inline in e-mail, plain text on the console."""
    from notifications import digest_render as render

    text = render_text(d)
    if isinstance(notifier, DigestSink):
        delivery = notifier.post(channel, render.fallback(d), render.blocks(d), key=key)
        notifier.upload(channel, content=chart_png(d), filename=f"digest-{d.until:%Y%m%d}.png",
                        title=render.chart_title(d), comment="每日摘要圖表")
        return delivery
    if isinstance(notifier, DigestMailer):
        notifier.send_digest(text, chart_png(d), html=render.html(d, chart_cid="chart"))
    elif isinstance(notifier, ConsoleNotifier):
        notifier.stream.write(text + "\n")
        notifier.stream.flush()
    else:
        raise TypeError(f"notifier {notifier.name!r} cannot send a digest")
    return Delivery(channel=channel)


def digest_channel(settings: Settings) -> str:
    return settings.notifications.slack.digest_channel or settings.notifications.slack.channel


def run_digest_if_due(session: Session, settings: Settings, now: datetime | None = None,
                      notifiers: list[str] | None = None, outlet_name: Callable[[str], str] = str) -> int:
    """Queue today's digest for each notifier if it is past ``schedule.digest_time`` (office time).

    For the scheduler: safe to call every minute from any number of processes; returns how many
    digests it queued (0 once today's are queued). Delivery and retries are the outbox's.
    """
    now = now or utcnow()
    if notifiers is None:
        notifiers = settings.notifier_names()
    zone = ZoneInfo(settings.office.timezone)
    local = now.astimezone(zone)
    if local.time() < time.fromisoformat(settings.schedule.digest_time):
        return 0
    made = 0
    for name in notifiers:
        key = f"digest:{name}:{local.date().isoformat()}"
        if session.scalar(select(Alert.id).where(Alert.idempotency_key == key)) is not None:
            continue
        period = {"since": (now - timedelta(days=1)).isoformat(), "until": now.isoformat(),
                  "zone": settings.office.timezone, "text": f"每日輿情摘要 {local.date().isoformat()}",
                  "spikes": settings.spikes.model_dump(), "outlets": _outlet_names(session, now, outlet_name)}
        try:
            with session.begin_nested():
                session.add(Alert(kind="digest", channel=digest_channel(settings), notifier=name,
                                  idempotency_key=key, status="pending", next_attempt_at=now, payload=period))
        except IntegrityError:
            continue  # another scheduler queued it first
        made += 1
    session.commit()
    return made


def _outlet_names(session: Session, now: datetime, outlet_name: Callable[[str], str]) -> dict[str, str]:
    """The names of the outlets of the period's items, so a worker without the registry shows them."""
    when = func.coalesce(ItemRow.published_at, ItemRow.collected_at)
    codes = session.scalars(select(func.coalesce(ItemRow.outlet, ItemRow.source)).distinct()
                            .where(when >= now - timedelta(days=1), when < now))
    return {code: outlet_name(code) for code in codes if code}


def deliver_digest(session: Session, notifier: Notifier, alert: Alert, message: AlertMessage) -> Delivery:
    """The outbox's send for a ``digest`` row: collect the period from its payload and send it."""
    p = alert.payload or {}
    try:
        since, until = datetime.fromisoformat(p["since"]), datetime.fromisoformat(p["until"])
    except (KeyError, TypeError, ValueError):
        raise PermanentError(f"digest #{alert.id}: its period is missing from the payload") from None
    given = p.get("outlets")
    names: dict[str, Any] = given if isinstance(given, dict) else {}
    try:
        rule = SpikeSettings.model_validate(p["spikes"]) if isinstance(p.get("spikes"), dict) else None
    except ValueError:
        rule = None  # a row queued by an older version: the default rule
    d = collect(session, since, until, str(p.get("zone") or "Asia/Taipei"), spikes=rule,
                outlet_name=lambda code: str(names.get(code, code)))
    session.commit()  # end the read before the platform is called
    return send_digest(notifier, alert.channel, d, key=message.idempotency_key)


def by_agency(d: Digest) -> dict[str, dict[str, int | bool]]:
    """Plain numbers per agency (for the CLI's JSON output and tests)."""
    out: dict[str, dict[str, int | bool]] = defaultdict(dict)
    for a in d.agencies:
        out[a.agency] = {"mentions": a.mentions, "negative": a.negative, "previous": a.previous,
                         "stories": a.story_count, "spike": a.spike is not None}
    return dict(out)
