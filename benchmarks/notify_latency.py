"""Latency from an item stored (and its alert committed) to its Slack message, with the worker running.

A producer thread stores items and enqueues their alerts, like the pipeline's store and alert stages;
the outbox worker (``run_worker``) delivers them to the local Slack stub. Prints median and p95.

    python -m benchmarks.notify_latency [--alerts 200] [--rate 4] [--channels 10] [--poll 0.2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import select

from notifications import outbox
from notifications.slack import SlackNotifier
from pipeline.db import open_database
from pipeline.models import Alert
from pipeline.settings import load_settings
from tests.notifications.factories import stored_item
from tests.notifications.slack_stub import TOKEN, SlackStub


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--alerts", type=int, default=200)
    ap.add_argument("--rate", type=float, default=4.0, help="items stored per second")
    ap.add_argument("--channels", type=int, default=10)
    ap.add_argument("--poll", type=float, default=0.2, help="the worker's idle poll interval, seconds")
    args = ap.parse_args()
    names = [f"lat-{i:02d}" for i in range(args.channels)]
    with tempfile.TemporaryDirectory() as tmp, SlackStub(channels=tuple(names)) as stub:
        os.environ.update(SLACK_BOT_TOKEN=TOKEN, SLACK_API_URL=stub.url)
        settings = load_settings(None, {"database_url": f"sqlite:///{Path(tmp) / 'lat.db'}"}, use_env=False)
        sessions = open_database(settings.database_url)
        notifier = SlackNotifier.from_settings(settings)
        stop = threading.Event()
        worker = threading.Thread(target=outbox.run_worker, args=(sessions, notifier, stop),
                                  kwargs={"poll": args.poll})
        worker.start()
        stored: dict[str, float] = {}
        for i in range(args.alerts):
            with sessions() as s:
                alert = outbox.enqueue(s, stored_item(s), "#" + names[i % len(names)], "slack")
                assert alert is not None
                key = alert.idempotency_key
                s.commit()
            stored[key] = time.monotonic()
            time.sleep(1.0 / args.rate)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with sessions() as s:
                if s.scalar(select(Alert.id).where(Alert.status != "sent").limit(1)) is None:
                    break
            time.sleep(0.2)
        stop.set()
        worker.join()
        got = {(m.metadata or {})["event_payload"]["key"]: m.received for m in stub.messages()}
        lat = sorted(got[k] - t for k, t in stored.items() if k in got)
        print(f"alerts {args.alerts} at {args.rate}/s over {args.channels} channels, "
              f"worker poll {args.poll} s; delivered {len(lat)}")
        print(f"latency stored → Slack: median {statistics.median(lat) * 1000:.0f} ms, "
              f"p95 {lat[int(0.95 * (len(lat) - 1))] * 1000:.0f} ms, max {lat[-1] * 1000:.0f} ms")


if __name__ == "__main__":
    main()
