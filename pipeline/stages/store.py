"""Store an item with its matches and sentiment score. One savepoint per item: all of it or none."""

from __future__ import annotations

import hashlib

from sqlalchemy.exc import IntegrityError

from pipeline.items import Drop, Item
from pipeline.models import ItemRow, MatchRow, SentimentScore
from pipeline.stages import Context
from pipeline.urls import canonical_url


def store(item: Item, ctx: Context) -> Item:
    row = ItemRow(
        url=item.url, canonical_url=item.canonical_url or canonical_url(item.url),
        content_hash=item.content_hash or hashlib.sha256(f"{item.title}\n{item.text}".encode()).hexdigest(),
        source=item.source, outlet=item.outlet, kind=item.kind, title=item.title, text=item.text,
        published_at=item.published_at, authors=list(item.authors), language=item.language,
        engagement=dict(item.engagement), cluster_id=item.cluster_id, priority=item.priority,
        flagged=item.flagged, meta=dict(item.meta))
    if item.decision is not None:
        d = item.decision
        row.government, row.response_score, row.agency = d.government, d.score, d.agency
        row.meta = {**row.meta, "decision": d.to_dict()}
    for m in item.matches:
        for agency in m.agencies or [""]:
            row.matches.append(MatchRow(agency=agency, rule=m.rule, kind=m.kind, terms=list(m.terms)))
    if item.sentiment is not None:
        s = item.sentiment
        row.scores.append(SentimentScore(label=s.label, score=s.score, model=s.model, version=s.version))
    try:
        with ctx.session.begin_nested():
            ctx.session.add(row)
    except IntegrityError:
        # Another process stored the same URL between our dedupe check and now.
        raise Drop("duplicate-url", item.url) from None
    item.id = row.id
    ctx.incr("stored")
    if item.flagged:
        ctx.incr("flagged")
    return item
