"""Counts for the office's reports: releases per month and agency, posts per platform and month,
responses per agency. Months are taken in the office's zone (Asia/Taipei), never in UTC: a release
published at 00:30 on 1 July local time belongs to July.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.models import Post, Release, Response
from press.roc import month_key

GROUPS = ("month", "agency", "platform", "kind", "media")


@dataclass(frozen=True)
class TallyRow:
    key: tuple[str, ...]
    count: int


def _check_by(by: Sequence[str], allowed: Sequence[str]) -> None:
    bad = [b for b in by if b not in allowed]
    if bad or not by:
        raise ValueError(f"--by {','.join(by) or '(empty)'}: choose from {', '.join(allowed)}")


def _rows(counter: Counter[tuple[str, ...]]) -> list[TallyRow]:
    return [TallyRow(k, n) for k, n in sorted(counter.items())]


def tally_releases(
    session: Session,
    start: datetime,
    end: datetime,
    by: Sequence[str] = ("month", "agency"),
    *,
    agency: str | None = None,
    tz: str = "Asia/Taipei",
) -> list[TallyRow]:
    """Published releases with ``start <= published_at < end``, counted by month and/or agency/kind."""
    _check_by(by, ("month", "agency", "kind"))
    stmt = select(Release.published_at, Release.agency, Release.kind).where(
        Release.status == "published", Release.published_at >= start, Release.published_at < end
    )
    if agency:
        stmt = stmt.where(Release.agency == agency)
    counter: Counter[tuple[str, ...]] = Counter()
    for published, agency_name, kind in session.execute(stmt):
        values = {"month": month_key(published, tz) if published else "", "agency": agency_name, "kind": kind}
        counter[tuple(values[b] for b in by)] += 1
    return _rows(counter)


def tally_posts(
    session: Session,
    start: datetime,
    end: datetime,
    by: Sequence[str] = ("month", "platform"),
    *,
    tz: str = "Asia/Taipei",
    platforms: Sequence[str] = (),
) -> list[TallyRow]:
    """Published posts per platform, month and media type (video, image, text)."""
    _check_by(by, ("month", "platform", "media"))
    stmt = select(Post.published_at, Post.platform, Post.media_type).where(
        Post.status == "published", Post.published_at >= start, Post.published_at < end
    )
    if platforms:
        stmt = stmt.where(Post.platform.in_(platforms))
    counter: Counter[tuple[str, ...]] = Counter()
    for published, platform, media in session.execute(stmt):
        values = {"month": month_key(published, tz) if published else "", "platform": platform, "media": media}
        counter[tuple(values[b] for b in by)] += 1
    return _rows(counter)


def tally_responses(
    session: Session, start: datetime, end: datetime, *, tz: str = "Asia/Taipei"
) -> list[TallyRow]:
    """Responses given (status ``responded``) per month and agency, by when they were given."""
    stmt = select(Response.responded_at, Response.created_at, Response.agency).where(
        Response.status == "responded"
    )
    counter: Counter[tuple[str, ...]] = Counter()
    for responded, created, agency in session.execute(stmt):
        when = responded or created
        if when is not None and start <= when < end:
            counter[(month_key(when, tz), agency or "未分派")] += 1
    return _rows(counter)
