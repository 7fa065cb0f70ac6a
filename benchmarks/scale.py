"""Scale-out: items/s with one and with two Celery workers on PostgreSQL + Redis, with memory, the
next bottleneck, and an estimate for N machines.

    python benchmarks/scale.py [--articles 1200] [--workers 1,2] [--feeds 8]
        [--pg URL] [--redis URL]        (default: NEWSDESK_TEST_POSTGRES_URL / NEWSDESK_TEST_REDIS_URL;
                                         scripts/postgres.sh and scripts/redis.sh start both)

For each worker count: a fresh PostgreSQL database and an empty Redis, the local site of
``--articles`` real news items (``newsdesk.demo.loadsite``, ../shared/data/news) in ``--feeds`` feeds,
``--workers`` ``newsdesk worker`` processes (all queues, the real model loaded before they take
tasks), then ``newsdesk run --engine celery``. Measured from the scheduler's start to the last item
stored; memory is the peak resident set of each worker (sampled from /proc every 0.2 s).

Then the two halves of the pipeline, in this process, on PostgreSQL: the model alone (items/s of
``score`` over the same texts) and everything but the model (prepare + the write transaction under
the dedupe lock, with the scorer replaced by a constant): the write half is serial (one dedupe lock),
so it is the ceiling no number of workers can pass; the model half scales with cores.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newsdesk.demo.loadsite import load_news, serve  # noqa: E402
from tests.system.processes import start, stop, write_config  # noqa: E402


def create_db(pg: str) -> str:
    name = f"scale_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(pg, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return sa.engine.make_url(pg).set(database=name).render_as_string(hide_password=False)


def drop_db(pg: str, url: str) -> None:
    admin = sa.create_engine(pg, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE "{sa.engine.make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def count(engine: sa.Engine, sql: str) -> int:
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(sql)).scalar() or 0)
    except sa.exc.DBAPIError:
        return 0


def run_workers(n: int, articles: int, feeds: int, pg: str, redis_url: str, tmp: Path) -> dict[str, Any]:
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    items = load_news(articles)
    url = create_db(pg)
    engine = sa.create_engine(url)
    try:
        with serve(items, feeds=feeds) as site:
            cfg = write_config(tmp / f"scale{n}.toml", url, site.sources(interval=3600),
                               engine={"visibility_timeout": 600}, notifications={"fallback": "none"})
            env = {"CELERY_BROKER_URL": redis_url}
            workers = [start(cfg, "worker", env=env, log=tmp / f"w{n}.{i}.log") for i in range(n)]
            peak = dict.fromkeys(range(n), 0)
            while count(engine, "SELECT count(*) FROM workers WHERE kind = 'celery'") < n:
                time.sleep(0.5)
            began = time.monotonic()
            scheduler = start(cfg, "run", "--engine", "celery", env=env, log=tmp / f"s{n}.log")
            done = 0
            deadline = began + 3600
            while done < len(items) and time.monotonic() < deadline:
                for i, w in enumerate(workers):
                    peak[i] = max(peak[i], rss_kb(w.pid))
                done = count(engine, "SELECT count(*) FROM items")
                time.sleep(0.2)
            took = time.monotonic() - began
            stop(scheduler, *workers)
        return {"workers": n, "items": done, "seconds": took, "items_per_s": done / took,
                "peak_rss_mb": [round(v / 1024) for v in peak.values()]}
    finally:
        engine.dispose()
        drop_db(pg, url)


def halves(articles: int, pg: str) -> dict[str, float]:
    """The model alone, and the pipeline without the model, in this process on PostgreSQL."""
    from pipeline.db import open_database
    from pipeline.items import Item
    from pipeline.runner import process
    from pipeline.sentiment import get_scorer
    from pipeline.settings import load_settings

    news = load_news(articles)
    url = create_db(pg)
    try:
        settings = load_settings(None, {"database_url": url}, use_env=False)
        scorer = get_scorer(settings.sentiment)
        texts = [f"{n.title}\n{n.lead}" for n in news]
        scorer.score(texts[:32])  # warm
        t = time.monotonic()
        scorer.score(texts)
        model = len(texts) / (time.monotonic() - t)

        class Constant:
            name, version = "constant", "0"

            def score(self, batch: list[str]) -> list[float]:
                return [0.9] * len(batch)

        sessions = open_database(url)
        its = [Item(url=f"https://load.example/a/{n.n}", title=n.title, text=n.lead, source="load",
                    outlet=n.outlet, published_at=n.published) for n in news]
        from contextlib import contextmanager

        from pipeline import runner

        writing = [0.0]
        real = runner.transaction

        @contextmanager
        def timed(factory: Any) -> Any:  # the write transaction: the part no second worker can share
            t = time.monotonic()
            try:
                with real(factory) as session:
                    yield session
            finally:
                writing[0] += time.monotonic() - t

        runner.transaction = timed  # type: ignore[assignment]
        t = time.monotonic()
        process(its, settings, sessions, scorer_factory=lambda: Constant())  # type: ignore[arg-type,return-value]
        rest = len(its) / (time.monotonic() - t)
        runner.transaction = real
        sessions.kw["bind"].dispose()
        return {"model_items_per_s": model, "without_model_items_per_s": rest,
                "write_items_per_s": len(its) / writing[0]}
    finally:
        drop_db(pg, url)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=1200)
    ap.add_argument("--feeds", type=int, default=8)
    ap.add_argument("--workers", default="1,2", help="worker counts to run; '' for the in-process halves only")
    ap.add_argument("--pg", default=os.environ.get("NEWSDESK_TEST_POSTGRES_URL"))
    ap.add_argument("--redis", default=os.environ.get("NEWSDESK_TEST_REDIS_URL"))
    args = ap.parse_args()
    if not args.pg or not args.redis:
        sys.exit("give --pg and --redis (or start scripts/postgres.sh and scripts/redis.sh and set the env)")
    print(f"machine: {os.cpu_count()} cores; {args.articles} real news items in {args.feeds} feeds")
    with tempfile.TemporaryDirectory() as tmp:
        runs = [run_workers(int(n), args.articles, args.feeds, args.pg, args.redis, Path(tmp))
                for n in args.workers.split(",") if n]
    for r in runs:
        print(f"{r['workers']} worker(s): {r['items']} items in {r['seconds']:.1f} s = {r['items_per_s']:.1f} items/s; "
              f"peak RSS per worker {r['peak_rss_mb']} MB")
    h = halves(args.articles, args.pg)
    print(f"model alone (this process, all cores): {h['model_items_per_s']:.1f} items/s")
    print(f"everything but the model (one process): {h['without_model_items_per_s']:.1f} items/s, of which the "
          f"write transactions (serial across workers: one dedupe lock) {h['write_items_per_s']:.1f} items/s")
    if not runs:
        return
    one = runs[0]["items_per_s"]
    ceiling = h["write_items_per_s"]
    print("estimate on paper for N machines like this one (one score worker per machine): "
          + ", ".join(f"N={n}: {min(n * one, ceiling):.0f} items/s" for n in (1, 2, 4, 8, 16))
          + f" (the serial write half caps it at ~{ceiling:.0f} items/s)")


if __name__ == "__main__":
    main()
