"""Engagement refresh: a post seen before comes back with its current likes, shares and comments.

Social collectors revisit the posts they found for a while (``revisit_hours``), so a post that
takes off after it was first stored raises its story's reach. When the stored post's engagement
changed, the row takes the new counts (the last few readings are kept in ``meta["engagement_history"]``)
and its story's ``reach`` moves by the difference; the item then stops here: it is not a new copy.
Posts never stored go on to dedupe like any other item.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update

from pipeline.items import Drop, Item
from pipeline.models import Cluster, ItemRow
from pipeline.stages import Context

HISTORY = 10  # readings kept per post


def points(engagement: dict[str, int]) -> int:
    """What engagement adds to reach (as :func:`pipeline.reach.item_reach` counts it)."""
    return sum(max(0, int(v)) for v in (engagement or {}).values())


def refresh(item: Item, ctx: Context) -> Item:
    if item.kind != "post" or not item.engagement or not item.canonical_url:
        return item
    row = ctx.session.scalar(select(ItemRow).where(ItemRow.canonical_url == item.canonical_url).limit(1))
    if row is None:
        return item
    old = dict(row.engagement or {})
    if old == item.engagement:
        ctx.incr("engagement:unchanged")
        raise Drop("engagement-unchanged", item.url)
    now = datetime.now(UTC)
    history = list((row.meta or {}).get("engagement_history", []))[-(HISTORY - 1):]
    history.append({"at": now.isoformat(timespec="seconds"), **item.engagement})
    row.engagement = dict(item.engagement)
    row.meta = {**(row.meta or {}), "engagement_history": history}
    delta = points(item.engagement) - points(old)
    if row.cluster_id is not None and delta:
        ctx.session.execute(update(Cluster).where(Cluster.id == row.cluster_id)
                            .values(reach=Cluster.reach + delta, updated_at=now))
    ctx.incr("engagement:updated")
    raise Drop("engagement-updated", item.url)
