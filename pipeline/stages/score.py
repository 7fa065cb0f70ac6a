"""Score sentiment in batches with the configured model (loaded once per process, lazily)."""

from __future__ import annotations

from pipeline.items import Item, Sentiment
from pipeline.sentiment import get_scorer, label_for
from pipeline.stages import Context


def score(items: list[Item], ctx: Context) -> list[Item]:
    """Set ``item.sentiment`` on every item; the text scored is the title plus the lead."""
    scorer = ctx.scorer_factory() if ctx.scorer_factory else get_scorer(ctx.settings.sentiment)
    threshold = ctx.settings.sentiment.threshold
    probs = scorer.score([item.scoring_text for item in items])
    for item, p in zip(items, probs, strict=True):
        item.sentiment = Sentiment(label_for(p, threshold), float(p), scorer.name, scorer.version)
    ctx.incr("scored", len(items))
    return items
