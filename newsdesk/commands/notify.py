"""Commands: ``alerts failed``, ``alerts retry``, ``alerts deliver``, ``digest``, ``slack serve``."""

from __future__ import annotations

import json
import threading
from datetime import datetime
from pathlib import Path

import click

from newsdesk.app import App
from notifications import outbox
from notifications.base import TAIPEI, NotifierError
from notifications.digest import by_agency, collect, digest_channel, parse_since, render_text, send_digest
from notifications.factory import notifiers_from_settings
from pipeline.models import utcnow


def _local(value: object) -> str:
    return value.astimezone(TAIPEI).strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else "—"


def _deliver(app: App) -> None:
    policy = outbox.RetryPolicy.from_settings(app.settings)
    for notifier in notifiers_from_settings(app.settings):
        sent, failed = outbox.drain(app.sessions, notifier, policy=policy)
        click.echo(f"{notifier.name}: {sent} sent, {failed} failed")


def register(main: click.Group, **groups: click.Group) -> None:
    """Attach this module's commands to ``main`` and the named groups."""
    alerts = groups["alerts"]

    @alerts.command("failed")
    @click.option("--json", "as_json", is_flag=True, help="one JSON object per line")
    @click.pass_obj
    def failed(app: App, as_json: bool) -> None:
        """Alerts that could not be delivered: dead (gave up) and failing (will retry)."""
        with app.read_session() as session:
            rows = outbox.dead_letters(session)
            for a in rows:
                if as_json:
                    nxt_at = a.next_attempt_at.isoformat() if a.next_attempt_at else None
                    row = {"id": a.id, "status": a.status, "attempts": a.attempts, "notifier": a.notifier,
                           "channel": a.channel, "error": a.last_error, "next_attempt_at": nxt_at}
                    click.echo(json.dumps(row, ensure_ascii=False))
                else:
                    nxt = "" if a.status == "dead" else f" next {_local(a.next_attempt_at)}"
                    click.echo(f"#{a.id} {a.status} {a.notifier} {a.channel} tries {a.attempts}{nxt}: "
                               f"{a.last_error}")
            if not rows and not as_json:
                click.echo("no failed alerts")

    @alerts.command("retry")
    @click.argument("ids", nargs=-1, type=int)
    @click.option("--all", "everything", is_flag=True, help="every dead or failing alert")
    @click.option("--no-send", is_flag=True, help="only put them back in the queue")
    @click.pass_obj
    def retry(app: App, ids: tuple[int, ...], everything: bool, no_send: bool) -> None:
        """Resend dead alerts (by id, or --all)."""
        if not ids and not everything:
            raise click.UsageError("give alert ids (see `newsdesk alerts failed`) or --all")
        with app.session() as session:
            count = outbox.requeue(session, list(ids) or None)
        click.echo(f"{count} alert(s) queued again")
        if count and not no_send:
            try:
                _deliver(app)
            except NotifierError as exc:
                raise click.ClickException(str(exc)) from None

    @alerts.command("deliver")
    @click.option("--watch", is_flag=True, help="keep delivering until interrupted")
    @click.pass_obj
    def deliver(app: App, watch: bool) -> None:
        """Send the alerts waiting in the outbox."""
        try:
            if not watch:
                _deliver(app)
                return
            from newsdesk.delivery import start_workers

            stop = threading.Event()
            workers = start_workers(app, notifiers_from_settings(app.settings), stop)
            try:
                while any(w.is_alive() for w in workers):
                    stop.wait(1.0)
            except KeyboardInterrupt:
                stop.set()
        except NotifierError as exc:
            raise click.ClickException(str(exc)) from None

    @main.command("digest")
    @click.option("--since", default="24h", show_default=True, help="period: 90m, 24h, 7d")
    @click.option("--until", "until_text", help="end of the period, office time (default now)")
    @click.option("--format", "fmt", type=click.Choice(["text", "slack", "html", "json"]), default="text",
                  show_default=True, help="text: a terminal; slack: the Block Kit sent to Slack; html: the "
                                          "e-mail; json: numbers per agency")
    @click.option("--send", is_flag=True, help="send it with the configured notifiers, not only print it")
    @click.option("--png", type=click.Path(dir_okay=False, path_type=Path), help="also write the chart here")
    @click.option("--json", "as_json", is_flag=True, hidden=True, help="same as --format json")
    @click.pass_obj
    def digest(app: App, since: str, until_text: str | None, fmt: str, send: bool, png: Path | None,
               as_json: bool) -> None:
        """Summary of the period (by publication time): stories per agency with their copies counted,
        the sentiment mix, responses, and spikes by the same rule as `newsdesk spikes`."""
        from newsdesk.output import outlet_name
        from notifications import digest_render
        from press.roc import parse_local_datetime

        try:
            period = parse_since(since)
            now = parse_local_datetime(until_text, app.settings.office.timezone) if until_text else utcnow()
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--since/--until") from None
        with app.read_session() as session:
            d = collect(session, now - period, now, app.settings.office.timezone, spikes=app.settings.spikes,
                        outlet_name=outlet_name)
        fmt = "json" if as_json else fmt
        shown = {"text": lambda: render_text(d), "json": lambda: json.dumps(by_agency(d), ensure_ascii=False),
                 "slack": lambda: json.dumps({"text": digest_render.fallback(d), "blocks": digest_render.blocks(d)},
                                             ensure_ascii=False, indent=1),
                 "html": lambda: digest_render.html(d)}
        click.echo(shown[fmt]())
        if png is not None:
            png.write_bytes(digest_render.chart_png(d))
        if send:
            try:
                for notifier in notifiers_from_settings(app.settings):
                    send_digest(notifier, digest_channel(app.settings), d, key=f"digest:manual:{now.isoformat()}")
            except NotifierError as exc:
                raise click.ClickException(str(exc)) from None

    @main.group("slack")
    def slack() -> None:
        """Slack interactivity."""

    @slack.command("serve")
    @click.option("--port", default=3000, show_default=True, type=int)
    @click.option("--path", default="/slack/events", show_default=True, help="the Request URL's path")
    @click.pass_obj
    def serve(app: App, port: int, path: str) -> None:
        """Serve the alert buttons (Bolt, HTTP mode; every request's signature is verified)."""
        from notifications.interactive import build_app

        try:
            bolt = build_app(app.settings, app.sessions)
        except NotifierError as exc:
            raise click.ClickException(str(exc)) from None
        bolt.start(port=port, path=path)

