"""The decision without a database: the stages a crawl runs, for items read from a file.

``newsdesk triage`` and the evaluation use this, so a file's items get the decision ``crawl``/``run``
would make for them: normalize → match → decide → triage, with the story's reach and velocity those
of a single copy (there is no archive to cluster against).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import cast

from sqlalchemy.orm import Session

from pipeline.decision import Decider
from pipeline.items import Item
from pipeline.settings import Settings
from pipeline.stages import Context, run_batch

BEFORE = ("pipeline.stages.normalize:normalize", "pipeline.stages.match:match")
BATCH = "pipeline.stages.decide:decide"
AFTER = ("pipeline.stages.triage:triage",)


def decide_items(items: Sequence[Item], settings: Settings,
                 decider_factory: Callable[[], Decider] | None = None) -> list[Item | None]:
    """Each item decided and triaged, in input order; None where a stage dropped it (e.g. empty)."""
    from pipeline.runner import load

    ctx = Context(settings, cast(Session, None), decider_factory=decider_factory)  # no stage here needs one
    for item in items:
        item.cluster_id = None
    kept = run_batch(items, [load(p) for p in BEFORE], load(BATCH), [load(p) for p in AFTER], ctx)
    done = {id(i) for i in kept}
    return [i if id(i) in done else None for i in items]
