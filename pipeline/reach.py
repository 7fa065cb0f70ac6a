"""Reach of one copy: the outlet's weight (``[triage] outlet_weights``) plus its social engagement."""

from __future__ import annotations

from pipeline.items import Item
from pipeline.settings import Settings


def item_reach(item: Item, settings: Settings) -> int:
    weights = settings.triage.outlet_weights
    outlet = item.outlet or item.source
    base = weights.get(outlet, settings.triage.default_outlet_weight)
    return base + sum(max(0, int(v)) for v in item.engagement.values())
