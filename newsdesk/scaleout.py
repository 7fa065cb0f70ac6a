"""``newsdesk run --engine celery``: the scheduler claims what is due and enqueues it; workers run it.

Claims are the same as in-process (:mod:`crawlers.schedule`): each source once per interval, each
job once per interval, whatever the number of schedulers. A crawl is sent as one task per source,
carrying its lease owner, so the task (and the processing task it starts) ends that lease.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import click

from crawlers.schedule import Scheduler, Tick
from newsdesk.app import App
from pipeline.heartbeat import Heartbeat

log = logging.getLogger("newsdesk")


class CeleryScheduler(Scheduler):
    """Sends claimed crawls to the ``crawl`` queue instead of running them here."""

    def submit(self, pool: ThreadPoolExecutor, tick: Tick, futures: list[Future[object]]) -> None:
        from newsdesk import tasks

        for name in tick.sources:
            tasks.crawl.apply_async((name, tick.owners[name]))
        with self._lock:
            self._running.difference_update(tick.sources)  # the lease in the database guards it now
        for name in tick.jobs:
            futures.append(pool.submit(self._job, self.jobs[name]))


def celery_jobs(app: App) -> list[tuple[str, float, Callable[[], object]]]:
    from newsdesk import tasks
    from notifications.factory import notifiers_from_settings
    from notifications.fallback import fallback_notifier

    settings = app.settings
    names = [n.name for n in notifiers_from_settings(settings)]
    fallback = fallback_notifier(settings, names)
    if fallback is not None:
        names.append(f"fallback:{fallback.name}")
    every = settings.engine.deliver_every

    def deliver() -> None:
        for name in names:  # a pass that finds the queue full of passes expires unrun
            tasks.deliver.apply_async((name,), expires=max(10.0, every * 5))

    return [("deliver", every, deliver), ("spikes", 300, tasks.spikes.delay),
            ("publish-due", 60, tasks.publish.delay), ("media-notices", 60, tasks.media_notices.delay),
            ("press-pickup", 900, tasks.pickup.delay),
            ("daily-digest", 60, tasks.digest.delay)]


def run_celery(app: App, stop: threading.Event) -> None:
    from newsdesk.celery import make_app

    make_app(app.settings).set_default()
    scheduler = CeleryScheduler(app.settings, app.sessions, lambda items: None)
    for name, interval, job in celery_jobs(app):
        scheduler.add_job(name, interval, job, run_at_start=name == "deliver")
    beat = start_heartbeat(app, "scheduler", "celery", stop)
    click.echo(f"newsdesk: scheduling {len(scheduler.sources)} sources into {app.database_label()} "
               "for Celery workers (`newsdesk worker`). Ctrl-C stops.")
    scheduler.run(stop)
    beat.stop()


def start_heartbeat(app: App, kind: str, name: str, stop: threading.Event) -> Heartbeat:
    """A ``workers`` row for this process, kept fresh every 5 s until ``stop`` (``newsdesk status``)."""
    beat = Heartbeat(app.sessions, kind, name)

    def loop() -> None:
        while not stop.wait(5.0):
            beat.beat(force=True)

    threading.Thread(target=loop, daemon=True, name=f"heartbeat-{kind}").start()
    return beat
