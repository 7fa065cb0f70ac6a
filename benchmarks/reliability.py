"""Reliability checks, run as an operator would meet the failures (figures in the issue's closing note).

    python benchmarks/reliability.py kill [--kills 5] [--articles 150] [--seed 1] [--waits 30,90]
        `newsdesk run` on a SQLite file crawls a growing feed of real news and alerts a Slack stub;
        it is killed with SIGKILL at random moments and restarted, then left to finish. Reported:
        items on the site vs stored (lost), stored twice, alerts posted twice, alerts never sent,
        and SQLite's integrity_check.

    python benchmarks/reliability.py deliver [--alerts 100] [--processes 2] [--faults]
        N alerts waiting; several `newsdesk alerts deliver` processes at once against a Slack stub
        that takes 1 s to work on each post (the issue's measurement), with --faults also answering
        429, 500 (before and after posting), time-outs after posting and dropped connections.
        Reported: alerts posted twice, alerts not posted, faults injected.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from newsdesk.demo.loadsite import load_news, serve  # noqa: E402
from tests.notifications.slack_stub import TOKEN, SlackStub  # noqa: E402
from tests.system.processes import scalar, start, stop, wait_for, write_config  # noqa: E402


def sqlite_count(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(sql).fetchone()[0])


def kill_check(kills: int, articles: int, seed: int, waits: tuple[float, float] = (30.0, 90.0)) -> None:
    rng = random.Random(seed)
    items = load_news(articles)
    with tempfile.TemporaryDirectory() as tmp, serve(items, feeds=3, start=articles // 3, grow=1.0) as site, \
            SlackStub(stall=0.5) as slack:
        db = Path(tmp) / "run.db"
        url = f"sqlite:///{db}"
        cfg = write_config(Path(tmp) / "newsdesk.toml", url, site.sources(interval=30),
                           notifications={"fallback": "none"})
        env = {"SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": slack.url}
        moments = []
        for k in range(kills):
            proc = start(cfg, "run", env=env, log=Path(tmp) / f"run{k}.log")
            wait = rng.uniform(*waits)  # a start takes ~30 s on a busy 2-core machine (the model)
            moments.append(round(wait, 1))
            time.sleep(wait)
            proc.kill()  # SIGKILL: nothing runs after it
            proc.wait()
            print(f"kill {k + 1}: after {wait:.1f} s; stored so far {sqlite_count(db, 'SELECT count(*) FROM items')}"
                  if db.exists() else f"kill {k + 1}: after {wait:.1f} s (nothing stored yet)", flush=True)
        final = start(cfg, "run", env=env, log=Path(tmp) / "final.log")
        try:
            wait_for(lambda: site.visible() >= articles and scalar(url, "SELECT count(*) FROM items") >= articles
                     and scalar(url, "SELECT count(*) FROM alerts WHERE status != 'sent'") == 0, 600, every=2)
        finally:
            stop(final)
        stored = sqlite_count(db, "SELECT count(*) FROM items")
        distinct = sqlite_count(db, "SELECT count(DISTINCT title) FROM items")
        unsent = sqlite_count(db, "SELECT count(*) FROM alerts WHERE status != 'sent'")
        alerts = sqlite_count(db, "SELECT count(*) FROM alerts")
        with sqlite3.connect(db) as conn:
            integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    keys = Counter(m.metadata["event_payload"]["key"] for m in slack.messages() if m.metadata)
    print(f"kills at {moments} s after each start")
    print(f"items on the site {articles}, stored {stored}: lost {articles - stored}, "
          f"stored twice {stored - distinct}")
    print(f"alerts {alerts}: posted {len(keys)}, posted twice {sum(1 for v in keys.values() if v > 1)}, "
          f"never sent {unsent}; integrity_check: {integrity}")


def deliver_check(n_alerts: int, processes: int, faults: bool) -> None:
    from notifications.outbox import enqueue
    from pipeline.db import open_database
    from tests.notifications.factories import cluster, stored_item

    with tempfile.TemporaryDirectory() as tmp, SlackStub(stall=1.5) as slack:
        url = f"sqlite:///{Path(tmp) / 'd.db'}"
        sessions = open_database(url)
        with sessions() as s:
            for i in range(n_alerts):
                cid = cluster(s) if i % 5 == 0 else None
                enqueue(s, stored_item(s, cluster_id=cid, outlet=f"o{i}"), "#press-alerts", "slack")
            s.commit()
        sessions.kw["bind"].dispose()
        slack.delay = 1.0  # Slack takes 1 s to work on each post
        if faults:
            slack.random_faults(p429=0.08, p500=0.04, ptimeout_after=0.05, p500_after=0.08, pdrop=0.04,
                                pdrop_after=0.08)
        cfg = write_config(Path(tmp) / "newsdesk.toml", url, [], notifications={
            "fallback": "none", "backoff_base": 1, "backoff_cap": 5, "max_attempts": 50},
            **{"notifications.slack": {"per_channel_per_second": 10, "timeout": 1}})
        env = {"SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": slack.url}
        t0 = time.monotonic()
        for _round in range(10):
            procs = [start(cfg, "alerts", "deliver", env=env, log=Path(tmp) / f"d{i}.log") for i in range(processes)]
            for p in procs:
                p.wait(600)
            if scalar(url, "SELECT count(*) FROM alerts WHERE status != 'sent'") == 0:
                break
        unsent = scalar(url, "SELECT count(*) FROM alerts WHERE status != 'sent'")
    keys = Counter(m.metadata["event_payload"]["key"] for m in slack.messages() if m.metadata)
    print(f"{n_alerts} alerts, {processes} `alerts deliver` processes at once, Slack 1 s per post"
          f"{', faults ' + str(dict(slack.injected)) if faults else ''}: {time.monotonic() - t0:.0f} s")
    print(f"posted {len(keys)}, posted twice {sum(1 for v in keys.values() if v > 1)}, not posted {unsent}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="check", required=True)
    k = sub.add_parser("kill")
    k.add_argument("--kills", type=int, default=5)
    k.add_argument("--articles", type=int, default=150)
    k.add_argument("--seed", type=int, default=1)
    k.add_argument("--waits", default="30,90", help="seconds after each start: a kill at random in this range")
    d = sub.add_parser("deliver")
    d.add_argument("--alerts", type=int, default=100)
    d.add_argument("--processes", type=int, default=2)
    d.add_argument("--faults", action="store_true")
    args = ap.parse_args()
    if args.check == "kill":
        low, high = (float(x) for x in args.waits.split(","))
        kill_check(args.kills, args.articles, args.seed, (low, high))
    else:
        deliver_check(args.alerts, args.processes, args.faults)


if __name__ == "__main__":
    main()
