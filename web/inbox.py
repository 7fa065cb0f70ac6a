"""What the inbox shows: one card per flagged story (its response row), with the alert decision.

A read model only: every change goes through :mod:`pipeline.responses`. Items stored before the
alert decision existed have no ``government``/``response_score``/``meta["decision"]``: their card
shows the sentiment score and the watchlist's routing instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from pipeline.models import Cluster, ItemRow, Response, SentimentScore, utcnow
from pipeline.responses import OPEN, is_overdue

PRIORITY_ORDER = case((Response.priority == "critical", 0), (Response.priority == "high", 1),
                      (Response.priority == "normal", 2), (Response.priority == "low", 3), else_=4)


@dataclass(frozen=True)
class InboxFilters:
    agency: str = ""
    priority: str = ""
    status: str = "active"  # active = open or assigned; "" = all
    outlet: str = ""
    government: str = ""
    since: datetime | None = None
    until: datetime | None = None
    min_score: float | None = None


@dataclass
class Card:
    response: Response
    item: ItemRow | None
    cluster: Cluster | None
    overdue: bool
    outlets: list[str] = field(default_factory=list)
    copies: int = 1
    score: float | None = None
    score_kind: str = ""
    snippets: list[str] = field(default_factory=list)
    decision: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        if self.item is not None:
            return self.item.headline
        return self.cluster.title if self.cluster else f"回應 #{self.response.id}"


def _query(f: InboxFilters) -> Any:
    when = func.coalesce(ItemRow.published_at, ItemRow.collected_at)
    stmt = (select(Response, ItemRow, Cluster).outerjoin(ItemRow, Response.item_id == ItemRow.id)
            .outerjoin(Cluster, Response.cluster_id == Cluster.id))
    if f.status == "active":
        stmt = stmt.where(Response.status.in_(OPEN))
    elif f.status:
        stmt = stmt.where(Response.status == f.status)
    for column, value in ((Response.agency, f.agency), (Response.priority, f.priority),
                          (ItemRow.outlet, f.outlet), (ItemRow.government, f.government)):
        if value:
            stmt = stmt.where(column == value)
    if f.since is not None:
        stmt = stmt.where(when >= f.since)
    if f.until is not None:
        stmt = stmt.where(when < f.until)
    if f.min_score is not None:
        stmt = stmt.where(ItemRow.response_score >= f.min_score)
    return stmt


def cards(session: Session, f: InboxFilters, *, limit: int, offset: int = 0,
          after: int | None = None) -> list[Card]:
    """Highest priority first, newest first; with ``after``, only responses opened since that id."""
    stmt = _query(f)
    if after is not None:
        stmt = stmt.where(Response.id > after).order_by(Response.id.desc())
    else:
        stmt = stmt.order_by(PRIORITY_ORDER, Response.created_at.desc(), Response.id.desc())
    rows = session.execute(stmt.limit(limit).offset(offset)).all()
    return [card(session, r, i, c) for r, i, c in rows]


def card(session: Session, response: Response, item: ItemRow | None, cluster: Cluster | None,
         now: datetime | None = None) -> Card:
    c = Card(response, item, cluster, is_overdue(response, now or utcnow()))
    c.outlets = [str(o) for o in (cluster.outlets if cluster and cluster.outlets else [])]
    if not c.outlets and item is not None and item.outlet:
        c.outlets = [item.outlet]
    c.copies = max(cluster.item_count if cluster else 1, 1)
    if item is not None:
        meta = item.meta or {}
        c.decision = dict(meta.get("decision") or {})
        c.snippets = [s for snippets in (meta.get("highlights") or {}).values() for s in snippets][:3]
        if item.response_score is not None:
            c.score, c.score_kind = item.response_score, "需回應機率"
        else:
            latest = session.scalar(select(SentimentScore.score).where(SentimentScore.item_id == item.id)
                                    .order_by(SentimentScore.id.desc()).limit(1))
            if latest is not None:
                c.score, c.score_kind = latest, "負面機率"
    return c


def card_for(session: Session, response_id: int) -> Card:
    response = session.get(Response, response_id)
    if response is None:
        from web.errors import InputError

        raise InputError(f"回應 #{response_id} 不存在")
    item = session.get(ItemRow, response.item_id) if response.item_id else None
    cluster = session.get(Cluster, response.cluster_id) if response.cluster_id else None
    return card(session, response, item, cluster)


def newest_id(session: Session) -> int:
    return int(session.scalar(select(func.max(Response.id))) or 0)


def outlets_seen(session: Session) -> list[str]:
    """Outlet codes for the filter (those of responded-to items; small)."""
    stmt = select(ItemRow.outlet).join(Response, Response.item_id == ItemRow.id).distinct()
    return sorted(o for o in session.scalars(stmt) if o)
