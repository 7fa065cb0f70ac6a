"""Dedupe: drop exact copies, put near-copies into the story (cluster) they belong to.

Exact: a canonical URL, or the same folded content from the same outlet, already stored (``items``)
or claimed earlier (``dedupe_keys``, which also covers items earlier in the same batch) →
``Drop("duplicate-url")`` / ``Drop("duplicate-content")``. The same wire copy from another outlet is
kept: it is another outlet of the story, so it joins the cluster and adds its reach.

Near: a MinHash signature of character shingles (:mod:`pipeline.minhash`); LSH band keys find the
candidates with indexed lookups (cost per item does not grow with the store), the best candidate at
or above ``[dedupe] threshold`` (estimated Jaccard) whose copy is within ``window_days`` gives the
cluster, otherwise a new cluster is created. A copy that is almost the same as the one it matched
(≥ 0.9) stores no bands of its own.

Concurrency: every decision starts by updating the single ``dedupe_lock`` row, which makes the
transaction a writer before it reads (SQLite's write lock, a row lock elsewhere); a second process
waits until the first commits, then sees its clusters. Clusters are never duplicated by a race.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from pipeline import minhash
from pipeline.items import Drop, Item
from pipeline.models import Cluster, ClusterMember, DedupeKey, DedupeLock, ItemRow, LshBand, utcnow
from pipeline.reach import item_reach
from pipeline.settings import DedupeSettings
from pipeline.stages import Context

NOVEL_BELOW = 0.9  # a member this similar to its match adds no new wording: store no bands
MAX_CANDIDATES = 30


@dataclass
class Decision:
    cluster_id: int | None
    duplicate: str | None = None  # "duplicate-url" | "duplicate-content"
    new: bool = False
    similarity: float = 0.0


def url_key(canonical_url: str) -> str:
    return "u:" + hashlib.sha256(canonical_url.encode()).hexdigest()[:40]


def content_key(outlet: str, content_hash: str) -> str:
    return f"c:{hashlib.sha256(outlet.encode()).hexdigest()[:16]}:{content_hash[:48]}"


def take_lock(session: Session) -> None:
    """Become the only writer deciding clusters until this transaction ends."""
    session.execute(update(DedupeLock).where(DedupeLock.id == 1).values(n=DedupeLock.n + 1))


def exact_duplicate(session: Session, item: Item) -> Decision | None:
    assert item.canonical_url and item.content_hash
    outlet = item.outlet or item.source
    claim = session.get(DedupeKey, url_key(item.canonical_url))
    if claim is not None:
        return Decision(claim.cluster_id, "duplicate-url")
    row = session.execute(select(ItemRow.id, ItemRow.cluster_id)
                          .where(ItemRow.canonical_url == item.canonical_url)).first()
    if row is not None:
        return Decision(row.cluster_id, "duplicate-url")
    claim = session.get(DedupeKey, content_key(outlet, item.content_hash))
    if claim is not None:
        return Decision(claim.cluster_id, "duplicate-content")
    row = session.execute(select(ItemRow.id, ItemRow.cluster_id).where(
        ItemRow.content_hash == item.content_hash, ItemRow.outlet == outlet).limit(1)).first()
    if row is not None:
        return Decision(row.cluster_id, "duplicate-content")
    return None


def item_signature(item: Item, cfg: DedupeSettings) -> minhash.U32 | None:
    body = item.norm_text or ""
    text = minhash.shingle_text(body, cfg.max_chars)
    if len(text) < 50:  # a short post: its title carries as much as its body
        text = minhash.shingle_text(f"{item.norm_title or ''}{body}", cfg.max_chars)
    return minhash.signature(minhash.shingle_hashes(text, cfg.shingle))


def best_candidate(session: Session, sig: minhash.U32, keys: list[int],
                   since: datetime) -> tuple[int, float] | None:
    """(cluster id, similarity) of the most similar recent member sharing a band, if any."""
    hits = session.execute(
        select(LshBand.member_id, func.count().label("n")).where(LshBand.key.in_(keys))
        .group_by(LshBand.member_id).order_by(func.count().desc()).limit(MAX_CANDIDATES)).all()
    if not hits:
        return None
    members = session.execute(select(ClusterMember.cluster_id, ClusterMember.signature).where(
        ClusterMember.id.in_([h.member_id for h in hits]), ClusterMember.seen_at >= since,
        ClusterMember.signature.is_not(None))).all()
    best: tuple[int, float] | None = None
    for m in members:
        sim = minhash.similarity(sig, minhash.from_bytes(m.signature))
        if best is None or sim > best[1]:
            best = (m.cluster_id, sim)
    return best


def assign(session: Session, item: Item, ctx: Context) -> Decision:
    """Decide the item's story and record it; the caller holds the lock (:func:`take_lock`)."""
    settings = ctx.settings
    cfg = settings.dedupe
    dup = exact_duplicate(session, item)
    if dup is not None:
        return dup
    when = item.published_at or utcnow()
    sig = item_signature(item, cfg)
    keys = minhash.band_keys(sig) if sig is not None else []
    since = when - timedelta(days=cfg.window_days)
    best = best_candidate(session, sig, keys, since) if sig is not None else None
    outlet = item.outlet or item.source
    if best is not None and best[1] >= cfg.threshold:
        decision = Decision(best[0], similarity=best[1])
        cluster = session.get(Cluster, best[0])
        assert cluster is not None
    else:
        cluster = Cluster(title=item.title[:500], created_at=utcnow(), updated_at=utcnow(),
                          item_count=0, outlets=[], reach=0)
        session.add(cluster)
        session.flush()
        decision = Decision(cluster.id, new=True, similarity=best[1] if best else 0.0)
    _record(session, item, cluster, sig if decision.new or decision.similarity < NOVEL_BELOW else None,
            keys, when, outlet, item_reach(item, settings))
    return decision


def _record(session: Session, item: Item, cluster: Cluster, sig: minhash.U32 | None, keys: list[int],
            when: datetime, outlet: str, reach: int) -> None:
    assert item.canonical_url and item.content_hash
    session.add_all([DedupeKey(key=url_key(item.canonical_url), cluster_id=cluster.id),
                     DedupeKey(key=content_key(outlet, item.content_hash), cluster_id=cluster.id)])
    member = ClusterMember(cluster_id=cluster.id, seen_at=when, outlet=outlet,
                           signature=minhash.to_bytes(sig) if sig is not None else None)
    session.add(member)
    if sig is not None:
        session.flush()
        session.add_all([LshBand(key=k, member_id=member.id) for k in keys])
    cluster.item_count += 1
    if outlet not in cluster.outlets:
        cluster.outlets = [*cluster.outlets, outlet]
    cluster.reach += reach
    cluster.updated_at = utcnow()


def dedupe(item: Item, ctx: Context) -> Item:
    """Drop exact copies; set ``item.cluster_id`` (new or existing story) and ``meta['cluster']``."""
    if item.canonical_url is None or item.content_hash is None:
        raise Drop("not-normalized", "run normalize before dedupe")
    take_lock(ctx.session)
    decision = assign(ctx.session, item, ctx)
    if decision.duplicate:
        ctx.incr(f"dedupe:{decision.duplicate}")
        raise Drop(decision.duplicate, item.url)
    item.cluster_id = decision.cluster_id
    item.meta["cluster"] = {"new": decision.new, "similarity": round(decision.similarity, 3)}
    ctx.incr("dedupe:new-story" if decision.new else "dedupe:joined-story")
    return item
