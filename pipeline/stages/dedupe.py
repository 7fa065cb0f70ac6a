"""Dedupe: drop exact copies, put near-copies into the story (cluster) they belong to.

Exact: a canonical URL, or the same folded content from the same outlet, already stored (``items``)
or claimed earlier (``dedupe_keys``, which also covers items earlier in the same batch) →
``Drop("duplicate-url")`` / ``Drop("duplicate-content")``. The same wire copy from another outlet is
kept: it is another outlet of the story, so it joins the first copy's cluster (``h:`` key, no search)
and adds its reach.

Near: a MinHash signature of character shingles (:mod:`pipeline.minhash`); LSH band keys find the
candidates with indexed lookups, at most ``PER_KEY`` newest members per band (cost per item does not
grow with the store); the best candidate at or above ``[dedupe] threshold`` (estimated Jaccard) whose
copy is within ``window_days`` gives the cluster, otherwise a new cluster is created. A copy that is
almost the same as the one it matched (≥ 0.9) stores no bands of its own. Texts under ``MIN_CHARS``
word characters have no signature: they join only exact copies.

Flat cost as the store grows: new exact keys and band rows go into two small tables
(``dedupe_keys_recent``, ``lsh_bands_recent``), and every ``MERGE_EVERY`` recorded items they are
merged in key order into the big ones (``dedupe_keys``, ``lsh_bands``) in one statement each. Random
keys written one by one into a big B-tree dirty one page each; sorted in bulk, many share a page.
The big tables hold only the window. The dedupe clock is the median day of the items merged (a few
undated items, stamped with today, in an import of older news do not move it), never past tomorrow
and never backwards; rows older than the clock minus ``window_days`` + 2 days can give no
candidate or claim to an item inside the window, so a merge drops them (the big tables at most
every ``PRUNE_STEP_DAYS``). Older exact duplicates are still caught by the stored items
(``items.canonical_url``, ``items.content_hash``). Lookups read both tables.

Concurrency: every decision starts by updating the single ``dedupe_lock`` row, which makes the
transaction a writer before it reads (SQLite's write lock, a row lock elsewhere); a second process
waits until the first commits, then sees its clusters. Clusters are never duplicated by a race.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import JSON, Connection, and_, bindparam, delete, func, insert, or_, select, union_all, update
from sqlalchemy.orm import Session

from pipeline import minhash
from pipeline.items import Drop, Item
from pipeline.models import (
    Cluster,
    ClusterMember,
    DedupeKey,
    DedupeLock,
    ItemRow,
    LshBand,
    RecentDedupeKey,
    RecentLshBand,
    UTCDateTime,
    utcnow,
)
from pipeline.reach import item_reach
from pipeline.settings import DedupeSettings
from pipeline.stages import Context

NOVEL_BELOW = 0.9  # a member this similar to its match adds no new wording: store no bands
MAX_CANDIDATES = 30
PER_KEY = 50
MIN_CHARS = 16  # fewer word characters than this: too little text to call two items one story
MERGE_EVERY = 20_000  # recorded items between merges of the recent tables into the big ones
PRUNE_STEP_DAYS = 2  # prune the big tables when the cutoff has moved this many days
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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


def copy_key(content_hash: str) -> str:
    """The first item with this content, from any outlet: later copies join its story directly."""
    return f"h:{content_hash[:48]}"


# Statements are built once (bound parameters), so an item costs a few executions and no compiling.
_LOCK = update(DedupeLock).where(DedupeLock.id == 1).values(n=DedupeLock.n + 1)
_CLAIMS = union_all(*[
    select(t.key, t.cluster_id, t.created_at).where(t.key.in_([bindparam("ukey"), bindparam("ckey"),
                                                                bindparam("hkey")]))
    for t in (DedupeKey, RecentDedupeKey)])
_STORED = select(ItemRow.canonical_url, ItemRow.cluster_id).where(or_(
    ItemRow.canonical_url == bindparam("url"),
    and_(ItemRow.content_hash == bindparam("chash"), ItemRow.outlet == bindparam("outlet")))).limit(1)
# Per band key only the newest PER_KEY members of each table are looked at (an index range scan each),
# so a bucket that boilerplate made crowded costs the same as any other: the cost per item stays flat.
_BAND_TABLES: tuple[type[LshBand] | type[RecentLshBand], ...] = (LshBand, RecentLshBand)
_BUCKETS = union_all(*[
    select(sub.c.member_id) for sub in (
        select(t.member_id).where(t.key == bindparam(f"k{i}"))
        .order_by(t.member_id.desc()).limit(PER_KEY).subquery(f"b{i}{j}")
        for i in range(minhash.BANDS) for j, t in enumerate(_BAND_TABLES))]).subquery("buckets")
_CANDIDATES = (
    select(ClusterMember.cluster_id, ClusterMember.signature)
    .join(_BUCKETS, _BUCKETS.c.member_id == ClusterMember.id)
    .where(ClusterMember.seen_at >= bindparam("since", type_=UTCDateTime()))
    .group_by(ClusterMember.id).order_by(func.count().desc()).limit(MAX_CANDIDATES))
_OUTLETS = select(Cluster.outlets).where(Cluster.id == bindparam("cid"))
_JOIN = update(Cluster).where(Cluster.id == bindparam("cid")).values(
    item_count=Cluster.item_count + 1, reach=Cluster.reach + bindparam("reach"), updated_at=bindparam("now"),
    outlets=bindparam("outlets", type_=JSON()))
_NEW = insert(Cluster).returning(Cluster.id)
_KEY = insert(RecentDedupeKey)
_MEMBER = insert(ClusterMember).returning(ClusterMember.id)
_BAND = insert(RecentLshBand)
_PENDING = update(DedupeLock).where(DedupeLock.id == 1).values(pending=DedupeLock.pending + 1)
_STATE = select(DedupeLock.pending, DedupeLock.clock_day, DedupeLock.pruned_day).where(DedupeLock.id == 1)


def day_number(when: datetime) -> int:
    """Days since 1970-01-01 UTC (the ``day`` of a band row)."""
    return (when - EPOCH).days


def take_lock(session: Session, window_days: float | None = None) -> None:
    """Become the only writer deciding clusters until this transaction ends (once per transaction).

    Dedupe passes its ``window_days``: then, once ``MERGE_EVERY`` items wait in the recent tables, this
    transaction merges them first (:func:`merge`).
    """
    tx = session.get_transaction()
    if tx is not None and session.info.get("dedupe_lock") is tx:
        return
    conn = session.connection()
    conn.execute(_LOCK)
    session.info["dedupe_lock"] = session.get_transaction()
    if window_days is not None:
        state = conn.execute(_STATE).one()
        if state.pending >= MERGE_EVERY:
            merge(conn, window_days, state.clock_day, state.pruned_day)


def merge(conn: Connection, window_days: float, clock_day: int = 0, pruned_day: int = 0) -> int:
    """Move the recent rows into the big tables in key order, dropping rows outside the window.

    The clock is the median day of the recent items (a few undated items, stamped with today, in an
    import of last year's news do not move it; never past tomorrow, never backwards); rows older
    than ``clock - window_days - 2`` days are dropped, and the big tables pruned when that cutoff has
    moved ``PRUNE_STEP_DAYS`` since the last prune. Returns the cutoff day. Call with the lock held.
    """
    n = conn.scalar(select(func.count()).select_from(RecentDedupeKey)) or 0
    if n:
        median = conn.scalar(select(RecentDedupeKey.created_at).order_by(RecentDedupeKey.created_at)
                             .offset(n // 2).limit(1))
        assert median is not None
        clock_day = max(clock_day, min(day_number(median), day_number(utcnow()) + 1))
    cutoff = clock_day - int(window_days) - 2  # whole days: a member seen at clock - window stays
    since = EPOCH + timedelta(days=cutoff)
    conn.execute(insert(LshBand).from_select(
        ["key", "member_id", "day"],
        select(RecentLshBand.key, RecentLshBand.member_id, RecentLshBand.day)
        .where(RecentLshBand.day >= cutoff).order_by(RecentLshBand.key, RecentLshBand.member_id)))
    conn.execute(delete(RecentLshBand))
    conn.execute(insert(DedupeKey).from_select(
        ["key", "cluster_id", "created_at"],
        select(RecentDedupeKey.key, RecentDedupeKey.cluster_id, RecentDedupeKey.created_at)
        .where(RecentDedupeKey.created_at >= since).order_by(RecentDedupeKey.key)))
    conn.execute(delete(RecentDedupeKey))
    if cutoff >= pruned_day + PRUNE_STEP_DAYS:
        conn.execute(delete(LshBand).where(LshBand.day < cutoff))
        conn.execute(delete(DedupeKey).where(DedupeKey.created_at < since))
        pruned_day = cutoff
    conn.execute(update(DedupeLock).where(DedupeLock.id == 1).values(
        pending=0, clock_day=clock_day, pruned_day=pruned_day))
    return cutoff


Claims = dict[str, tuple[int | None, datetime]]


def claims_of(conn: Connection, item: Item) -> Claims:
    """The item's keys already claimed, with their clusters and times."""
    assert item.canonical_url and item.content_hash
    params = {"ukey": url_key(item.canonical_url),
              "ckey": content_key(item.outlet or item.source, item.content_hash),
              "hkey": copy_key(item.content_hash)}
    return {k: (c, t) for k, c, t in conn.execute(_CLAIMS, params)}


def exact_duplicate(conn: Connection, item: Item, claims: Claims) -> Decision | None:
    assert item.canonical_url and item.content_hash
    outlet = item.outlet or item.source
    ukey, ckey = url_key(item.canonical_url), content_key(outlet, item.content_hash)
    if ukey in claims:
        return Decision(claims[ukey][0], "duplicate-url")
    if ckey in claims:
        return Decision(claims[ckey][0], "duplicate-content")
    row = conn.execute(_STORED, {"url": item.canonical_url, "chash": item.content_hash,
                                 "outlet": outlet}).first()
    if row is not None:
        reason = "duplicate-url" if row.canonical_url == item.canonical_url else "duplicate-content"
        return Decision(row.cluster_id, reason)
    return None


def item_signature(item: Item, cfg: DedupeSettings) -> minhash.U32 | None:
    body = item.norm_text or ""
    text = minhash.shingle_text(body, cfg.max_chars)
    if len(text) < 50:  # a short post: its title carries as much as its body
        text = minhash.shingle_text(f"{item.norm_title or ''}{body}", cfg.max_chars)
    if len(text) < MIN_CHARS:  # "好扯" and "好扯喔" are not one story: only exact copies join
        return None
    return minhash.signature(minhash.shingle_hashes(text, cfg.shingle))


def best_candidate(conn: Connection, sig: minhash.U32, keys: list[int],
                   since: datetime) -> tuple[int, float] | None:
    """(cluster id, similarity) of the most similar recent member sharing a band, if any."""
    params: dict[str, object] = {f"k{i}": k for i, k in enumerate(keys)}
    params["since"] = since
    best: tuple[int, float] | None = None
    for m in conn.execute(_CANDIDATES, params):
        sim = minhash.similarity(sig, minhash.from_bytes(m.signature))
        if best is None or sim > best[1]:
            best = (m.cluster_id, sim)
    return best


def assign(session: Session, item: Item, ctx: Context) -> Decision:
    """Decide the item's story and record it; the caller holds the lock (:func:`take_lock`)."""
    conn = session.connection()
    settings = ctx.settings
    cfg = settings.dedupe
    claims = claims_of(conn, item)
    dup = exact_duplicate(conn, item, claims)
    if dup is not None:
        return dup
    assert item.content_hash
    when = item.published_at or utcnow()
    sig = item_signature(item, cfg)
    keys = minhash.band_keys(sig) if sig is not None else []
    since = when - timedelta(days=cfg.window_days)
    first = claims.get(copy_key(item.content_hash))
    copy_of = first[0] if first is not None and first[1] >= since else None
    if copy_of is not None:  # the same text from another outlet: its story, no search needed
        best: tuple[int, float] | None = (copy_of, 1.0)
    elif sig is not None:
        best = best_candidate(conn, sig, keys, since)
    else:
        best = None
    outlet = item.outlet or item.source
    reach = item_reach(item, settings)
    now = utcnow()
    if best is not None and best[1] >= cfg.threshold:
        decision = Decision(best[0], similarity=best[1])
        outlets = list(conn.scalar(_OUTLETS, {"cid": best[0]}) or [])
        if outlet not in outlets:
            outlets.append(outlet)
        conn.execute(_JOIN, {"cid": best[0], "reach": reach, "now": now, "outlets": outlets})
    else:
        cluster_id = conn.execute(_NEW, {"title": (item.title or item.text)[:500], "created_at": now,
                                         "updated_at": now, "item_count": 1, "outlets": [outlet],
                                         "reach": reach}).scalar_one()
        decision = Decision(cluster_id, new=True, similarity=best[1] if best else 0.0)
    assert decision.cluster_id is not None
    novel = sig is not None and (decision.new or decision.similarity < NOVEL_BELOW)
    _record(conn, item, decision.cluster_id, sig if novel else None, keys, when, outlet,
            first_copy=first is None)
    return decision


def _record(conn: Connection, item: Item, cluster_id: int, sig: minhash.U32 | None, keys: list[int],
            when: datetime, outlet: str, first_copy: bool) -> None:
    assert item.canonical_url and item.content_hash
    keys_ = [url_key(item.canonical_url), content_key(outlet, item.content_hash)]
    if first_copy:
        keys_.append(copy_key(item.content_hash))
    conn.execute(_KEY, [{"key": k, "cluster_id": cluster_id, "created_at": when} for k in keys_])
    member_id = conn.execute(_MEMBER, {"cluster_id": cluster_id, "seen_at": when, "outlet": outlet,
                                       "signature": minhash.to_bytes(sig) if sig is not None else None}
                             ).scalar_one()
    if sig is not None:
        day = day_number(when)
        conn.execute(_BAND, [{"key": k, "member_id": member_id, "day": day} for k in keys])
    conn.execute(_PENDING)


def known(item: Item, ctx: Context) -> Item:
    """Drop a copy that is already stored or claimed, without the lock (read-only): it saves scoring
    copies that ``dedupe`` would drop anyway. ``dedupe`` decides again under the lock."""
    if item.canonical_url is None or item.content_hash is None:
        raise Drop("not-normalized", "run normalize before dedupe")
    if item.kind == "post" and item.engagement:
        return item  # a revisited post: ``engagement.refresh`` updates the stored one under the lock
    conn = ctx.session.connection()
    dup = exact_duplicate(conn, item, claims_of(conn, item))
    if dup is not None and dup.duplicate:
        ctx.incr(f"dedupe:{dup.duplicate}")
        raise Drop(dup.duplicate, item.url)
    return item


def dedupe(item: Item, ctx: Context) -> Item:
    """Drop exact copies; set ``item.cluster_id`` (new or existing story) and ``meta['cluster']``."""
    if item.canonical_url is None or item.content_hash is None:
        raise Drop("not-normalized", "run normalize before dedupe")
    take_lock(ctx.session, ctx.settings.dedupe.window_days)
    decision = assign(ctx.session, item, ctx)
    if decision.duplicate:
        ctx.incr(f"dedupe:{decision.duplicate}")
        raise Drop(decision.duplicate, item.url)
    item.cluster_id = decision.cluster_id
    item.meta["cluster"] = {"new": decision.new, "similarity": round(decision.similarity, 3)}
    ctx.incr("dedupe:new-story" if decision.new else "dedupe:joined-story")
    return item
