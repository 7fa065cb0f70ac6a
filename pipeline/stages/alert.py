"""Hand flagged, stored items to the outbox (the notifier's worker delivers them after commit)."""

from __future__ import annotations

from pipeline.items import Item
from pipeline.stages import Context


def alert(item: Item, ctx: Context) -> Item:
    """Queue alerts for a flagged item through ``ctx.alert_sink`` (idempotent per story and channel)."""
    if item.flagged and item.id is not None and ctx.alert_sink is not None:
        ctx.incr("alerts-queued", ctx.alert_sink(ctx.session, item))
    return item
