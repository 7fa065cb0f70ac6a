"""Clustering quality on real press releases: pairwise precision and recall against derived pairs.

    python benchmarks/clustering.py [PATH.jsonl.gz] [--threshold T] [--shingle K] [--merge-every N]

``--merge-every 500`` makes dedupe merge (and prune) its recent tables every 500 items instead of
every 20,000, to show that merging loses no pair (a year of releases is under 20,000 items).

Data: a year of one city's press releases (default ``../shared/data/press/tainan-releases-2024.jsonl.gz``;
fields ``published``, ``title``, ``department``, ``url``, ``content``). The press office reposts
agencies' releases with small edits, and a repost's body starts with ``發稿單位`` (the issuing agency).

Derived pairs (the gold standard): a repost (body starts with 發稿單位) and a release that is not
a repost, with the same title once folded (NFKC, 臺/台, spaces removed), published at most 3 days
apart. Items of the same title chain into one gold story. Only items that take part in a gold pair
are scored ("labelled items"); among them a predicted pair (same cluster) is a true positive when it
is a gold pair. The titles are not shown to the clusterer's decision in any way it can rely on: it
reads the body (and the title only for bodies under 50 characters). Edited titles are missed by the
derivation, so they are neither counted for nor against.

Every item goes through the real ``normalize`` and ``dedupe`` code on a temporary SQLite database.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import re
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.db import open_database  # noqa: E402
from pipeline.dedupe_io import cluster_lines  # noqa: E402
from pipeline.settings import load_settings  # noqa: E402
from pipeline.stages import dedupe as dedupe_stage  # noqa: E402
from pipeline.textnorm import fold  # noqa: E402

DEFAULT = ROOT.parent / "shared" / "data" / "press" / "tainan-releases-2024.jsonl.gz"
WINDOW_DAYS = 3


def load(path: Path) -> list[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    rows.sort(key=lambda r: r.get("published") or "")
    return rows


def is_repost(row: dict[str, str]) -> bool:
    return (row.get("content") or "").lstrip().startswith("發稿單位")


def gold_pairs(rows: list[dict[str, str]]) -> set[tuple[int, int]]:
    """Pairs (i < j) of one derived story: repost + original with one title, ≤ 3 days apart."""
    by_title: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        key = re.sub(r"\s+", "", fold(r.get("title") or ""))
        if key:
            by_title[key].append(i)
    pairs: set[tuple[int, int]] = set()
    for ids in by_title.values():
        for i, j in itertools.combinations(ids, 2):
            a, b = rows[i], rows[j]
            if is_repost(a) == is_repost(b) or not a.get("published") or not b.get("published"):
                continue
            apart = date.fromisoformat(a["published"]) - date.fromisoformat(b["published"])
            if abs(apart.days) <= WINDOW_DAYS:
                pairs.add((min(i, j), max(i, j)))
    # chain: two originals of one repost (or two reposts of one original) are one story too
    parent = list(range(len(rows)))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j in pairs:
        parent[root(i)] = root(j)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in {x for p in pairs for x in p}:
        groups[root(i)].append(i)
    return {(i, j) for g in groups.values() for i, j in itertools.combinations(sorted(g), 2)}


def predicted_pairs(clusters: list[int | None], labelled: set[int]) -> set[tuple[int, int]]:
    by: dict[int, list[int]] = defaultdict(list)
    for i, c in enumerate(clusters):
        if c is not None and i in labelled:
            by[c].append(i)
    return {(i, j) for g in by.values() for i, j in itertools.combinations(sorted(g), 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("path", nargs="?", type=Path, default=DEFAULT)
    ap.add_argument("--threshold", type=float)
    ap.add_argument("--shingle", type=int)
    ap.add_argument("--merge-every", type=int, help="items between dedupe merges (default: dedupe's own)")
    args = ap.parse_args()
    if args.merge_every:
        dedupe_stage.MERGE_EVERY = args.merge_every
    rows = load(args.path)
    gold = gold_pairs(rows)
    labelled = {x for p in gold for x in p}
    dedupe = {k: v for k, v in (("threshold", args.threshold), ("shingle", args.shingle)) if v}
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(None, {"database_url": f"sqlite:///{tmp}/bench.db", "dedupe": dedupe},
                                 use_env=False)
        sessions = open_database(settings.database_url)
        lines = (json.dumps({"id": i, "title": r.get("title") or "", "text": r.get("content") or "",
                             "url": r.get("url"), "published_at": r.get("published"),
                             "outlet": r.get("department") or "unknown"}, ensure_ascii=False)
                 for i, r in enumerate(rows))
        start = time.perf_counter()
        outcomes = cluster_lines(lines, settings, sessions, str(args.path))
        clusters: list[int | None] = [o.cluster for o in outcomes]
        elapsed = time.perf_counter() - start
    pred = predicted_pairs(clusters, labelled)
    tp = len(pred & gold)
    precision = tp / len(pred) if pred else 1.0
    recall = tp / len(gold) if gold else 1.0
    print(f"file {args.path.name}: {len(rows)} releases, {len(set(c for c in clusters if c))} clusters, "
          f"{elapsed:.1f}s ({len(rows) / elapsed:.0f} items/s)")
    print(f"settings: threshold={settings.dedupe.threshold} shingle={settings.dedupe.shingle} "
          f"merge every {dedupe_stage.MERGE_EVERY:,} items")
    print(f"gold: {len(gold)} pairs over {len(labelled)} labelled items")
    print(f"predicted pairs among labelled items: {len(pred)}, true positives {tp}")
    print(f"pairwise precision {precision:.4f}  recall {recall:.4f}")
    misses = sorted(gold - pred)[:5]
    for i, j in misses:
        print(f"  missed: {rows[i]['published']} {rows[i]['title'][:40]!r} / {rows[j]['published']}")
    for i, j in sorted(pred - gold)[:5]:
        print(f"  extra:  {rows[i]['title'][:30]!r} / {rows[j]['title'][:30]!r}")


if __name__ == "__main__":
    main()
