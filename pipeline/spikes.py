"""Spike detection: per agency and per topic, the last window against its own baseline.

Statistic: items routed to a scope are counted in the window (default the last 60 minutes) and in
the baseline before it (news: 14 days, social posts: 12 hours; ``[spikes]``). Under "nothing
unusual" the window's count is Poisson with mean λ = baseline count × window / baseline length,
floored at ``min_rate`` (a quiet scope does not spike on its second item). A spike is a count of at
least ``min_count`` whose upper tail P(X ≥ count | λ) is below ``p_value``. Articles and posts are
tested apart, since social volume swings far more.

A spike becomes one ``Alert`` row (kind ``spike``) per notifier, with an idempotency key of scope,
name, kind and the window's hour, so a rerun or a second process in the same hour writes nothing new.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.models import Alert, ItemRow, MatchRow, SentimentScore, utcnow
from pipeline.settings import Settings, SpikeSettings
from pipeline.stages.dedupe import take_lock


@dataclass
class Spike:
    scope: str  # agency | topic
    name: str
    kind: str  # article | post
    count: int
    expected: float
    p_value: float
    window_end: datetime
    top_terms: list[tuple[str, int]] = field(default_factory=list)
    top_items: list[dict[str, Any]] = field(default_factory=list)
    sentiment: dict[str, int] = field(default_factory=dict)


def poisson_tail(count: int, mean: float) -> float:
    """P(X ≥ count) for X ~ Poisson(mean)."""
    if count <= 0:
        return 1.0
    below = sum(math.exp(k * math.log(mean) - mean - math.lgamma(k + 1)) for k in range(count))
    return max(0.0, 1.0 - below)


def _when() -> Any:
    return func.coalesce(ItemRow.published_at, ItemRow.collected_at)


def _counts(session: Session, start: datetime, end: datetime) -> Counter[tuple[str, str, str]]:
    """(scope, name, kind) → distinct items routed there with a time in [start, end)."""
    when = _when()
    rows = session.execute(
        select(MatchRow.kind, MatchRow.agency, MatchRow.rule, ItemRow.kind, ItemRow.id)
        .join(ItemRow, MatchRow.item_id == ItemRow.id).where(when >= start, when < end))
    seen: set[tuple[str, str, str, int]] = set()
    for match_kind, agency, rule, kind, item_id in rows:
        seen.add(("agency", agency, kind, item_id))
        if match_kind == "topic":
            seen.add(("topic", rule.removeprefix("topic:"), kind, item_id))
    return Counter((s, n, k) for s, n, k, _ in seen)


def detect(session: Session, settings: Settings, now: datetime | None = None,
           window: timedelta | None = None) -> list[Spike]:
    """Spikes in the window ending at ``now`` (default ``[spikes] window_minutes``; the daily digest
    asks about its whole period with the same rule), with their details filled in."""
    return detect_with(session, settings.spikes, now, window)


def detect_with(session: Session, cfg: SpikeSettings, now: datetime | None = None,
                window: timedelta | None = None) -> list[Spike]:
    """:func:`detect` with the ``[spikes]`` settings alone."""
    now = now or utcnow()
    window = window or timedelta(minutes=cfg.window_minutes)
    current = _counts(session, now - window, now)
    spikes = []
    for (scope, name, kind), count in sorted(current.items()):
        if count < cfg.min_count:
            continue
        hours = cfg.baseline_hours_social if kind == "post" else cfg.baseline_hours_news
        base_start = now - window - timedelta(hours=hours)
        baseline = _counts_for(session, scope, name, kind, base_start, now - window)
        expected = max(baseline * window / timedelta(hours=hours), cfg.min_rate)
        p = poisson_tail(count, expected)
        if p < cfg.p_value:
            spike = Spike(scope, name, kind, count, expected, p, now)
            _details(session, spike, now - window, now)
            spikes.append(spike)
    return spikes


def _scope_filter(scope: str, name: str) -> Any:
    return MatchRow.agency == name if scope == "agency" else MatchRow.rule == f"topic:{name}"


def _counts_for(session: Session, scope: str, name: str, kind: str, start: datetime, end: datetime) -> int:
    when = _when()
    return session.scalar(
        select(func.count(func.distinct(ItemRow.id))).join(MatchRow, MatchRow.item_id == ItemRow.id)
        .where(_scope_filter(scope, name), ItemRow.kind == kind, when >= start, when < end)) or 0


def _details(session: Session, spike: Spike, start: datetime, end: datetime) -> None:
    """Top terms, top items (by engagement, one per story) and the sentiment mix of the window."""
    when = _when()
    rows = session.execute(
        select(ItemRow, MatchRow.terms).join(MatchRow, MatchRow.item_id == ItemRow.id)
        .where(_scope_filter(spike.scope, spike.name), ItemRow.kind == spike.kind, when >= start, when < end)
    ).all()
    per_item: dict[int, set[str]] = {}
    items: dict[int, ItemRow] = {}
    for item, matched in rows:
        per_item.setdefault(item.id, set()).update(matched or [])
        items[item.id] = item
    terms: Counter[str] = Counter(t for found in per_item.values() for t in found)  # items per term
    spike.top_terms = sorted(terms.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    ranked = sorted(items.values(), key=lambda i: -sum((i.engagement or {}).values()))
    stories: dict[object, ItemRow] = {}
    for it in ranked:
        stories.setdefault(it.cluster_id or f"item:{it.id}", it)
    spike.top_items = [{"id": i.id, "title": i.headline, "url": i.url, "outlet": i.outlet,
                        "cluster_id": i.cluster_id} for i in list(stories.values())[:5]]
    mix: Counter[str] = Counter()
    for item_id in items:
        label = session.scalar(select(SentimentScore.label).where(SentimentScore.item_id == item_id)
                               .order_by(SentimentScore.id.desc()).limit(1))
        mix[label or "unscored"] += 1
    spike.sentiment = dict(mix)


def channel_for(settings: Settings, spike: Spike) -> str:
    slack = settings.notifications.slack
    return slack.channels.get(spike.name) or slack.channels.get("spike") or slack.channel


def write_alerts(session: Session, settings: Settings, spikes: list[Spike], notifiers: list[str]) -> int:
    """One pending ``Alert`` (kind ``spike``) per spike and notifier; returns how many were new."""
    written = 0
    if spikes:
        take_lock(session)  # one writer at a time: a second process sees the first one's alerts
    for spike in spikes:
        hour = spike.window_end.strftime("%Y%m%dT%H")
        channel = channel_for(settings, spike)
        for notifier in notifiers:
            key = f"{notifier}:{channel}:spike:{spike.scope}:{spike.name}:{spike.kind}:{hour}"
            if session.scalar(select(Alert.id).where(Alert.idempotency_key == key)) is not None:
                continue
            alert = Alert(kind="spike", channel=channel, notifier=notifier, idempotency_key=key,
                          status="pending", next_attempt_at=utcnow(),
                          item_id=spike.top_items[0]["id"] if spike.top_items else None,
                          payload=payload(spike))
            session.add(alert)
            session.flush()
            written += 1
    return written


def payload(spike: Spike) -> dict[str, Any]:
    return {"scope": spike.scope, "name": spike.name, "kind": spike.kind, "count": spike.count,
            "expected": round(spike.expected, 3), "p_value": spike.p_value,
            "window_end": spike.window_end.isoformat(), "top_terms": spike.top_terms,
            "top_items": spike.top_items, "sentiment": spike.sentiment}
