"""The dataclasses that flow between stages: the shared contract of every package.

A collector (feed, spider, social API) yields :class:`Item`; each stage takes an item and returns
it (possibly enriched) or raises :class:`Drop` with a short, countable reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeline.decision import Decision


class Drop(Exception):  # noqa: N818 - named like Scrapy's DropItem, it is a control-flow signal
    """Raised by a stage to drop an item; ``reason`` is a short slug that gets counted."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass
class Match:
    """One watchlist hit: which rule matched, the agency it routes to, and the matched terms."""

    rule: str
    agencies: list[str]
    terms: list[str]
    kind: str = "keyword"  # keyword | topic | official


@dataclass
class Sentiment:
    label: str  # "negative" | "not_negative"
    score: float  # calibrated P(negative)
    model: str
    version: str


@dataclass
class Item:
    """An article or a social post, from collection to storage."""

    url: str
    title: str
    text: str
    source: str
    kind: str = "article"  # article | post
    outlet: str | None = None
    published_at: datetime | None = None  # timezone-aware, UTC once normalised
    authors: list[str] = field(default_factory=list)
    language: str | None = None
    engagement: dict[str, int] = field(default_factory=dict)
    # Filled in by the stages:
    canonical_url: str | None = None
    content_hash: str | None = None
    norm_title: str | None = None
    norm_text: str | None = None
    matches: list[Match] = field(default_factory=list)
    sentiment: Sentiment | None = None
    decision: Decision | None = None  # the alert decision (pipeline/stages/decide.py)
    cluster_id: int | None = None
    priority: str | None = None
    flagged: bool = False
    id: int | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def agencies(self) -> list[str]:
        seen: dict[str, None] = {}
        for m in self.matches:
            for a in m.agencies:
                seen.setdefault(a, None)
        return list(seen)

    @property
    def routed(self) -> list[str]:
        return routing_order(self.decision.agency if self.decision is not None else None, self.agencies)

    @property
    def scoring_text(self) -> str:
        """What the sentiment model reads: the title plus the lead (documented rule, see MODEL.md)."""
        lead = (self.text or "").strip().split("\n", 1)[0][:200]
        if self.title and lead and not lead.startswith(self.title):
            return f"{self.title}。{lead}"
        return self.title or lead


def routing_order(decided: str | None, matched: Iterable[str]) -> list[str]:
    """Who answers, first to last: the bureau the alert decision routed the item to (市府 included)
    when it routed one, then the watchlist's agencies. Triage, the Slack channels, the response and
    the alert message all read this order."""
    rest = [a for a in matched if a != decided]
    return [decided, *rest] if decided else rest
