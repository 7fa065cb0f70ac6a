"""The crawl schedule for ``newsdesk run``: one scheduler in one process (never one per web worker).

* Each source is due at ``Source.next_run_at`` (persisted, so a restart neither re-runs a source
  early nor re-alerts); a source never seen is due at once.
* After a run the next one is ``interval`` later (adapted to the feed, longer after failures, never
  before a ``Retry-After``) plus a random jitter up to ``schedule.jitter`` seconds.
* Missed runs are coalesced: a source overdue by hours runs once, not once per missed interval.
* A source never runs twice at the same time; the sources due together are crawled in one pass
  (one Scrapy child), so a tick costs one crawl, not one per source.
* :meth:`Scheduler.add_job` runs other periodic work (the publisher, the digest) in the same loop.

The next run is written when a run *starts*, so a crash mid-run does not make the source run again
at once after the restart.
"""

from __future__ import annotations

import logging
import random
import signal
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from crawlers import state
from crawlers.collect import collect
from pipeline.db import transaction
from pipeline.items import Item
from pipeline.models import Source, utcnow
from pipeline.settings import Settings, SourceSettings

log = logging.getLogger(__name__)

Collect = Callable[[Settings, Sequence[SourceSettings], sessionmaker[Session]], list[Item]]
MAX_SLEEP = 30.0


@dataclass
class Job:
    """A generic periodic job: ``fn`` every ``interval`` seconds, never overlapping itself."""

    name: str
    interval: float
    fn: Callable[[], object]
    next_run: datetime
    running: bool = False
    runs: int = 0
    errors: int = 0


@dataclass
class Tick:
    """What one scheduling round started (for logs and tests)."""

    sources: list[str] = field(default_factory=list)
    jobs: list[str] = field(default_factory=list)
    items: int = 0


class Scheduler:
    def __init__(self, settings: Settings, sessions: sessionmaker[Session],
                 on_items: Callable[[list[Item]], object], *, collect_fn: Collect = collect,
                 clock: Callable[[], datetime] = utcnow, rng: random.Random | None = None,
                 workers: int = 3) -> None:
        self.settings = settings
        self.sessions = sessions
        self.on_items = on_items
        self.collect_fn = collect_fn
        self.clock = clock
        self.rng = rng or random.Random()
        self.jobs: dict[str, Job] = {}
        self._running: set[str] = set()
        self._lock = threading.Lock()
        self._items_lock = threading.Lock()
        self._workers = workers

    # -- configuration -------------------------------------------------------------------------

    def add_job(self, name: str, interval_seconds: float, fn: Callable[[], object], *,
                run_at_start: bool = False) -> Job:
        if name in self.jobs:
            raise ValueError(f"job {name!r} is already scheduled")
        if interval_seconds <= 0:
            raise ValueError(f"job {name!r}: interval must be positive, got {interval_seconds}")
        first = self.clock() if run_at_start else self.clock() + timedelta(seconds=interval_seconds)
        job = self.jobs[name] = Job(name, float(interval_seconds), fn, first)
        return job

    @property
    def sources(self) -> list[SourceSettings]:
        return [s for s in self.settings.sources if s.enabled]

    # -- what is due ---------------------------------------------------------------------------

    def due_sources(self, now: datetime | None = None) -> list[SourceSettings]:
        now = now or self.clock()
        with self.sessions() as session:
            rows = {r.name: r for r in session.scalars(select(Source))}
        due = []
        for src in self.sources:
            row = rows.get(src.name)
            if src.name in self._running or (row is not None and row.disabled):
                continue
            if row is None or row.next_run_at is None or row.next_run_at <= now:
                hold = state.retry_after(row) if row is not None else None
                if hold is None or hold <= now:
                    due.append(src)
        return due

    def next_wakeup(self, now: datetime | None = None) -> float:
        """Seconds until something may be due (capped, so config-free sources are picked up)."""
        now = now or self.clock()
        times = [j.next_run for j in self.jobs.values() if not j.running]
        with self.sessions() as session:
            for row in session.scalars(select(Source).where(Source.disabled.is_(False))):
                if row.name not in self._running and row.next_run_at is not None:
                    times.append(max(row.next_run_at, state.retry_after(row) or row.next_run_at))
        known = self._known_names()
        if any(s.name not in known for s in self.sources):
            return 0.0
        if not times:
            return MAX_SLEEP
        return max(0.0, min(MAX_SLEEP, (min(times) - now).total_seconds()))

    def _known_names(self) -> set[str]:
        with self.sessions() as session:
            return set(session.scalars(select(Source.name)))

    # -- running -------------------------------------------------------------------------------

    def run_once(self) -> Tick:
        """Run everything due now, in this thread, and return what ran (``crawl --once``, tests)."""
        tick = self._claim()
        if tick.sources:
            tick.items = self._crawl([s for s in self.sources if s.name in tick.sources])
        for name in tick.jobs:
            self._job(self.jobs[name])
        return tick

    def run(self, stop: threading.Event) -> None:
        """Loop until ``stop`` is set (Ctrl-C sets it); a run in progress finishes first."""
        log.info("scheduler started: %d sources, %d jobs", len(self.sources), len(self.jobs))
        futures: list[Future[object]] = []
        with ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="newsdesk-run") as pool:
            while not stop.is_set():
                tick = self._claim()
                if tick.sources:
                    batch = [s for s in self.sources if s.name in tick.sources]
                    futures.append(pool.submit(self._crawl, batch))
                for name in tick.jobs:
                    futures.append(pool.submit(self._job, self.jobs[name]))
                futures = [f for f in futures if not f.done()]
                stop.wait(max(0.2, self.next_wakeup()))
            log.info("scheduler stopping; waiting for %d running task(s)", len(futures))
        log.info("scheduler stopped")

    def run_until_signalled(self) -> None:
        """``run`` until SIGINT (Ctrl-C) or SIGTERM; runs in progress finish, then it returns.

        Call from the main thread (Python delivers signals there). A Scrapy child in progress gets
        the same Ctrl-C from the terminal and stops after its current pages.
        """
        stop = threading.Event()
        handlers = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            self.run(stop)
        finally:
            for sig, handler in handlers.items():
                signal.signal(sig, handler)

    def _claim(self) -> Tick:
        """Pick what is due and mark it running; write the sources' next run before they start."""
        now = self.clock()
        tick = Tick()
        with self._lock:
            due = self.due_sources(now)
            if due:
                self._persist_next(due, now)
                self._running.update(s.name for s in due)
                tick.sources = [s.name for s in due]
            for job in self.jobs.values():
                if not job.running and job.next_run <= now:
                    job.running = True
                    # Coalesce: the next run is one interval from now, however late this one is.
                    job.next_run = now + timedelta(seconds=job.interval)
                    tick.jobs.append(job.name)
        return tick

    def _persist_next(self, due: list[SourceSettings], now: datetime) -> None:
        with transaction(self.sessions) as session:
            for src in due:
                row = state.ensure_row(session, src)
                row.next_run_at = now + state.next_delay(row) + self._jitter()

    def _jitter(self) -> timedelta:
        return timedelta(seconds=self.rng.uniform(0, self.settings.schedule.jitter))

    def _crawl(self, batch: list[SourceSettings]) -> int:
        names = [s.name for s in batch]
        try:
            items = self.collect_fn(self.settings, batch, self.sessions)
            with self._items_lock:
                self.on_items(items)
            commit = getattr(items, "commit_state", None)
            if commit is not None:
                commit(self.sessions)
            return len(items)
        except Exception:
            log.exception("crawl of %s failed; their feeds will be read again", ", ".join(names))
            self._forget(names)
            return 0
        finally:
            self._reschedule(batch)
            with self._lock:
                self._running.difference_update(names)

    def _reschedule(self, batch: list[SourceSettings]) -> None:
        """After the run: the interval may have adapted or failures grown; recompute from the end."""
        now = self.clock()
        with transaction(self.sessions) as session:
            for row in session.scalars(select(Source).where(Source.name.in_([s.name for s in batch]))):
                nxt = now + state.next_delay(row) + self._jitter()
                hold = state.retry_after(row)
                row.next_run_at = max(nxt, hold) if hold else nxt

    def _forget(self, names: list[str]) -> None:
        """Items were not stored: drop the feed validators so the next poll reads the entries again."""
        with transaction(self.sessions) as session:
            for row in session.scalars(select(Source).where(Source.name.in_(names))):
                row.etag = row.last_modified = row.content_hash = None

    def _job(self, job: Job) -> None:
        try:
            job.fn()
            job.runs += 1
        except Exception:
            job.errors += 1
            log.exception("job %s failed", job.name)
        finally:
            job.running = False
