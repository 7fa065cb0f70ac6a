"""The ``newsdesk`` command: the only module that wires all packages together.

Each package keeps its commands in its own ``commands.py``; ``register`` attaches them to the groups
here, so ``newsdesk --help`` lists everything. ``run``, ``crawl`` and ``demo`` live here because they
join crawlers → pipeline → notifications.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from sqlalchemy.orm import Session

from newsdesk.app import App
from pipeline.db import DatabaseError
from pipeline.items import Item
from pipeline.redact import install_logging, redact
from pipeline.runner import process
from pipeline.sentiment import ModelError
from pipeline.settings import ConfigError, Settings

log = logging.getLogger("newsdesk")


class NewsdeskGroup(click.Group):
    """Turns newsdesk's own errors into one clear line and exit status 2, without a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (ConfigError, DatabaseError, ModelError) as exc:
            click.echo(f"newsdesk: {redact(str(exc))}", err=True)
            sys.exit(2)


@click.group(cls=NewsdeskGroup)
@click.option("--config", "config", type=click.Path(dir_okay=False), envvar="NEWSDESK_CONFIG",
              help="settings file (TOML); default ./newsdesk.toml if present, else the shipped defaults")
@click.option("-v", "--verbose", count=True, help="more logging (-v info, -vv debug)")
@click.option("-q", "--quiet", is_flag=True, help="only errors")
@click.pass_context
def main(ctx: click.Context, config: str | None, verbose: int, quiet: bool) -> None:
    """newsdesk: media monitoring and press releases for a city government's press office."""
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    install_logging()  # every record (urllib3's -vv request lines included) is redacted when created
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ctx.obj = App(config=config)


@main.group()
def config() -> None:
    """Inspect the settings."""


@main.group()
def alerts() -> None:
    """Alerts: list, failed, retry, corrections."""


@main.group()
def sentiment() -> None:
    """The sentiment model: score, train, eval."""


@main.group()
def tally() -> None:
    """Counts for the office's report: releases, posts, responses."""


@main.group()
def sources() -> None:
    """Crawl sources and their state."""


# --- wiring: notifiers and the monitoring pass ----------------------------------------------------

def notifiers_for(settings: Settings) -> list[Any]:
    """Slack when ``SLACK_BOT_TOKEN`` is set, e-mail when SMTP is configured, else the console."""
    from notifications.factory import notifiers_from_settings

    return list(notifiers_from_settings(settings))


def alert_sink(settings: Settings, notifiers: list[Any]) -> Callable[[Session, Item], int]:
    """Queue a flagged item for every notifier, on its routed channels, held through quiet hours."""
    from notifications.routing import notify

    def sink(session: Session, item: Item) -> int:
        return sum(len(notify(session, item, settings, notifier.name)) for notifier in notifiers)

    return sink


def deliver(app: App, notifiers: list[Any], drain_seconds: float = 60.0) -> Counter[str]:
    """Send what the outbox holds, pacing each channel, until nothing is due or ``drain_seconds`` pass.

    A notifier that cannot send at all (a revoked token) keeps its alerts for a later run.
    """
    from notifications.base import NotifierUnavailable
    from notifications.outbox import RetryPolicy, drain

    counts: Counter[str] = Counter()
    policy = RetryPolicy.from_settings(app.settings)
    for notifier in notifiers:
        try:
            sent, failed = drain(app.sessions, notifier, policy=policy, seconds=drain_seconds)
        except NotifierUnavailable as exc:
            log.error("%s cannot send (alerts kept for later): %s", notifier.name, exc)
            counts["alerts-held"] += 1
            continue
        counts["alerts-sent"] += sent
        counts["alerts-failed"] += failed
    return counts


def monitor_pass(app: App, items: list[Item], notifiers: list[Any], drain_seconds: float = 60.0) -> Counter[str]:
    """Process collected items (a progress line on a terminal) and deliver the alerts they raised."""
    from rich.progress import Progress

    with Progress(transient=True, disable=not sys.stderr.isatty() or len(items) < 50) as bar:
        task = bar.add_task(f"processing {len(items)} items", total=len(items))
        counts = process(items, app.settings, app.sessions, alert_sink=alert_sink(app.settings, notifiers),
                         progress=lambda n: bar.advance(task, n))
    if drain_seconds:
        counts.update(deliver(app, notifiers, drain_seconds))
    return counts


def crawl_once(app: App, notifiers: list[Any]) -> Counter[str]:
    from crawlers.collect import collect

    settings = app.settings
    items = collect(settings, [s for s in settings.sources if s.enabled], app.sessions)
    counts = monitor_pass(app, items, notifiers)
    items.commit_state(app.sessions)  # feed validators only once the items are stored
    return counts


@main.command()
@click.option("--once", is_flag=True, help="one pass over every enabled source, then exit")
@click.pass_obj
def crawl(app: App, once: bool) -> None:
    """Collect from every enabled source once and run the pipeline (the schedule is `run`)."""
    if not once:
        raise click.UsageError("use `newsdesk crawl --once`, or `newsdesk run` for the schedule")
    counts = crawl_once(app, notifiers_for(app.settings))
    click.echo(summary_line(counts))


@main.command()
@click.option("--engine", type=click.Choice(["inline", "celery"]), default=None,
              help="inline: this process does everything (default, [engine] name); celery: only schedule, "
                   "`newsdesk worker` processes do the work (broker: CELERY_BROKER_URL)")
@click.pass_obj
def run(app: App, engine: str | None) -> None:
    """Monitor on the schedule: every source at its interval, alerts as they come. Ctrl-C stops."""
    from crawlers.schedule import Scheduler

    stop = threading.Event()
    if (engine or app.settings.engine.name) == "celery":
        from newsdesk.scaleout import run_celery

        _on_signals(stop)
        run_celery(app, stop)
        click.echo("newsdesk: stopped cleanly")
        return
    notifiers = notifiers_for(app.settings)

    def on_items(items: list[Item]) -> None:
        counts = monitor_pass(app, items, notifiers, drain_seconds=0)
        click.echo(f"{time.strftime('%Y-%m-%d %H:%M:%S')} pass: {summary_line(counts)}")

    _on_signals(stop)
    scheduler = Scheduler(app.settings, app.sessions, on_items)
    for name, interval, job in scheduled_jobs(app, notifiers):
        scheduler.add_job(name, interval, job)
    from newsdesk.delivery import start_workers
    from newsdesk.scaleout import start_heartbeat

    workers = start_workers(app, notifiers, stop)
    beat = start_heartbeat(app, "scheduler", "inline", stop)
    click.echo(f"newsdesk: monitoring {sum(s.enabled for s in app.settings.sources)} sources into "
               f"{app.database_label()}; alerts to {', '.join(n.name for n in notifiers) or 'nowhere'}. "
               "Ctrl-C stops.")
    scheduler.run(stop)
    for worker in workers:
        worker.join(timeout=30)
    beat.stop()
    click.echo("newsdesk: stopped cleanly")


def _on_signals(stop: threading.Event) -> None:
    def on_signal(signum: int, _frame: object) -> None:
        click.echo(f"\nnewsdesk: stopping ({signal.Signals(signum).name}); finishing the current item batch",
                   err=True)
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)


def scheduled_jobs(app: App, notifiers: list[Any]) -> list[tuple[str, int, Callable[[], object]]]:
    """Jobs besides crawling that share the one scheduler process (never one per web worker); alerts are
    delivered by one outbox worker thread per notifier beside it."""
    from newsdesk.output import outlet_name
    from notifications.digest import run_digest_if_due
    from pipeline.models import utcnow
    from pipeline.spikes import detect, write_alerts
    from press.pickup import update_pickup
    from press.schedule import run_due

    def with_session(fn: Callable[[Session], object]) -> Callable[[], object]:
        def job() -> object:
            with app.session() as session:
                return fn(session)
        return job

    names = [n.name for n in notifiers]
    return [
        ("spikes", 300, with_session(lambda s: write_alerts(s, app.settings, detect(s, app.settings), names))),
        ("publish-due", 60, with_session(lambda s: run_due(s, app.settings, utcnow()))),
        ("media-notices", 60, lambda: deliver_media(app)),
        ("press-pickup", 900, with_session(lambda s: update_pickup(s, app.settings, utcnow()))),
        ("daily-digest", 60, with_session(lambda s: run_digest_if_due(s, app.settings, notifiers=names,
                                                                      outlet_name=outlet_name))),
    ]


def deliver_media(app: App) -> object:
    """Media notices that are due (``press notify``'s retries); each claimed, so sent once."""
    from press.notify import Policy, deliver_due, senders_from_settings

    senders, missing = senders_from_settings(app.settings)
    return deliver_due(app.sessions, senders, missing=missing, policy=Policy.from_settings(app.settings)).line()


def summary_line(counts: Counter[str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "nothing collected"


@main.command()
@click.option("--database", type=click.Path(dir_okay=False), default="var/demo.db", show_default=True,
              help="SQLite file for the demo (recreated each run)")
@click.pass_obj
def demo(app: App, database: str) -> None:
    """The whole loop offline against a sample news site served on 127.0.0.1."""
    from newsdesk.demo.site import serve
    from pipeline.sentiment import get_scorer

    db = Path(database)
    db.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    started = time.monotonic()
    with serve() as site:
        settings = app.override({"database_url": f"sqlite:///{db}", "sources": site.sources(),
                                 "crawl": {"allow_private_hosts": True, "download_delay": 0.0}})
        scorer = get_scorer(settings.sentiment)
        click.echo(f"sample site: {site.base} ({len(site.sources())} feeds)")
        click.echo(f"sentiment model: {scorer.name} (version {scorer.version})")
        notifiers = notifiers_for(settings)
        counts = crawl_once(app, notifiers)
        again = crawl_once(app, notifiers)
    click.echo(demo_summary(counts, again, str(db.resolve()), [n.name for n in notifiers],
                            time.monotonic() - started))


def demo_summary(counts: Counter[str], again: Counter[str], db: str, notifiers: list[str],
                 seconds: float) -> str:
    dropped = sum(v for k, v in counts.items() if k.startswith("dropped:"))
    lines = [
        "newsdesk demo summary",
        f"  items collected:      {counts['collected']}",
        f"  stored:               {counts['stored']}",
        f"  dropped:              {dropped} ({', '.join(k[8:] + '=' + str(v) for k, v in counts.items() if k.startswith('dropped:')) or 'none'})",  # noqa: E501
        f"  flagged negative:     {counts['flagged']}",
        f"  alerts queued / sent: {counts['alerts-queued']} / {counts['alerts-sent']} via {', '.join(notifiers)}",
        f"  second pass:          {again['collected']} new items, {again['alerts-sent']} alerts (incremental)",
        f"  database:             {db}",
        f"  dashboard:            DATABASE_URL={db} newsdesk web  (first: DATABASE_URL={db} newsdesk users add "
        "NAME --role officer --password-stdin)",
        f"  took:                 {seconds:.1f} s",
    ]
    return "\n".join(lines)


def register() -> None:
    """Attach the commands that live in each package."""
    from newsdesk.commands import core, scale, tracking
    from newsdesk.commands import crawl as crawler_commands
    from newsdesk.commands import decision as decision_commands
    from newsdesk.commands import notify as notes
    from newsdesk.commands import press as press_commands
    from newsdesk.commands import sentiment as sentiment_commands
    from newsdesk.commands import tally as tally_commands
    from newsdesk.commands import users as user_commands
    from newsdesk.commands import web as web_commands

    groups = dict(config=config, alerts=alerts, sentiment=sentiment, tally=tally, sources=sources)
    core.register(main, **groups)
    scale.register(main)
    crawler_commands.register(main, sources=sources)
    notes.register(main, **groups)
    tracking.register(main, **groups)
    press_commands.register(main, tally=tally)
    tally_commands.register(main, tally=tally)
    sentiment_commands.register(main, alerts=alerts, sentiment=sentiment)
    decision_commands.register(main, alerts=alerts, sentiment=sentiment)
    user_commands.register(main)
    web_commands.register(main)


register()
