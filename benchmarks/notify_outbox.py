"""1,000 alerts through the outbox against the local Slack stub with random 429s, 500s and timeouts.

Checks and prints: every alert delivered exactly once (one Slack message per idempotency key), order
kept in every thread, and the most messages any channel received in one second (Slack allows about 1).

    python -m benchmarks.notify_outbox [--alerts 1000] [--channels 50] [--seed 1]
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from notifications import outbox
from notifications.slack import SlackNotifier
from pipeline.db import open_database
from pipeline.models import Alert
from pipeline.settings import load_settings
from tests.notifications.factories import cluster, stored_item
from tests.notifications.slack_stub import TOKEN, SlackStub


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--alerts", type=int, default=1000)
    ap.add_argument("--channels", type=int, default=50)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--p429", type=float, default=0.03)
    ap.add_argument("--p500", type=float, default=0.03)
    ap.add_argument("--ptimeout", type=float, default=0.01, help="stall, nothing posted")
    ap.add_argument("--ptimeout-after", type=float, default=0.01, help="posted, then the answer stalls")
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    names = [f"bench-{i:02d}" for i in range(args.channels)]
    stub_server = SlackStub(channels=tuple(names), stall=1.2, seed=args.seed)
    with tempfile.TemporaryDirectory() as tmp, stub_server as stub:
        os.environ.update(SLACK_BOT_TOKEN=TOKEN, SLACK_API_URL=stub.url)
        settings = load_settings(None, {"database_url": f"sqlite:///{Path(tmp) / 'bench.db'}"}, use_env=False)
        sessions = open_database(settings.database_url)
        with sessions() as s:  # stories of 1-6 copies, each story on one channel
            made = 0
            while made < args.alerts:
                channel, cid = "#" + rnd.choice(names), cluster(s)
                for _ in range(min(rnd.randint(1, 6), args.alerts - made)):
                    item = stored_item(s, cluster_id=cid, outlet=rnd.choice(["cna", "ltn", "udn", "pts"]))
                    outbox.enqueue(s, item, channel, "slack")
                    made += 1
            s.commit()
        stub.random_faults(args.p429, args.p500, args.ptimeout, args.ptimeout_after)
        notifier = SlackNotifier.from_settings(settings, timeout=1)
        stop = threading.Event()
        policy = outbox.RetryPolicy(max_attempts=50, base=1.0, cap=10.0)
        worker = threading.Thread(target=outbox.run_worker, args=(sessions, notifier, stop),
                                  kwargs={"policy": policy, "poll": 0.05})
        start = time.monotonic()
        worker.start()
        while True:
            with sessions() as s:
                left = s.scalar(select(Alert.id).where(Alert.status != "sent").limit(1))
            if left is None or time.monotonic() - start > 1800:
                break
            time.sleep(0.5)
        stop.set()
        worker.join()
        elapsed = time.monotonic() - start
        report(sessions, stub, names, elapsed)


def report(sessions: sessionmaker[Session], stub: SlackStub, names: list[str], elapsed: float) -> None:
    with sessions() as s:
        alerts = list(s.scalars(select(Alert).order_by(Alert.id)))
    posted = Counter((m.metadata or {}).get("event_payload", {}).get("key") for m in stub.messages())
    by_ts = {m.ts: m for m in stub.messages()}
    sent = [a for a in alerts if a.status == "sent"]
    dupes = sum(1 for k in (a.idempotency_key for a in alerts) if posted[k] > 1)
    missing = sum(1 for a in alerts if posted[a.idempotency_key] == 0)
    wrong_ts = sum(1 for a in sent if a.external_id not in by_ts)
    threads: dict[tuple[str, int | None], list[Alert]] = defaultdict(list)
    for a in alerts:
        threads[(a.channel, a.cluster_id)].append(a)
    out_of_order = 0
    for members in threads.values():
        stamps = [float(by_ts[a.external_id].ts) for a in members if a.external_id in by_ts]
        parent = members[0].external_id
        out_of_order += stamps != sorted(stamps)
        replies = [by_ts[a.external_id] for a in members[1:] if a.external_id in by_ts]
        out_of_order += any(m.thread_ts != parent for m in replies)
    worst = max(stub.max_per_window(n, 1.0) for n in names)
    print(f"alerts: {len(alerts)}  sent: {len(sent)}  slack messages: {len(stub.messages())}  "
          f"in {elapsed:.1f} s ({len(sent) / elapsed:.1f}/s)")
    print(f"faults injected: {dict(stub.injected)}")
    print(f"exactly once: duplicates {dupes}, missing {missing}, stored ts not in Slack {wrong_ts}")
    print(f"order per thread: {len(threads)} threads, {out_of_order} out of order")
    print(f"rate per channel: at most {worst} message(s) in any 1 s window across {len(names)} channels")
    print(f"tries per alert: max {max(a.attempts for a in alerts)}, "
          f"mean {sum(a.attempts for a in alerts) / len(alerts):.2f}")


if __name__ == "__main__":
    main()
