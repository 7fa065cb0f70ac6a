from __future__ import annotations

import random
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crawlers import state
from crawlers.schedule import Scheduler
from pipeline.db import open_database
from pipeline.items import Item
from pipeline.models import Source
from pipeline.settings import Settings, SourceSettings, load_settings


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2024, 9, 2, 1, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class FakeCollect:
    """Records which sources each pass got; creates their rows like the real collect."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self.calls: list[list[str]] = []

    def __call__(self, settings: Settings, sources: Sequence[SourceSettings],
                 sessions: sessionmaker[Session]) -> list[Item]:
        self.calls.append([s.name for s in sources])
        with sessions.begin() as s:
            for src in sources:
                state.record_success(state.ensure_row(s, src), src, new_entries=1)
        return [Item(url=f"https://x/{s.name}/{len(self.calls)}", title="t", text="t", source=s.name)
                for s in sources]


def _settings(tmp: str, jitter: int = 0) -> Settings:
    return load_settings(None, {"database_url": f"sqlite:///{tmp}/s.db", "schedule": {"jitter": jitter},
                                "sources": [{"name": "a", "url": "https://a.example/rss", "interval": 60},
                                            {"name": "b", "url": "https://b.example/rss", "interval": 600}]},
                         use_env=False)


def _make(tmp: str, clock: Clock, jitter: int = 0) -> tuple[Scheduler, FakeCollect, list[Item]]:
    settings = _settings(tmp, jitter)
    sessions = open_database(settings.database_url)
    fake = FakeCollect(sessions)
    stored: list[Item] = []
    return (Scheduler(settings, sessions, stored.extend, collect_fn=fake, clock=clock, rng=random.Random(1)),
            fake, stored)


def test_intervals_and_coalescing(tmp_path: object) -> None:
    clock = Clock()
    sched, fake, stored = _make(str(tmp_path), clock)
    assert sched.run_once().sources == ["a", "b"]          # never seen: due at once, one pass for both
    assert fake.calls == [["a", "b"]] and len(stored) == 2
    assert sched.run_once().sources == []                   # nothing due right after
    clock.advance(45)                                        # a adapted to 30 s (new entries), b to 300 s
    assert sched.run_once().sources == ["a"]
    clock.advance(10 * 3600)                                 # ten hours down: each runs once, not 1200 times
    assert sched.run_once().sources == ["a", "b"]
    assert sched.run_once().sources == []
    assert len(fake.calls) == 3


def test_restart_keeps_next_run(tmp_path: object) -> None:
    clock = Clock()
    sched, fake, _ = _make(str(tmp_path), clock)
    sched.run_once()
    again, fake2, _ = _make(str(tmp_path), clock)           # a new process, same database
    clock.advance(5)
    assert again.run_once().sources == [] and fake2.calls == []
    with again.sessions() as s:
        nxt = {r.name: r.next_run_at for r in s.scalars(select(Source))}
    assert all(t is not None and t > clock.now for t in nxt.values())


def test_jitter_spreads_next_runs(tmp_path: object) -> None:
    clock = Clock()
    sched, _, _ = _make(str(tmp_path), clock, jitter=30)
    sched.run_once()
    with sched.sessions() as s:
        rows = {r.name: r for r in s.scalars(select(Source))}
    a = rows["a"]
    assert a.next_run_at is not None
    extra = (a.next_run_at - clock.now).total_seconds() - a.interval
    assert 0 < extra <= 30


def test_retry_after_and_backoff_delay_the_next_run(tmp_path: object) -> None:
    clock = Clock()
    sched, fake, _ = _make(str(tmp_path), clock)
    sched.run_once()
    with sched.sessions.begin() as s:
        row = s.scalar(select(Source).where(Source.name == "a"))
        assert row is not None
        state.record_failure(row, "HTTP 429", retry_after=clock.now + timedelta(hours=1))
        row.next_run_at = clock.now
    clock.advance(120)
    assert "a" not in sched.run_once().sources
    clock.advance(3600)
    assert "a" in sched.run_once().sources


def test_generic_jobs_do_not_overlap_and_loop_stops(tmp_path: object) -> None:
    clock = Clock()
    settings = _settings(str(tmp_path))
    sessions = open_database(settings.database_url)
    sched = Scheduler(settings.model_copy(update={"sources": []}), sessions, lambda items: None, clock=clock)
    started = threading.Event()
    release = threading.Event()
    runs: list[int] = []

    def slow() -> None:
        runs.append(1)
        started.set()
        release.wait(5)

    sched.add_job("publisher", 60, slow, run_at_start=True)
    stop = threading.Event()
    loop = threading.Thread(target=sched.run, args=(stop,))
    loop.start()
    assert started.wait(5)
    clock.advance(600)                    # due again while still running: must not start twice
    time.sleep(0.5)
    assert runs == [1]
    release.set()
    stop.set()
    loop.join(10)
    assert not loop.is_alive()


def test_failed_storage_rereads_feeds(tmp_path: object) -> None:
    clock = Clock()
    settings = _settings(str(tmp_path))
    sessions = open_database(settings.database_url)
    fake = FakeCollect(sessions)

    def broken(items: list[Item]) -> None:
        raise RuntimeError("database full")

    sched = Scheduler(settings, sessions, broken, collect_fn=fake, clock=clock)
    with sessions.begin() as s:
        for src in settings.sources:
            state.ensure_row(s, src).content_hash = "abc"
    assert sched.run_once().items == 0
    with sessions() as s:
        assert all(r.content_hash is None for r in s.scalars(select(Source)))


def test_ctrl_c_stops_cleanly(tmp_path: object) -> None:
    import subprocess
    import sys

    from tests.conftest import ROOT

    script = f"""
import os, signal, threading
from pipeline.db import open_database
from pipeline.settings import load_settings
from crawlers.schedule import Scheduler
settings = load_settings(None, {{"database_url": "sqlite:///{tmp_path}/c.db", "sources": []}}, use_env=False)
runs = []
sched = Scheduler(settings, open_database(settings.database_url), lambda items: None)
sched.add_job("tick", 0.2, lambda: runs.append(1), run_at_start=True)
threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
sched.run_until_signalled()
print("stopped after", len(runs), "runs")
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("stopped after") and int(proc.stdout.split()[2]) >= 2


def test_a_running_source_is_not_started_again(tmp_path: object) -> None:
    clock = Clock()
    settings = _settings(str(tmp_path))
    sessions = open_database(settings.database_url)
    started = threading.Event()
    release = threading.Event()
    calls: list[list[str]] = []

    def slow(settings: Settings, sources: Sequence[SourceSettings],
             sessions: sessionmaker[Session]) -> list[Item]:
        calls.append([s.name for s in sources])
        started.set()
        release.wait(5)
        return []

    sched = Scheduler(settings, sessions, lambda items: None, collect_fn=slow, clock=clock)
    stop = threading.Event()
    loop = threading.Thread(target=sched.run, args=(stop,))
    loop.start()
    assert started.wait(5)
    clock.advance(10 * 3600)                 # both overdue again while the first pass still runs
    time.sleep(0.6)
    assert calls == [["a", "b"]] and sched.due_sources() == []
    release.set()
    stop.set()
    loop.join(10)
    assert not loop.is_alive()
