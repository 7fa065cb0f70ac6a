"""Clustering quality on two months of real press releases (../shared/data), as in the benchmark."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.clustering import gold_pairs, load, predicted_pairs
from pipeline.db import open_database
from pipeline.dedupe_io import cluster_lines
from pipeline.settings import Settings


@pytest.mark.shared
def test_reposts_cluster_with_their_originals(shared_data: Path, settings: Settings) -> None:
    rows = [r for r in load(shared_data / "press" / "tainan-releases-2024.jsonl.gz")
            if (r.get("published") or "9999") < "2024-02-15"]
    gold = gold_pairs(rows)
    labelled = {x for p in gold for x in p}
    assert len(gold) > 50  # the derivation finds real pairs in these six weeks
    lines = (json.dumps({"id": i, "title": r.get("title") or "", "text": r.get("content") or "",
                         "url": r.get("url"), "published_at": r.get("published")}, ensure_ascii=False)
             for i, r in enumerate(rows))
    clusters = [o.cluster for o in cluster_lines(lines, settings, open_database(settings.database_url))]
    pred = predicted_pairs(clusters, labelled)
    tp = len(pred & gold)
    assert tp / len(pred) >= 0.95
    assert tp / len(gold) >= 0.90
