"""The daily digest: top stories per agency, sentiment mix, open and overdue responses, spikes.

``collect`` reads the database, ``render_text`` writes Slack mrkdwn (escaped), ``chart_png`` draws
mentions and sentiment per agency with matplotlib, and ``run_digest_if_due`` is what the scheduler
calls: once a day, after ``schedule.digest_time`` in the office's time zone, it writes one digest
row per notifier to the outbox (``kind="digest"``, the period in its payload; the idempotency key
makes it once a day whatever the number of schedulers). The outbox workers deliver it as a digest
(:func:`deliver_digest`), paced, retried with back-off when it fails, and looked up before a resend.
"""

from __future__ import annotations

import io
import logging
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from notifications.base import AlertMessage, ConsoleNotifier, Delivery, Notifier, PermanentError
from notifications.blocks import clip, escape, safe_url
from pipeline.models import Alert, ItemRow, Response, utcnow
from pipeline.settings import Settings

log = logging.getLogger(__name__)
OPEN = ("open", "assigned")


@dataclass
class Story:
    title: str
    url: str
    outlet: str
    score: float


@dataclass
class AgencyLine:
    agency: str
    mentions: int = 0
    negative: int = 0
    previous: int = 0
    top: list[Story] = field(default_factory=list)

    @property
    def spike(self) -> bool:
        """At least three mentions and at least twice the previous period's."""
        return self.mentions >= 3 and self.mentions >= 2 * max(1, self.previous)


@dataclass
class Digest:
    since: datetime
    until: datetime
    zone: str
    agencies: list[AgencyLine]
    sentiment: Counter[str]
    open_responses: int
    overdue_responses: int

    @property
    def spikes(self) -> list[AgencyLine]:
        return [a for a in self.agencies if a.spike]


def parse_since(text: str) -> timedelta:
    """``24h``, ``7d``, ``90m`` → a duration; a clear error otherwise."""
    m = re.fullmatch(r"\s*(\d+)\s*([mhd])\s*", text)
    if not m:
        raise ValueError(f"--since {text!r}: expected a number and m, h or d (e.g. 24h, 7d)")
    return timedelta(**{{"m": "minutes", "h": "hours", "d": "days"}[m.group(2)]: int(m.group(1))})


def _items(session: Session, since: datetime, until: datetime) -> list[ItemRow]:
    query = (select(ItemRow).where(ItemRow.collected_at >= since, ItemRow.collected_at < until)
             .options(selectinload(ItemRow.scores), selectinload(ItemRow.matches)))
    return list(session.scalars(query))


def collect(session: Session, since: datetime, until: datetime, zone: str = "Asia/Taipei",
            top: int = 3) -> Digest:
    lines: dict[str, AgencyLine] = {}
    mix: Counter[str] = Counter()
    for row in _items(session, since, until):
        score = row.scores[-1] if row.scores else None
        mix[score.label if score else "unscored"] += 1
        for agency in sorted({m.agency for m in row.matches}):
            line = lines.setdefault(agency, AgencyLine(agency))
            line.mentions += 1
            if score and score.label == "negative":
                line.negative += 1
                line.top.append(Story(row.headline, row.url, row.outlet or row.source, score.score))
    previous: Counter[str] = Counter()
    for row in _items(session, since - (until - since), since):
        previous.update({m.agency for m in row.matches})
    for line in lines.values():
        line.previous = previous[line.agency]
        line.top = sorted(line.top, key=lambda s: -s.score)[:top]
    open_q = select(Response).where(Response.status.in_(OPEN))
    responses = list(session.scalars(open_q))
    overdue = sum(1 for r in responses if r.deadline is not None and r.deadline < until)
    ordered = sorted(lines.values(), key=lambda a: (-a.negative, -a.mentions, a.agency))
    return Digest(since, until, zone, ordered, mix, len(responses), overdue)


def render_text(d: Digest) -> str:
    """Slack mrkdwn; every outside string escaped, each story a safe link."""
    z = ZoneInfo(d.zone)
    period = f"{d.since.astimezone(z):%Y-%m-%d %H:%M} – {d.until.astimezone(z):%Y-%m-%d %H:%M}"
    head = (f"*每日輿情摘要* {period}\n"
            f"情緒：負面 {d.sentiment['negative']}、非負面 {d.sentiment['not_negative']}"
            f"、未評分 {d.sentiment['unscored']}"
            f"｜待處理回應 {d.open_responses}（逾期 {d.overdue_responses}）")
    out = [head]
    if d.spikes:
        out.append("*激增*：" + "、".join(f"{escape(a.agency)} {a.previous}→{a.mentions}" for a in d.spikes))
    for i, a in enumerate(d.agencies, 1):
        out.append(f"*{i}. {escape(a.agency)}* 提及 {a.mentions}，負面 {a.negative}")
        for s in a.top:
            url = safe_url(s.url)
            title = clip(s.title, 200)
            out.append(f"    • {f'<{url}|{title}>' if url else title}（{escape(s.outlet)}，{s.score:.2f}）")
    if not d.agencies:
        out.append("期間內沒有與本府相關的報導。")
    return clip_lines(out, 39_000)


def clip_lines(lines: list[str], limit: int) -> str:
    text = ""
    for line in lines:
        if len(text) + len(line) + 1 > limit:
            return text + "…"
        text += line + "\n"
    return text.rstrip("\n")


def _cjk_font() -> str | None:
    from matplotlib import font_manager

    wanted = ("Noto Sans CJK TC", "Noto Sans TC", "Noto Sans CJK JP", "Microsoft JhengHei", "PingFang TC",
              "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "AR PL UMing TW", "Heiti TC")
    names = {f.name for f in font_manager.fontManager.ttflist}
    return next((w for w in wanted if w in names), None)


def chart_png(d: Digest, limit: int = 15) -> bytes:
    """Bars per agency: negative and other mentions.

    Without a CJK font on the machine, bars are numbered as in the text (install fonts-noto-cjk)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    lines = d.agencies[:limit]
    font = _cjk_font()
    labels = [a.agency if font else f"#{i}" for i, a in enumerate(lines, 1)]
    fig = Figure(figsize=(8, 0.4 * max(3, len(lines)) + 1.2), dpi=100)
    ax = fig.add_subplot()
    neg = [a.negative for a in lines]
    other = [a.mentions - a.negative for a in lines]
    ax.barh(labels, neg, color="#c0392b", label="negative")
    ax.barh(labels, other, left=neg, color="#95a5a6", label="other")
    if font:
        for text in ax.get_yticklabels():
            text.set_fontfamily(font)
    ax.invert_yaxis()
    ax.set_xlabel("mentions")
    ax.set_title(f"{d.since.astimezone(ZoneInfo(d.zone)):%Y-%m-%d %H:%M} + {d.until - d.since}")
    ax.legend(loc="lower right")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


@runtime_checkable
class DigestSink(Protocol):
    """A notifier that can post a plain message and upload a file (Slack)."""

    def post(self, channel: str, text: str, blocks: list[dict[str, Any]] | None = None, *,
             key: str | None = None) -> Delivery: ...

    def upload(self, channel: str, *, content: bytes, filename: str, title: str, comment: str) -> None: ...


@runtime_checkable
class DigestMailer(Protocol):
    """A notifier that sends the digest whole (e-mail: text, and the chart attached)."""

    def send_digest(self, text: str, chart: bytes) -> None: ...


def send_digest(notifier: Notifier, channel: str, d: Digest, key: str | None = None) -> Delivery:
    """Send ``d`` whole: Slack posts the text (with ``key`` in its metadata) then uploads the chart."""
    text = render_text(d)
    if isinstance(notifier, DigestSink):
        delivery = notifier.post(channel, text, key=key)
        notifier.upload(channel, content=chart_png(d), filename=f"digest-{d.until:%Y%m%d}.png",
                        title="各機關提及與負面則數", comment="每日摘要圖表")
        return delivery
    if isinstance(notifier, DigestMailer):
        notifier.send_digest(text, chart_png(d))
    elif isinstance(notifier, ConsoleNotifier):
        notifier.stream.write(text + "\n")
        notifier.stream.flush()
    else:
        raise TypeError(f"notifier {notifier.name!r} cannot send a digest")
    return Delivery(channel=channel)


def digest_channel(settings: Settings) -> str:
    return settings.notifications.slack.digest_channel or settings.notifications.slack.channel


def run_digest_if_due(session: Session, settings: Settings, now: datetime | None = None,
                      notifiers: list[str] | None = None) -> int:
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
                  "zone": settings.office.timezone, "text": f"每日輿情摘要 {local.date().isoformat()}"}
        try:
            with session.begin_nested():
                session.add(Alert(kind="digest", channel=digest_channel(settings), notifier=name,
                                  idempotency_key=key, status="pending", next_attempt_at=now, payload=period))
        except IntegrityError:
            continue  # another scheduler queued it first
        made += 1
    session.commit()
    return made


def deliver_digest(session: Session, notifier: Notifier, alert: Alert, message: AlertMessage) -> Delivery:
    """The outbox's send for a ``digest`` row: collect the period from its payload and send it."""
    p = alert.payload or {}
    try:
        since, until = datetime.fromisoformat(p["since"]), datetime.fromisoformat(p["until"])
    except (KeyError, TypeError, ValueError):
        raise PermanentError(f"digest #{alert.id}: its period is missing from the payload") from None
    d = collect(session, since, until, str(p.get("zone") or "Asia/Taipei"))
    session.commit()  # end the read before the platform is called
    return send_digest(notifier, alert.channel, d, key=message.idempotency_key)


def by_agency(d: Digest) -> dict[str, dict[str, int]]:
    """Plain numbers per agency (for the CLI's JSON output and tests)."""
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for a in d.agencies:
        out[a.agency] = {"mentions": a.mentions, "negative": a.negative, "previous": a.previous}
    return dict(out)
