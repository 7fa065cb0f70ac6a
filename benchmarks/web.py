"""The dashboard's inbox and search at archive scale: p50/p95 of each page with N items stored.

Builds (once; reused with --reuse) a database of N synthetic items as the pipeline stores them: a few
percent flagged with a cluster and an open response, every item in the search index. Then requests
the inbox (several filters) and search (common and rare words, two-character Chinese, English) through
the real app (FastAPI in-process via its test client, logged in), and prints the timings.

    python -m benchmarks.web [--items 1000000] [--database var/bench-web.db] [--reuse] [--requests 40]
    python -m benchmarks.web --database postgresql+psycopg://... --items 1000000
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from pipeline import search
from pipeline.db import open_database
from pipeline.models import Cluster, ItemRow, Response
from pipeline.settings import load_settings
from pipeline.users import add_user

WORDS = ["捷運", "都更", "社宅", "停車", "公車", "垃圾", "淹水", "大巨蛋", "消防", "學校", "營養午餐", "道路",
         "議員", "市長", "市府", "預算", "抗議", "陳情", "故障", "延誤", "補助", "活動", "觀光", "醫院"]
FILLER = "的了在是我有和就不人都一上也很到說要去你會著沒看好自己這那裡來們為與及其於對新今天表示指出"
OUTLETS = ["cna", "ltn", "udn", "chinatimes", "ettoday", "setn", "tvbs", "storm", "nownews", "pts", "yahoo"]
AGENCIES = ["捷運公司", "捷運局", "都發局", "交通局", "環保局", "工務局", "教育局", "衛生局", "消防局", "社會局"]
ENGLISH = ["Taipei", "MRT", "metro", "council", "mayor", "budget", "flood"]
PASSWORD = "benchmark-password"


def text(rng: random.Random, n: int) -> str:
    parts = []
    for _ in range(n):
        parts.append(rng.choice(WORDS) if rng.random() < 0.25 else "".join(rng.choices(FILLER, k=rng.randint(2, 6))))
        if rng.random() < 0.03:
            parts.append(f" {rng.choice(ENGLISH)} ")
    return "".join(parts) + "。"


def build(sessions: sessionmaker[Session], items: int, seed: int = 1, chunk: int = 5000) -> None:
    rng = random.Random(seed)
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    settings = load_settings(None, {"database_url": "sqlite://"}, use_env=False)
    with sessions() as s:
        add_user(s, "bench", "officer", PASSWORD)
        s.commit()
    started, done = time.monotonic(), 0
    while done < items:
        n = min(chunk, items - done)
        with sessions() as s:
            rows = []
            for i in range(done, done + n):
                when = t0 + timedelta(seconds=i * 30)
                rows.append({"url": f"https://news.example.tw/{i}", "canonical_url": f"https://news.example.tw/{i}",
                             "content_hash": f"{i:x}", "source": (o := rng.choice(OUTLETS)), "outlet": o,
                             "kind": "article", "title": text(rng, 4), "text": text(rng, 25), "published_at": when,
                             "collected_at": when, "authors": [], "engagement": {}, "flagged": False, "meta": {},
                             "agency": rng.choice(AGENCIES) if rng.random() < 0.4 else None})
            s.execute(insert(ItemRow), rows)
            first = s.scalar(select(func.min(ItemRow.id)).where(ItemRow.url == rows[0]["url"]))
            assert first is not None
            search.add(s, [(first + k, r["title"], r["text"]) for k, r in enumerate(rows)])
            for k in rng.sample(range(n), max(1, n * 3 // 100)):  # 3% flagged: a story and an open response
                item = s.get(ItemRow, first + k)
                assert item is not None
                cluster = Cluster(title=item.title, item_count=rng.randint(1, 8), outlets=rng.sample(OUTLETS, 3),
                                  priority=rng.choice(["critical", "high", "high", "normal"]))
                s.add(cluster)
                s.flush()
                item.flagged, item.cluster_id, item.priority = True, cluster.id, cluster.priority
                item.response_score, item.government = rng.random(), "TPE"
                s.add(Response(cluster_id=cluster.id, item_id=item.id, agency=item.agency or "捷運公司",
                               status=rng.choice(["open", "open", "assigned", "responded"]), priority=cluster.priority,
                               deadline=item.published_at + timedelta(hours=8) if item.published_at else None,
                               created_at=item.collected_at, updated_at=item.collected_at))
            s.commit()
        done += n
        if done % 100_000 == 0 or done == items:
            print(f"  stored and indexed {done:,} items ({time.monotonic() - started:.0f} s)", flush=True)
    del settings


def timings(client: object, paths: list[str], rounds: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {p: [] for p in paths}
    for _ in range(rounds):
        for p in paths:
            t = time.perf_counter()
            r = client.get(p)  # type: ignore[attr-defined]
            out[p].append(time.perf_counter() - t)
            assert r.status_code == 200, (p, r.status_code, r.text[:300])
    return out


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(round(0.95 * len(values))) - 1)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=1_000_000)
    ap.add_argument("--database", default="var/bench-web.db", help="SQLite path or SQLAlchemy URL")
    ap.add_argument("--reuse", action="store_true", help="keep an existing database of the same size")
    ap.add_argument("--requests", type=int, default=40, help="requests per page")
    args = ap.parse_args()
    from fastapi.testclient import TestClient

    from web.app import create_app

    url = args.database if "://" in args.database else f"sqlite:///{args.database}"
    if url.startswith("sqlite:///") and not args.reuse:
        for suffix in ("", "-wal", "-shm"):
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    sessions = open_database(url)
    with sessions() as s:
        have = s.scalar(select(func.count(ItemRow.id))) or 0
        flagged = s.scalar(select(func.count(Response.id))) or 0
    if have < args.items:
        print(f"building {args.items - have:,} items into {url} ...", flush=True)
        t = time.monotonic()
        build(sessions, args.items - have)
        print(f"built in {time.monotonic() - t:.0f} s", flush=True)
        with sessions() as s:
            have = s.scalar(select(func.count(ItemRow.id))) or 0
            flagged = s.scalar(select(func.count(Response.id))) or 0
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(None, {"database_url": url, "web": {"secret_file": f"{tmp}/key"}}, use_env=False)
        with TestClient(create_app(settings, sessions), base_url="http://127.0.0.1") as client:
            page = client.get("/login")
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert token
            client.post("/login", data={"name": "bench", "password": PASSWORD, "csrf_token": token.group(1)})
            inbox = ["/", "/?agency=捷運公司", "/?priority=critical", "/?status=", "/?outlet=cna&min_score=0.5",
                     "/?government=TPE",
                     "/?page=20", "/?since=2024-03-01&until=2024-03-31"]
            queries = ["/search?q=捷運", "/search?q=都更", "/search?q=MRT", "/search?q=營養午餐",
                       "/search?q=捷運 故障", "/search?q=都更 OR 社宅", "/search?q=捷運&agency=捷運局",
                       "/search?q=大巨蛋 消防 NOT 議員", "/search?q=捷運&page=50", "/search?q=補助&since=2024-06-01"]
            timings(client, inbox[:2] + queries[:2], 2)  # warm the caches
            rounds = max(1, args.requests // 5)
            res = timings(client, inbox, rounds) | timings(client, queries, rounds)
    print(f"\n{have:,} items stored, {flagged:,} flagged stories; {rounds} requests per page ({url.split('://')[0]})")
    print(f"{'page':<44} {'p50 ms':>8} {'p95 ms':>8}")
    for p, values in res.items():
        print(f"{p:<44} {1000 * statistics.median(values):>8.1f} {1000 * p95(values):>8.1f}")
    every_inbox = [v for p, vs in res.items() if not p.startswith("/search") for v in vs]
    every_search = [v for p, vs in res.items() if p.startswith("/search") for v in vs]
    print(f"\ninbox, all pages:  p50 {1000 * statistics.median(every_inbox):.1f} ms, "
          f"p95 {1000 * p95(every_inbox):.1f} ms")
    print(f"search, all pages: p50 {1000 * statistics.median(every_search):.1f} ms, "
          f"p95 {1000 * p95(every_search):.1f} ms")


if __name__ == "__main__":
    main()
