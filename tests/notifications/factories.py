"""Stored items for outbox tests: an item row with a score, a match and (optionally) a story cluster."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from pipeline.items import Item
from pipeline.models import Cluster, ItemRow, MatchRow, SentimentScore

_n = iter(range(1, 10**9))
PUBLISHED = datetime(2024, 9, 2, 1, 30, tzinfo=UTC)


def cluster(session: Session, title: str = "北捷列車故障", outlets: list[str] | None = None,
            reach: int = 0) -> int:
    row = Cluster(title=title, outlets=outlets or [], reach=reach)
    session.add(row)
    session.flush()
    return row.id


def stored_item(session: Session, *, title: str = "北捷板南線列車故障", outlet: str = "cna",
                cluster_id: int | None = None, agency: str = "捷運公司", priority: str | None = "high",
                score: float = 0.9, label: str = "negative", collected_at: datetime | None = None,
                published_at: datetime | None = PUBLISHED) -> Item:
    n = next(_n)
    url = f"https://news.example.tw/{outlet}/{n}"
    row = ItemRow(url=url, canonical_url=url, content_hash=f"{n:064d}", source=outlet, outlet=outlet,
                  title=title, text="內文", published_at=published_at,
                  cluster_id=cluster_id,
                  priority=priority, collected_at=collected_at or datetime.now(UTC))
    row.scores.append(SentimentScore(label=label, score=score, model="builtin", version="1"))
    row.matches.append(MatchRow(agency=agency, rule=agency, terms=["北捷"]))
    session.add(row)
    session.flush()
    return Item(url=url, title=title, text="內文", source=outlet, outlet=outlet, id=row.id,
                cluster_id=cluster_id, priority=priority)
