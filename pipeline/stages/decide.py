"""Decide in batches: which government, P(needs a response from the office), the answering bureau.

Sets ``item.decision`` (:class:`pipeline.decision.Decision`) and ``item.sentiment``: what the office
calls negative coverage is coverage that needs a response, so the decision's score is the item's
"negative" score everywhere it is shown (digest, charts, the dashboard's share of negative items).
"""

from __future__ import annotations

from pipeline.decision import Doc, get_decider
from pipeline.items import Item, Sentiment
from pipeline.stages import Context


def decide(items: list[Item], ctx: Context) -> list[Item]:
    decider = ctx.decider_factory() if ctx.decider_factory else get_decider(ctx.settings)
    docs = [Doc(item.title or "", item.text or "", item.outlet, tuple(item.matches)) for item in items]
    for item, d in zip(items, decider.decide(docs), strict=True):
        item.decision = d
        item.sentiment = Sentiment("negative" if d.needs_response else "not_negative", d.score, d.model,
                                   d.version)
        ctx.incr(f"decision:{'needs-response' if d.needs_response else 'no-response'}")
        ctx.incr(f"government:{d.government}")
    ctx.incr("scored", len(items))
    return items
