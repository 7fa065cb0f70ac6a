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
from pipeline.settings import Settings

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


def _ids_query(f: InboxFilters) -> Any:
    """The matching responses' ids: only small columns are sorted, and items are joined only when a
    filter reads them (at a million items, sorting whole rows with their text took 300 ms)."""
    stmt = select(Response.id)
    if f.status == "active":
        stmt = stmt.where(Response.status.in_(OPEN))
    elif f.status:
        stmt = stmt.where(Response.status == f.status)
    for column, value in ((Response.agency, f.agency), (Response.priority, f.priority)):
        if value:
            stmt = stmt.where(column == value)
    if f.outlet or f.government or f.since or f.until or f.min_score is not None:
        # flagged items only: they are what responses are opened for, and a partial index holds them
        # with these columns (migration pipeline_007), so no item row is read
        when = func.coalesce(ItemRow.published_at, ItemRow.collected_at)
        items = select(ItemRow.id).where(ItemRow.flagged == True)  # noqa: E712 - matches the index's WHERE
        for column, value in ((ItemRow.outlet, f.outlet), (ItemRow.government, f.government)):
            if value:  # coalesce: not the whole-table index on government, the partial one
                items = items.where(func.coalesce(column, "") == value)
        if f.since is not None:
            items = items.where(when >= f.since)
        if f.until is not None:
            items = items.where(when < f.until)
        if f.min_score is not None:
            items = items.where(ItemRow.response_score >= f.min_score)
        stmt = stmt.where(Response.item_id.in_(items))
    return stmt


def cards(session: Session, f: InboxFilters, *, limit: int, offset: int = 0,
          after: int | None = None) -> list[Card]:
    """Highest priority first, newest first; with ``after``, only responses opened since that id."""
    stmt = _ids_query(f)
    if after is not None:
        stmt = stmt.where(Response.id > after).order_by(Response.id.desc())
    else:
        stmt = stmt.order_by(PRIORITY_ORDER, Response.created_at.desc(), Response.id.desc())
    ids = list(session.scalars(stmt.limit(limit).offset(offset)))
    if not ids:
        return []
    rows = session.execute(select(Response, ItemRow, Cluster).outerjoin(ItemRow, Response.item_id == ItemRow.id)
                           .outerjoin(Cluster, Response.cluster_id == Cluster.id).where(Response.id.in_(ids))).all()
    by_id = {r.id: (r, i, c) for r, i, c in rows}
    return [card(session, *by_id[i]) for i in ids if i in by_id]


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


def outlet_choices(settings: Settings) -> list[str]:
    """Outlet codes for the filter: the registry's and the configured sources' (no scan of the items)."""
    from crawlers.outlets import REGISTRY

    return sorted(set(REGISTRY) | {src.outlet for src in settings.sources if src.outlet})
