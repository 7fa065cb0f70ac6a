"""Short transactions: two processes storing news into one SQLite file at once.

    python benchmarks/contention.py [--items 512] [--db PATH]

Each process runs the real pipeline (``pipeline.runner.process``, the shipped model) over its own
half of ``--items`` real news items (../shared/data/news), first alone, then both at the same time.
Reported per process: wall time, time in the model, and time waiting for the write lock (the
dedupe lock that every write transaction takes first). The model runs outside any transaction, so
a process waits only for the other's writes, never for its model: the lock wait stays a small
share of the wall time.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def work(db: str, start: int, count: int, total: int, barrier: Any, out: Any) -> None:
    from newsdesk.demo.loadsite import load_news
    from pipeline import runner
    from pipeline.db import open_database
    from pipeline.items import Item
    from pipeline.sentiment import get_scorer
    from pipeline.settings import load_settings

    settings = load_settings(None, {"database_url": db}, use_env=False)
    sessions = open_database(db)
    scorer = get_scorer(settings.sentiment)
    scorer.score(["暖身"])
    spent = {"model": 0.0, "lock": 0.0}

    class Timed:
        name, version = scorer.name, scorer.version

        def score(self, texts: list[str]) -> Any:
            t = time.monotonic()
            try:
                return scorer.score(texts)
            finally:
                spent["model"] += time.monotonic() - t

    real_lock = runner.take_lock

    def timed_lock(*a: Any, **kw: Any) -> None:
        t = time.monotonic()
        try:
            real_lock(*a, **kw)
        finally:
            spent["lock"] += time.monotonic() - t

    runner.take_lock = timed_lock  # type: ignore[assignment]
    news = load_news(total)[start:start + count]
    items = [Item(url=f"https://load.example/{start}/{n.n}", title=n.title, text=n.lead, source=f"p{start}",
                  outlet=n.outlet, published_at=n.published) for n in news]
    barrier.wait()
    t = time.monotonic()
    counts = runner.process(items, settings, sessions, scorer_factory=lambda: Timed())  # type: ignore[arg-type,return-value]
    out.put({"start": start, "wall": time.monotonic() - t, **spent, "stored": counts["stored"]})


def run(db: str, halves: list[tuple[int, int]], total: int) -> list[dict[str, Any]]:
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(len(halves)), ctx.Queue()
    procs = [ctx.Process(target=work, args=(db, s, c, total, barrier, out)) for s, c in halves]
    for p in procs:
        p.start()
    results = [out.get(timeout=1800) for _ in procs]
    for p in procs:
        p.join()
    return sorted(results, key=lambda r: r["start"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--items", type=int, default=512)
    args = ap.parse_args()
    half = args.items // 2
    with tempfile.TemporaryDirectory() as tmp:
        alone = run(f"sqlite:///{tmp}/alone.db", [(0, half)], args.items)
        both = run(f"sqlite:///{tmp}/both.db", [(0, half), (half, half)], args.items)
    for label, results in (("alone", alone), ("two at once", both)):
        for r in results:
            print(f"{label:<12} process {r['start']:>4}: {r['stored']} stored in {r['wall']:.1f} s; "
                  f"model {r['model']:.1f} s; waiting for the write lock {r['lock']:.2f} s "
                  f"({100 * r['lock'] / r['wall']:.1f}% of its time)")


if __name__ == "__main__":
    main()
