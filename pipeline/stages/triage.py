"""Triage: a priority and whether to alert at once, from the decision, reach, velocity and sensitivity.

The rules are data (``[[triage.rules]]``), tried in order; the first whose conditions all hold gives
the item's ``priority`` and action: ``alert`` (``item.flagged``: the alert stage sends it now),
``digest`` (the daily digest) or ``store`` (kept, not shown). ``min_score`` left unset means
``[decision] threshold`` and ``relevant`` left unset follows ``[alerts] only_relevant``, so with the
shipped rules an item alerts exactly when the decision says it needs a response from the office
(:mod:`pipeline.stages.decide`). An item without a decision fails every ``min_score`` above 0.

    urgency  = P(needs a response) × sensitivity × reach factor × velocity factor
    sensitivity     = the highest ``sensitivity`` of the agencies the item is routed to (1.0 if none)
    reach factor    = 1 + log10(1 + reach / 1000)    reach: the story's (cluster's) reach points
    velocity factor = 1 + log2(1 + velocity) / 4     velocity: copies of the story in the last hour
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from pipeline.items import Item
from pipeline.models import Cluster, ClusterMember, utcnow
from pipeline.reach import item_reach
from pipeline.settings import Settings, TriageRule
from pipeline.stages import Context

PRIORITIES = ("critical", "high", "normal", "low")


@dataclass(frozen=True)
class Signals:
    score: float | None  # P(needs a response from the office)
    ours: bool  # the item concerns the office's government
    negative: float | None  # P(negative emotion), when the model gives one
    relevant: bool
    sensitivity: float
    reach: int
    velocity: int

    @property
    def urgency(self) -> float:
        if self.score is None:
            return 0.0
        reach = 1 + math.log10(1 + self.reach / 1000)
        velocity = 1 + math.log2(1 + self.velocity) / 4
        return self.score * self.sensitivity * reach * velocity


def velocity(session: Session, cluster_id: int | None, at: datetime) -> int:
    """Copies of the story seen in the hour up to ``at``."""
    if cluster_id is None:
        return 1
    return session.connection().scalar(select(func.count()).select_from(ClusterMember).where(
        ClusterMember.cluster_id == cluster_id, ClusterMember.seen_at > at - timedelta(hours=1),
        ClusterMember.seen_at <= at)) or 0


def signals(item: Item, ctx: Context) -> Signals:
    settings = ctx.settings
    sens = {a.short: a.sensitivity for a in settings.agencies}
    agencies = item.routed
    reach = item_reach(item, settings)
    if item.cluster_id is not None:
        reach = ctx.session.connection().scalar(
            select(Cluster.reach).where(Cluster.id == item.cluster_id)) or reach
    at = item.published_at or utcnow()
    d = item.decision
    return Signals(
        score=d.score if d else None,
        ours=d is not None and d.government == settings.office.government,
        negative=d.emotion if d else None,
        relevant=bool(item.matches),
        sensitivity=max((sens.get(a, 1.0) for a in agencies), default=1.0),
        reach=reach,
        velocity=velocity(ctx.session, item.cluster_id, at),
    )


def holds(rule: TriageRule, sig: Signals, agencies: list[str], settings: Settings) -> bool:
    """Whether every condition of ``rule`` holds; unset conditions follow ``[alerts]``."""
    min_score = settings.decision.threshold if rule.min_score is None else rule.min_score
    must_be_relevant = settings.alerts.only_relevant if rule.relevant is None else rule.relevant
    return all((
        min_score <= 0 or (sig.score is not None and sig.score >= min_score),
        rule.ours is None or sig.ours == rule.ours,
        rule.min_negative is None or (sig.negative is not None and sig.negative >= rule.min_negative),
        not must_be_relevant or sig.relevant,
        sig.urgency >= rule.min_urgency,
        sig.velocity >= rule.min_velocity,
        sig.reach >= rule.min_reach,
        not rule.agencies or any(a in rule.agencies for a in agencies),
    ))


def first_rule(sig: Signals, agencies: list[str], settings: Settings) -> TriageRule | None:
    return next((r for r in settings.triage.rules if holds(r, sig, agencies, settings)), None)


def triage(item: Item, ctx: Context) -> Item:
    """Set ``item.priority`` and ``item.flagged``; ``meta['triage']`` says which rule and why."""
    sig = signals(item, ctx)
    rule = first_rule(sig, item.routed, ctx.settings)
    item.priority = rule.priority if rule else "low"
    item.flagged = rule is not None and rule.action == "alert"
    item.meta["triage"] = {"rule": rule.name if rule else None, "action": rule.action if rule else "store",
                           "urgency": round(sig.urgency, 3), "velocity": sig.velocity, "reach": sig.reach,
                           "sensitivity": sig.sensitivity}
    if item.cluster_id is not None:
        _raise_cluster_priority(ctx.session, item.cluster_id, item.priority)
    ctx.incr(f"triage:{item.priority}")
    return item


def _raise_cluster_priority(session: Session, cluster_id: int, priority: str) -> None:
    """A story's priority is the highest any of its copies got."""
    conn = session.connection()
    current = conn.scalar(select(Cluster.priority).where(Cluster.id == cluster_id))
    if current is None or PRIORITIES.index(priority) < PRIORITIES.index(current):
        conn.execute(update(Cluster).where(Cluster.id == cluster_id).values(priority=priority))
