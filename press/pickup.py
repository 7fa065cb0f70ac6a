"""Pickup: which outlets covered a published release.

An article picks a release up when it was published within ``press.pickup_days`` after the release
and repeats at least ``press.pickup_threshold`` of the release's character pairs (title and lead,
臺/台 folded), or when it belongs to the same story cluster as such an article. The result is kept
in ``release.meta["pickup"]`` (item ids and outlets), so tallies read it without recomputing.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from pipeline.models import ItemRow, Release
from pipeline.settings import Settings

_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)


def pairs(text: str) -> set[str]:
    """Character bigrams of the text with punctuation and spaces removed and 台 folded into 臺."""
    clean = _NOISE.sub("", text.replace("台", "臺"))
    return {clean[i : i + 2] for i in range(len(clean) - 1)}


def release_pairs(release: Release) -> set[str]:
    lead = (release.body or "").strip().split("\n", 1)[0][:300]
    return pairs(f"{release.title}{lead}")


def similarity(release_set: set[str], item: ItemRow) -> float:
    """The share of the release's pairs that the article (title and first 600 characters) repeats."""
    if not release_set:
        return 0.0
    return len(release_set & pairs(f"{item.title}{(item.text or '')[:600]}")) / len(release_set)


def match_coverage(session: Session, settings: Settings, release: Release) -> list[ItemRow]:
    """Articles covering a published release: similar ones, plus their story clusters."""
    if release.published_at is None:
        return []
    start, end = release.published_at, release.published_at + timedelta(days=settings.press.pickup_days)
    candidates = session.scalars(
        select(ItemRow).where(
            or_(
                ItemRow.published_at.between(start, end),
                (ItemRow.published_at.is_(None)) & ItemRow.collected_at.between(start, end),
            )
        )
    ).all()
    wanted = release_pairs(release)
    hits = {i.id: i for i in candidates if similarity(wanted, i) >= settings.press.pickup_threshold}
    clusters = {i.cluster_id for i in hits.values() if i.cluster_id is not None}
    for item in candidates:
        if item.cluster_id in clusters:
            hits.setdefault(item.id, item)
    return sorted(hits.values(), key=lambda i: i.id)


def update_pickup(session: Session, settings: Settings, now: datetime) -> int:
    """Recompute pickup for releases published in the last ``pickup_days`` (the scheduler calls it)."""
    since = now - timedelta(days=settings.press.pickup_days + 1)
    releases = session.scalars(
        select(Release).where(
            Release.status == "published", Release.imported.is_(False), Release.published_at >= since
        )
    ).all()
    for release in releases:
        items = match_coverage(session, settings, release)
        outlets = sorted({i.outlet or i.source for i in items})
        release.meta = {
            **(release.meta or {}),
            "pickup": {"items": [i.id for i in items], "outlets": outlets, "checked_at": now.isoformat()},
        }
        flag_modified(release, "meta")
    return len(releases)


def outlets_of(release: Release) -> list[str]:
    return list((release.meta or {}).get("pickup", {}).get("outlets", []))
