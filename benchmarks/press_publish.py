"""Publish N scheduled posts to local stub platform servers that fail at random; check exactly-once.

    python benchmarks/press_publish.py [N] [FAILURE_RATE]   (default 100 posts, 0.25)

Prints published / failed / retried counts, the failures by classification and error code, and
whether every published post reached its platform exactly once.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from pipeline.db import open_database  # noqa: E402
from pipeline.models import Post, PublishAttempt  # noqa: E402
from pipeline.settings import load_settings  # noqa: E402
from press.schedule import run_due, schedule_release  # noqa: E402
from tests.press.conftest import TOKENS, approved_release, live_overrides  # noqa: E402
from tests.press.stubs import TOKEN, serve  # noqa: E402

PLATFORMS = ["facebook", "threads", "x", "line", "mastodon"]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    rate = float(sys.argv[2]) if len(sys.argv) > 2 else 0.25
    for name in TOKENS:
        os.environ[name] = TOKEN
    now = datetime(2024, 9, 2, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as tmp, serve() as (base, state):
        state.failure_rate = rate
        settings = load_settings(None, live_overrides(base, Path(tmp)), use_env=False)
        sessions = open_database(settings.database_url)
        with sessions() as session:
            for i in range((n + len(PLATFORMS) - 1) // len(PLATFORMS)):
                left = n - i * len(PLATFORMS)
                release = approved_release(session, settings, title=f"第{i}則", author=f"a{i}")
                schedule_release(
                    session,
                    settings,
                    release,
                    now + timedelta(minutes=1),
                    "amy",
                    now=now,
                    platforms=PLATFORMS[: min(left, len(PLATFORMS))],
                )
            session.commit()
        t0 = time.perf_counter()
        ticks = 0
        while True:
            ticks += 1
            now += timedelta(minutes=10)
            with sessions() as session:
                run_due(session, settings, now)
                pending = session.scalars(
                    select(Post.id).where(Post.status.in_(("scheduled", "retrying")))
                ).all()
            if not pending or ticks > 200:
                break
        elapsed = time.perf_counter() - t0
        with sessions() as session:
            posts = session.scalars(select(Post)).all()
            attempts = session.scalars(select(PublishAttempt)).all()
        status = Counter(p.status for p in posts)
        errors = Counter((a.status, a.error_code) for a in attempts if a.status != "published")
        once = (
            sum(state.created.values()) == status["published"]
            and len({(p.platform, p.external_id) for p in posts if p.status == "published"})
            == status["published"]
        )
        print(f"{len(posts)} posts, failure rate {rate:.0%}, {ticks} scheduler ticks, {elapsed:.2f} s")
        print(f"final states: {dict(status)}")
        print(f"attempts: {len(attempts)}; failures by class and code:")
        for (kind, code), count in sorted(errors.items()):
            print(f"  {kind:<10} {code:<12} {count}")
        print(f"posts reaching platforms: {dict(state.created)}")
        print(f"each published post published exactly once: {once}")


if __name__ == "__main__":
    main()
