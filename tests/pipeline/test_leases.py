"""Leases on SQLite and PostgreSQL: one holder at a time, expiry, dead owners, fenced writes,
and the schedule's sources and jobs claimed once per interval by two schedulers."""

from __future__ import annotations

import random
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crawlers import state
from crawlers.schedule import Scheduler
from pipeline import leases
from pipeline.db import open_database
from pipeline.items import Item
from pipeline.models import Job, Source
from pipeline.settings import Settings, SourceSettings, load_settings

NOW = datetime(2024, 9, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
def factory(backend_url: str) -> Iterator[sessionmaker[Session]]:
    f = open_database(backend_url)
    yield f
    f.kw["bind"].dispose()


def _jobs(factory: sessionmaker[Session], n: int) -> None:
    with factory() as s:
        s.add_all([Job(name=f"j{i}", next_run_at=NOW, runs=0, failures=0) for i in range(n)])
        s.commit()


def test_racing_claims_take_each_row_once(factory: sessionmaker[Session]) -> None:
    _jobs(factory, 40)
    got: list[list[str]] = []
    sizes: list[int] = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        mine: list[str] = []
        barrier.wait()
        while True:
            _, keys = leases.claim(factory, Job, Job.next_run_at <= NOW, seconds=60, limit=3, now=NOW)
            if not keys:
                break
            sizes.append(len(keys))
            mine += keys
        got.append(mine)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    flat = [k for mine in got for k in mine]
    assert sorted(flat) == sorted(f"j{i}" for i in range(40))  # every row once, none twice
    assert max(sizes) <= 3  # never more than the limit (PostgreSQL could re-run a LIMIT subquery)


def test_a_live_lease_is_kept_an_expired_one_is_taken_and_the_loser_writes_nothing(
        factory: sessionmaker[Session]) -> None:
    _jobs(factory, 1)
    first = leases.claim_key(factory, Job, "j0", seconds=60, now=NOW)
    assert first is not None
    assert leases.claim_key(factory, Job, "j0", seconds=60, now=NOW + timedelta(seconds=59)) is None
    second = leases.claim_key(factory, Job, "j0", seconds=60, now=NOW + timedelta(seconds=61))
    assert second is not None and second != first
    with factory() as s:
        assert not leases.release(s, Job, "j0", first, last_error="stale holder")  # fenced out
        assert leases.release(s, Job, "j0", second, last_error=None)
        s.commit()
        row = s.get(Job, "j0")
        assert row is not None and row.lease_owner is None and row.last_error is None


def test_a_lease_of_a_dead_local_process_is_free_at_once(factory: sessionmaker[Session]) -> None:
    _jobs(factory, 1)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()
    with factory() as s:
        row = s.get(Job, "j0")
        assert row is not None
        row.lease_owner, row.lease_until = f"{leases.HOST}:{gone}:abc:1", NOW + timedelta(hours=1)
        s.commit()
    assert not leases.owner_alive(f"{leases.HOST}:{gone}:abc:1")
    assert leases.owner_alive("another-host:1:abc:1")  # elsewhere only the expiry counts
    assert leases.claim_key(factory, Job, "j0", seconds=60, now=NOW) is not None


class Collect:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, settings: Settings, sources: Sequence[SourceSettings],
                 sessions: sessionmaker[Session]) -> list[Item]:
        with self.lock:
            self.calls += [s.name for s in sources]
        with sessions.begin() as s:
            for src in sources:
                state.record_success(state.ensure_row(s, src), src, new_entries=0)
        return []


def test_two_schedulers_crawl_each_source_and_run_each_job_once_per_interval(backend_url: str) -> None:
    settings = load_settings(None, {"database_url": backend_url, "schedule": {"jitter": 0}, "sources": [
        {"name": f"s{i}", "url": f"https://s{i}.example/rss", "interval": 600} for i in range(6)]},
        use_env=False)
    clock = {"now": NOW}
    collect = Collect()
    runs: list[str] = []
    factories = [open_database(backend_url) for _ in range(2)]
    scheds = [Scheduler(settings, f, lambda items: None, collect_fn=collect, clock=lambda: clock["now"],
                        rng=random.Random(i)) for i, f in enumerate(factories)]
    for i, sched in enumerate(scheds):
        sched.add_job("digest", 60, lambda i=i: runs.append(f"digest@{i}"), run_at_start=True)
    try:
        for _minute in range(3):
            ticks = [threading.Thread(target=s.run_once) for s in scheds]
            for t in ticks:
                t.start()
            for t in ticks:
                t.join(60)
            clock["now"] += timedelta(seconds=61)
    finally:
        for f in factories:
            f.kw["bind"].dispose()
    assert sorted(collect.calls) == [f"s{i}" for i in range(6)]  # once each in their 600 s interval
    assert len(runs) == 3  # the job once a minute, whichever process ran it
    with factories[0]() as s:
        assert s.get(Job, "digest").runs == 3  # type: ignore[union-attr]
        assert all(r.lease_owner is None for r in s.scalars(select(Source)))
    factories[0].kw["bind"].dispose()
