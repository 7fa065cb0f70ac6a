"""The monitoring pass: collected items → stages → stored, flagged and queued for alerting.

The order of stages is data (like Scrapy's ``ITEM_PIPELINES``): dotted paths, imported on use.

Short transactions: a chunk is prepared first without writing anything (normalize, a read-only
check for copies already stored, watchlist matching), then scored by the model with no transaction
open at all, and only then written in one transaction that starts by taking the dedupe lock
(story decisions, triage, store, responses, outbox). So another process waits for the writes of a
chunk, never for the model. The write is all or nothing: a crash or Ctrl-C never leaves a
half-written item, and an item that was not committed is fetched again on the next pass.
"""

from __future__ import annotations

import importlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from typing import Any

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from pipeline.batch import chunks
from pipeline.db import DatabaseError, describe, transaction
from pipeline.decision import Decider
from pipeline.items import Item
from pipeline.sentiment import Scorer
from pipeline.settings import Settings
from pipeline.stages import BatchStage, Context, Stage, run_item
from pipeline.stages.dedupe import take_lock

#: Per-item stages before the batched model (read-only), the batched model (no transaction), and the
#: per-item stages after it (one write transaction, under the dedupe lock).
BEFORE = ("pipeline.stages.normalize:normalize", "pipeline.stages.dedupe:known",
          "pipeline.stages.match:match")
BATCH = "pipeline.stages.decide:decide"
AFTER = ("pipeline.stages.engagement:refresh", "pipeline.stages.dedupe:dedupe", "pipeline.stages.triage:triage",
         "pipeline.stages.store:store", "pipeline.search:index", "pipeline.responses:track",
         "pipeline.stages.alert:alert")


@cache
def load(path: str) -> Any:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def process(
    items: Iterable[Item],
    settings: Settings,
    sessions: sessionmaker[Session],
    *,
    scorer_factory: Callable[[], Scorer] | None = None,
    decider_factory: Callable[[], Decider] | None = None,
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
    for chunk in chunks(items, settings.sentiment.batch_size * 4):
        counts["collected"] += len(chunk)
        try:
            kept = _prepare(chunk, stages_before, batch_stage, settings, sessions, scorer_factory, decider_factory,
                            counts)
            with transaction(sessions) as session:
                # The lock first: this transaction writes from its first statement (SQLite never has to
                # upgrade a read to a write, which fails at once when another process wrote meanwhile).
                take_lock(session, settings.dedupe.window_days)
                ctx = Context(settings, session, scorer_factory=scorer_factory,
                              decider_factory=decider_factory, alert_sink=alert_sink)
                for item in kept:
                    run_item(item, stages_after, ctx)
        except OperationalError as exc:
            raise DatabaseError(f"cannot write to {describe(sessions.kw['bind'])}: {exc.orig}") from None
        counts.update(ctx.counts)
        if progress is not None:
            progress(len(chunk))
    return counts


def _prepare(chunk: list[Item], before: Sequence[Stage], batch: BatchStage | None, settings: Settings,
             sessions: sessionmaker[Session], scorer_factory: Callable[[], Scorer] | None,
             decider_factory: Callable[[], Decider] | None, counts: Counter[str]) -> list[Item]:
    """The read-only stages in a session that writes nothing, then the model with none open."""
    session = sessions()
    try:
        ctx = Context(settings, session, scorer_factory=scorer_factory, decider_factory=decider_factory)
        kept = [it for it in (run_item(i, before, ctx) for i in chunk) if it is not None]
    finally:
        session.rollback()  # nothing to keep: ends the read, so no snapshot is held while scoring
        session.close()
    if batch is not None and kept:
        kept = batch(kept, ctx)
    counts.update(ctx.counts)
    return kept
