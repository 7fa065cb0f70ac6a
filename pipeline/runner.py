"""The monitoring pass: collected items → stages → stored, flagged and queued for alerting.

The order of stages is data (like Scrapy's ``ITEM_PIPELINES``): dotted paths, imported on use.
Each chunk of items is one transaction, so a crash or Ctrl-C never leaves a half-written item:
an item that was not committed is fetched again on the next pass.
"""

from __future__ import annotations

import importlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import cache
from typing import Any

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from pipeline.db import DatabaseError, describe, transaction
from pipeline.items import Item
from pipeline.sentiment import Scorer
from pipeline.settings import Settings
from pipeline.stages import BatchStage, Context, Stage, run_batch

#: Per-item stages before the batched model, the batched model, per-item stages after it.
BEFORE = ("pipeline.stages.normalize:normalize", "pipeline.stages.engagement:refresh",
          "pipeline.stages.dedupe:dedupe", "pipeline.stages.match:match")
BATCH = "pipeline.stages.score:score"
AFTER = ("pipeline.stages.triage:triage", "pipeline.stages.store:store", "pipeline.search:index",
         "pipeline.responses:track",
         "pipeline.stages.alert:alert")


@cache
def load(path: str) -> Any:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def _chunks(items: Iterable[Item], size: int) -> Iterator[list[Item]]:
    chunk: list[Item] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def process(
    items: Iterable[Item],
    settings: Settings,
    sessions: sessionmaker[Session],
    *,
    scorer_factory: Callable[[], Scorer] | None = None,
    alert_sink: Callable[[Session, Item], int] | None = None,
    before: Sequence[str] = BEFORE,
    batch: str | None = BATCH,
    after: Sequence[str] = AFTER,
    progress: Callable[[int], object] | None = None,
) -> Counter[str]:
    """Run items through the stages, one transaction per chunk; returns the outcome counts."""
    counts: Counter[str] = Counter()
    stages_before: list[Stage] = [load(p) for p in before]
    stages_after: list[Stage] = [load(p) for p in after]
    batch_stage: BatchStage | None = load(batch) if batch else None
    for chunk in _chunks(items, settings.sentiment.batch_size * 4):
        counts["collected"] += len(chunk)
        try:
            with transaction(sessions) as session:
                ctx = Context(settings, session, scorer_factory, alert_sink)
                run_batch(chunk, stages_before, batch_stage, stages_after, ctx)
        except OperationalError as exc:
            raise DatabaseError(f"cannot write to {describe(sessions.kw['bind'])}: {exc.orig}") from None
        counts.update(ctx.counts)
        if progress is not None:
            progress(len(chunk))
    return counts
