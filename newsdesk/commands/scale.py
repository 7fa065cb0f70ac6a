"""Commands: ``worker`` (a Celery worker) and ``status`` (workers, notifiers, jobs, anything stuck)."""

from __future__ import annotations

import json
import os
import threading
from datetime import datetime
from typing import Any

import click

from newsdesk.app import App
from notifications.base import TAIPEI


def _local(value: datetime | None) -> str:
    return value.astimezone(TAIPEI).strftime("%m-%d %H:%M:%S") if value else "—"


def register(main: click.Group) -> None:
    main.add_command(worker)
    main.add_command(status)


@click.command("worker")
@click.option("--queues", default="crawl,score,deliver,publish", show_default=True,
              help="comma-separated: crawl, score (the model), deliver (alerts, digests, spikes), publish")
@click.option("--concurrency", type=int, default=1, show_default=True,
              help="tasks at once (1: one process; more: threads sharing one model)")
@click.pass_obj
def worker(app: App, queues: str, concurrency: int) -> None:
    """Run a Celery worker for `newsdesk run --engine celery` (broker: CELERY_BROKER_URL)."""
    from newsdesk.celery import QUEUES, make_app
    from newsdesk.delivery import check_scopes
    from notifications.factory import notifiers_from_settings
    from pipeline.heartbeat import Heartbeat

    wanted = [q.strip() for q in queues.split(",") if q.strip()]
    unknown = [q for q in wanted if q not in QUEUES]
    if unknown or not wanted:
        raise click.BadParameter(f"unknown queue(s) {unknown or queues!r}; choose from {', '.join(QUEUES)}",
                                 param_hint="--queues")
    if app.config:
        os.environ["NEWSDESK_CONFIG"] = str(app.config)  # the tasks open the same settings
    celery = make_app(app.settings)
    app.sessions  # noqa: B018 - migrate once here, not in every task
    if "deliver" in wanted:
        for problem in check_scopes(notifiers_from_settings(app.settings), app):
            click.echo(f"newsdesk: {problem}", err=True)
    if "score" in wanted:  # load the model before taking tasks, so no task waits for it
        from pipeline.sentiment import get_scorer

        get_scorer(app.settings.sentiment)
    beat = Heartbeat(app.sessions, "celery", ",".join(wanted))
    _watch(celery, beat)
    pool = "solo" if concurrency == 1 else "threads"
    celery.worker_main(["worker", "-Q", ",".join(wanted), "--pool", pool, "-c", str(concurrency),
                        "--loglevel", "INFO", "-n", f"newsdesk-{os.getpid()}@%h", "--without-gossip",
                        "--without-mingle"])
    beat.stop()


def _watch(celery: Any, beat: Any) -> None:
    """Heartbeat every few seconds; every failed task is recorded with its arguments' ids."""
    from celery.signals import task_failure, task_success

    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(5.0):
            beat.beat(force=True)

    threading.Thread(target=loop, daemon=True, name="newsdesk-heartbeat").start()

    @task_success.connect(weak=False)
    def _ok(sender: Any = None, **_: Any) -> None:
        beat.beat(1)

    @task_failure.connect(weak=False)
    def _failed(sender: Any = None, exception: BaseException | None = None, args: Any = None, **_: Any) -> None:
        name = getattr(sender, "name", "task")
        beat.error(f"{name}{tuple(a for a in (args or ()) if isinstance(a, str | int))}: "
                   f"{type(exception).__name__}: {exception}")


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="one JSON object")
@click.option("--check", is_flag=True, help="exit with status 1 when something is stuck (for monitoring)")
@click.pass_obj
def status(app: App, as_json: bool, check: bool) -> None:
    """Each worker and notifier, the periodic jobs, and anything stuck."""
    from pipeline.status import collect

    with app.read_session() as session:
        st = collect(session)
    if as_json:
        click.echo(json.dumps(st.__dict__, default=str, ensure_ascii=False))
    else:
        _print(st)
    if check and st.stuck:
        raise SystemExit(1)


def _print(st: Any) -> None:
    click.echo(f"newsdesk status at {_local(st.now)} (Asia/Taipei)")
    click.echo("workers:" if st.workers else "workers: none has run yet")
    for w in st.workers:
        err = f", last error {_local(w['last_error_at'])}: {w['last_error']}" if w["last_error"] else ""
        click.echo(f"  {w['kind']:<9} {w['name']:<22} {w['where']:<28} {w['state']:<10} seen {_local(w['seen'])}"
                   f", done {w['done']}, errors {w['errors']}{err}")
    click.echo("notifiers:" if st.notifiers else "notifiers: no alert yet")
    for n in st.notifiers:
        counts = ", ".join(f"{k} {v}" for k, v in sorted(n["counts"].items()))
        click.echo(f"  {n['name']:<16} {counts}; oldest waiting due {_local(n['oldest_due'])}; "
                   f"last sent {_local(n['last_sent'])}")
    click.echo("jobs:" if st.jobs else "jobs: none has run yet")
    for j in st.jobs:
        state = "running" if j["running"] else f"next {_local(j['next_run'])}"
        click.echo(f"  {j['name']:<14} {state}; last done {_local(j['last_finished'])}; runs {j['runs']}, "
                   f"failures {j['failures']}")
    s = st.sources
    if s:
        click.echo(f"sources: {s['total']} ({s['crawling']} crawling now, {s['failing']} failing, "
                   f"{s['disabled']} disabled)")
    click.echo("stuck: nothing" if not st.stuck else "stuck:")
    for line in st.stuck:
        click.echo(f"  ! {line}")
