"""Stages: each is a function of (item, context) that returns the item or raises ``Drop``.

The order of stages is data (:data:`MONITORING`), like Scrapy's ``ITEM_PIPELINES``. A stage holds no
process state of its own: everything it needs comes from the :class:`Context` (settings, database
session, and shared resources such as the loaded model), so an in-process runner and a Celery worker
can call the same function.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.orm import Session

from pipeline.items import Drop, Item
from pipeline.settings import Settings

if TYPE_CHECKING:
    from pipeline.decision import Decider
    from pipeline.sentiment import Scorer


@dataclass
class Context:
    """What a stage may use: settings, an open session, resources, and the outcome counters."""

    settings: Settings
    session: Session
    scorer_factory: Callable[[], Scorer] | None = None
    #: The alert decision's model (None: the one the settings name, loaded once per process).
    decider_factory: Callable[[], Decider] | None = None
    #: Writes a flagged, stored item's alerts to the outbox and returns how many it queued
    #: (wired by the CLI to ``notifications.outbox``; None stores without alerting).
    alert_sink: Callable[[Session, Item], int] | None = None
    counts: Counter[str] = field(default_factory=Counter)

    def incr(self, outcome: str, n: int = 1) -> None:
        self.counts[outcome] += n


class Stage(Protocol):
    """A pipeline stage. Return the item (possibly enriched) or raise ``Drop(reason)``."""

    def __call__(self, item: Item, ctx: Context, /) -> Item: ...


class BatchStage(Protocol):
    """A stage that is cheaper per batch (the sentiment model). Items keep their order."""

    def __call__(self, items: list[Item], ctx: Context, /) -> list[Item]: ...


def run_item(item: Item, stages: Sequence[Stage], ctx: Context) -> Item | None:
    """Run one item through ``stages``; a ``Drop`` is counted as ``dropped:<reason>``."""
    for stage in stages:
        try:
            item = stage(item, ctx)
        except Drop as drop:
            ctx.incr(f"dropped:{drop.reason}")
            return None
    return item


def run_batch(
    items: Iterable[Item],
    before: Sequence[Stage],
    batch: BatchStage | None,
    after: Sequence[Stage],
    ctx: Context,
) -> list[Item]:
    """Per-item stages, then one batched stage over the survivors, then per-item stages again."""
    kept = [it for it in (run_item(i, before, ctx) for i in items) if it is not None]
    if batch is not None and kept:
        kept = batch(kept, ctx)
    return [it for it in (run_item(i, after, ctx) for i in kept) if it is not None]
