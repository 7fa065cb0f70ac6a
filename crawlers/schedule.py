"""The schedule for ``newsdesk run``: crawl each source at its interval, run the periodic jobs.

The schedule lives in the database, not in a process, so any number of ``run`` processes (and, with
``--engine celery``, any number of workers) do each run once:

* A source is due at ``Source.next_run_at`` (a source never seen is due at once). A process *claims*
  it with one ``UPDATE … WHERE next_run_at <= now AND <lease free>`` (:mod:`pipeline.leases`) that
  also writes the next run, so of two schedulers exactly one crawls it in each interval, and a crash
  mid-run does not make it run again at once after the restart. The lease is released (and the next
  run recomputed from the end of the run) when the crawl ends.
* After a run the next one is ``interval`` later (adapted to the feed, longer after failures, never
  before a ``Retry-After``) plus a random jitter up to ``schedule.jitter`` seconds.
* Missed runs are coalesced: a source overdue by hours runs once, not once per missed interval.
* The sources claimed together are crawled in one pass (one Scrapy child), so a tick costs one
  crawl, not one per source.
* :meth:`Scheduler.add_job` adds other periodic work (publishing, the digest, spikes); a job is a
  ``jobs`` row claimed the same way (``next_run_at`` moved one interval on, under a lease).
* Nothing stops the loop: an error while claiming or running is logged and retried next tick.
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

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from crawlers import state
from crawlers.collect import collect
from pipeline import leases
from pipeline.db import transaction, writer
from pipeline.items import Item
from pipeline.models import Job as JobRow
from pipeline.models import Source, utcnow
from pipeline.settings import Settings, SourceSettings

log = logging.getLogger(__name__)

Collect = Callable[[Settings, Sequence[SourceSettings], sessionmaker[Session]], list[Item]]
MAX_SLEEP = 30.0
CRAWL_LEASE = 1800.0  # seconds a claimed crawl is held before another process may take it over
JOB_LEASE = 900.0


@dataclass
class Job:
    """A periodic job: ``fn`` every ``interval`` seconds, never overlapping itself (here or elsewhere)."""

    name: str
    interval: float
    fn: Callable[[], object]
    next_run: datetime
    running: bool = False
    runs: int = 0
    errors: int = 0
    owner: str | None = None


@dataclass
class Tick:
    """What one scheduling round started (for logs and tests)."""

    sources: list[str] = field(default_factory=list)
    jobs: list[str] = field(default_factory=list)
    items: int = 0
    owners: dict[str, str] = field(default_factory=dict)  # source -> lease owner


class Scheduler:
    def __init__(self, settings: Settings, sessions: sessionmaker[Session],
                 on_items: Callable[[list[Item]], object], *, collect_fn: Collect = collect,
                 clock: Callable[[], datetime] = utcnow, rng: random.Random | None = None,
                 workers: int = 3) -> None:
        self.settings = settings
        self.sessions = writer(sessions)  # short read-then-write units: take the lock when they begin
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
            if row is not None and row.lease_until is not None and row.lease_until >= now \
                    and leases.owner_alive(row.lease_owner):
                continue  # another process is crawling it
            if row is None or row.next_run_at is None or row.next_run_at <= now:
                hold = state.retry_after(row) if row is not None else None
                if hold is None or hold <= now:
                    due.append(src)
        return due

    def next_wakeup(self, now: datetime | None = None) -> float:
        """Seconds until something may be due (capped, so config-free sources are picked up)."""
        now = now or self.clock()
        times = [j.next_run for j in self.jobs.values()]  # a running job may be due again when it ends
        with self.sessions() as session:
            for row in session.scalars(select(Source).where(Source.disabled.is_(False))):
                if row.name not in self._running and row.next_run_at is not None:
                    times.append(max(row.next_run_at, state.retry_after(row) or row.next_run_at))
            known = set(session.scalars(select(Source.name)))
        if any(s.name not in known for s in self.sources):
            return 0.0
        if not times:
            return MAX_SLEEP
        return max(0.0, min(MAX_SLEEP, (min(times) - now).total_seconds()))

    # -- running -------------------------------------------------------------------------------

    def run_once(self) -> Tick:
        """Run everything due now, in this thread, and return what ran (``crawl --once``, tests)."""
        tick = self._claim()
        if tick.sources:
            tick.items = self._crawl([s for s in self.sources if s.name in tick.sources], tick.owners)
        for name in tick.jobs:
            self._job(self.jobs[name])
        return tick

    def run(self, stop: threading.Event) -> None:
        """Loop until ``stop`` is set (Ctrl-C sets it); a run in progress finishes first."""
        log.info("scheduler started: %d sources, %d jobs", len(self.sources), len(self.jobs))
        futures: list[Future[object]] = []
        with ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="newsdesk-run") as pool:
            while not stop.is_set():
                try:
                    self.submit(pool, self._claim(), futures)
                    wait = self.next_wakeup()
                except SQLAlchemyError as exc:  # the database is busy or away: try again shortly
                    log.warning("scheduler could not read its schedule (%s); retrying in 5 s", exc)
                    stop.wait(5.0)
                    continue
                futures = [f for f in futures if not f.done()]
                stop.wait(max(0.2, wait))
            log.info("scheduler stopping; waiting for %d running task(s)", len(futures))
        log.info("scheduler stopped")

    def submit(self, pool: ThreadPoolExecutor, tick: Tick, futures: list[Future[object]]) -> None:
        """Start what ``tick`` claimed (a Celery scheduler sends it to the workers instead)."""
        if tick.sources:
            batch = [s for s in self.sources if s.name in tick.sources]
            futures.append(pool.submit(self._crawl, batch, tick.owners))
        for name in tick.jobs:
            futures.append(pool.submit(self._job, self.jobs[name]))

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

    # -- claiming ------------------------------------------------------------------------------

    def _claim(self) -> Tick:
        """Claim what is due (sources and jobs) in the database and mark it running here."""
        now = self.clock()
        tick = Tick()
        with self._lock:
            self._ensure_rows()
            for src in self.due_sources(now):
                owner = self._claim_source(src, now)
                if owner is not None:
                    tick.sources.append(src.name)
                    tick.owners[src.name] = owner
            self._running.update(tick.sources)
            for job in self.jobs.values():
                if not job.running and job.next_run <= now and self._claim_job(job, now):
                    job.running = True
                    tick.jobs.append(job.name)
        return tick

    def _ensure_rows(self) -> None:
        """Create the rows of sources never seen (two processes may race: the loser sees the row)."""
        try:
            with transaction(self.sessions) as session:
                known = set(session.scalars(select(Source.name)))
                for src in self.sources:
                    if src.name not in known:
                        state.ensure_row(session, src)
        except IntegrityError:
            pass  # another scheduler created them first

    def _claim_source(self, src: SourceSettings, now: datetime) -> str | None:
        with self.sessions() as session:
            row = session.scalar(select(Source).where(Source.name == src.name))
            if row is None:
                return None
            key, nxt = row.id, now + state.next_delay(row) + self._jitter()
        due = and_(or_(Source.next_run_at.is_(None), Source.next_run_at <= now), Source.disabled.is_(False))
        return leases.claim_key(self.sessions, Source, key, due, seconds=CRAWL_LEASE, now=now,
                                values={"next_run_at": nxt})

    def _claim_job(self, job: Job, now: datetime) -> bool:
        """Claim the job's row: due in the database too, and nobody else running it."""
        try:
            with transaction(self.sessions) as session:
                if session.get(JobRow, job.name) is None:
                    session.add(JobRow(name=job.name, next_run_at=job.next_run, runs=0, failures=0))
        except IntegrityError:
            pass
        # Coalesce: the next run is one interval from now, however late this one is.
        job.next_run = now + timedelta(seconds=job.interval)
        owner = leases.claim_key(self.sessions, JobRow, job.name,
                                 or_(JobRow.next_run_at.is_(None), JobRow.next_run_at <= now),
                                 seconds=JOB_LEASE, now=now,
                                 values={"next_run_at": job.next_run, "last_started_at": now})
        if owner is None:
            with self.sessions() as session:  # another process ran it: follow its schedule
                row = session.get(JobRow, job.name)
                if row is not None and row.next_run_at is not None:
                    job.next_run = max(job.next_run, row.next_run_at)
            return False
        job.owner = owner
        return True

    def _jitter(self) -> timedelta:
        return timedelta(seconds=self.rng.uniform(0, self.settings.schedule.jitter))

    # -- the work ------------------------------------------------------------------------------

    def _crawl(self, batch: list[SourceSettings], owners: dict[str, str] | None = None) -> int:
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
            self.finish_crawl(names, owners or {})
            with self._lock:
                self._running.difference_update(names)

    def finish_crawl(self, names: list[str], owners: dict[str, str]) -> None:
        """After the run: release the leases; the interval may have adapted or failures grown."""
        now = self.clock()
        try:
            with transaction(self.sessions) as session:
                for row in session.scalars(select(Source).where(Source.name.in_(names))):
                    nxt = now + state.next_delay(row) + self._jitter()
                    hold = state.retry_after(row)
                    owner = owners.get(row.name)
                    values = {"next_run_at": max(nxt, hold) if hold else nxt}
                    if owner:
                        leases.release(session, Source, row.id, owner, **values)
                    else:
                        row.next_run_at = values["next_run_at"]
        except SQLAlchemyError:
            log.exception("could not reschedule %s; their leases expire on their own", ", ".join(names))

    def _forget(self, names: list[str]) -> None:
        """Items were not stored: drop the feed validators so the next poll reads the entries again."""
        with transaction(self.sessions) as session:
            for row in session.scalars(select(Source).where(Source.name.in_(names))):
                row.etag = row.last_modified = row.content_hash = None

    def _job(self, job: Job) -> None:
        error: str | None = None
        try:
            job.fn()
            job.runs += 1
        except Exception as exc:
            job.errors += 1
            error = f"{type(exc).__name__}: {exc}"
            log.exception("job %s failed", job.name)
        finally:
            job.running = False
            self._finish_job(job, error)

    def _finish_job(self, job: Job, error: str | None) -> None:
        if job.owner is None:
            return
        try:
            with transaction(self.sessions) as session:
                values: dict[str, object] = {"last_finished_at": self.clock(), "last_error": error}
                values["runs" if error is None else "failures"] = (
                    (JobRow.runs if error is None else JobRow.failures) + 1)
                leases.release(session, JobRow, job.name, job.owner, **values)
        except SQLAlchemyError:
            log.exception("could not record the end of job %s", job.name)
        job.owner = None
