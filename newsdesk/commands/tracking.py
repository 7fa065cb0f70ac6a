"""Commands of the pipeline stages: ``dedupe``, ``responses list/assign/respond/dismiss`` and ``spikes``."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date, datetime, time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import click

from newsdesk.app import App
from pipeline.roc import parse_date

if TYPE_CHECKING:

    pass

def parse_day(value: str, option: str) -> date:
    """``2024-01-31`` or an ROC date (``113-01-31``, ``113/1/31``, ``113年1月31日``)."""
    try:
        return parse_date(value)
    except ValueError:
        raise click.BadParameter(f"{value!r}: expected YYYY-MM-DD or an ROC date like 113-01-31",
                                 param_hint=option) from None


def day_start(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(), tzinfo=ZoneInfo(zone))


def _local(when: datetime | None, zone: str) -> str:
    return when.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M") if when else "-"


def register(main: click.Group, **groups: click.Group) -> None:
    """Attach ``dedupe``, ``spikes``, the ``responses`` group and ``tally responses``."""
    main.add_command(dedupe_cmd)
    main.add_command(spikes_cmd)
    main.add_command(responses)


@click.command("dedupe")
@click.option("--input", "input_", type=click.Path(allow_dash=True), default="-",
              help="JSON Lines file (.gz read as such; default: standard input)")
@click.option("--database", help="SQLAlchemy URL to keep clusters in (default: a temporary SQLite file)")
@click.pass_obj
def dedupe_cmd(app: App, input_: str, database: str | None) -> None:
    """Group items into stories: JSON Lines {id, title, text, url?, published_at?} in,
    {"id", "cluster", "line"} out, one record per line in order; items of one story share "cluster"."""
    import tempfile

    from newsdesk.progress import progress
    from pipeline.batch import InputError, Records, open_input, read_jsonl
    from pipeline.db import open_database
    from pipeline.dedupe_io import cluster_lines
    from pipeline.settings import load_settings

    try:
        src = open_input(input_)
    except InputError as exc:
        click.echo(f"newsdesk: {exc}", err=True)
        sys.exit(2)
    with src, tempfile.TemporaryDirectory() as tmp, progress("clustering", src.size) as bar, \
            click.open_file("-", "w", encoding="utf-8") as out:
        url = database or f"sqlite:///{tmp}/dedupe.db"
        settings = load_settings(app.config, {**app.overrides, "database_url": url})
        records = Records(out, sys.stderr, src.name, "dedupe")
        for outcome in cluster_lines(read_jsonl(src.stream, src.name), settings, open_database(url), src.name):
            if outcome.error:
                records.error(outcome.line, outcome.error, id=outcome.id, cluster=None)
            else:
                records.ok(outcome.line, outcome.record())
            bar.update(done=src.position(), count=records.written)
    if records.bad:
        sys.exit(1)


@click.command("spikes")
@click.option("--at", "at", help="end of the window, office time: '2024-09-02 14:00' or '113年9月2日 14:00' "
                                 "(default now)")
@click.option("--dry-run", is_flag=True, help="print spikes without writing alerts")
@click.pass_obj
def spikes_cmd(app: App, at: str | None, dry_run: bool) -> None:
    """Compare the last hour per agency and topic with its baseline; write spike alerts."""
    from pipeline.spikes import detect, write_alerts
    from press.roc import parse_local_datetime

    zone = app.settings.office.timezone
    try:
        now = parse_local_datetime(at, zone) if at else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--at") from None
    window = app.settings.spikes.window_minutes
    with app.read_session() as session:
        found = detect(session, app.settings, now)
        for s in found:
            click.echo(f"{s.scope}:{s.name} [{s.kind}] {s.count} in window vs {s.expected:.2f} expected "
                       f"(p={s.p_value:.2g})")
        if not found:
            end = _local(now or datetime.now(ZoneInfo(zone)), zone)
            click.echo(f"no spikes in the {window} minutes to {end} (at least "
                       f"{app.settings.spikes.min_count} items and p < {app.settings.spikes.p_value})")
        if not dry_run:
            written = write_alerts(session, app.settings, found, app.settings.notifier_names())
            click.echo(f"{written} spike alert(s) written")


@click.group()
def responses() -> None:
    """Responses to flagged stories: list, assign, respond, dismiss."""


def _run(fn: Callable[[], None]) -> None:
    from pipeline.responses import ResponseError

    try:
        fn()
    except ResponseError as exc:
        click.echo(f"newsdesk: {exc}", err=True)
        sys.exit(2)


@responses.command("list")
@click.option("--status", type=click.Choice(["open", "assigned", "responded", "dismissed"]))
@click.option("--agency")
@click.option("--overdue", is_flag=True, help="only open or assigned ones past their deadline")
@click.pass_obj
def list_cmd(app: App, status: str | None, agency: str | None, overdue: bool) -> None:
    """Responses, soonest deadline first; overdue ones are marked."""
    from pipeline.models import Cluster
    from pipeline.responses import is_overdue, listing

    zone = app.settings.office.timezone
    with app.read_session() as session:
        rows = listing(session, status=status, agency=agency, overdue=overdue)
        for r in rows:
            title = session.get(Cluster, r.cluster_id).title if r.cluster_id else ""  # type: ignore[union-attr]
            mark = " OVERDUE" if is_overdue(r) else ""
            click.echo(f"#{r.id} {r.status:<9} {r.priority or '-':<8} {r.agency or '-'} "
                       f"{r.officer or ''} due {_local(r.deadline, zone)}{mark}  {title[:40]}")
        if not rows:
            click.echo("no responses")


@responses.command("assign")
@click.argument("response_id", type=int)
@click.option("--agency", help="an agency short name from the settings")
@click.option("--officer")
@click.pass_obj
def assign_cmd(app: App, response_id: int, agency: str | None, officer: str | None) -> None:
    """Assign a response to an agency and/or an officer."""
    from pipeline.responses import assign

    def go() -> None:
        with app.session() as session:
            row = assign(session, app.settings, response_id, agency=agency, officer=officer)
            click.echo(f"#{row.id} assigned to {row.agency} {row.officer or ''}".rstrip())

    _run(go)


@responses.command("respond")
@click.argument("response_id", type=int)
@click.option("--text", help="the statement as given")
@click.option("--link", help="where the response was published")
@click.option("--release", "release_id", type=int, help="id of a press release (press module)")
@click.pass_obj
def respond_cmd(app: App, response_id: int, text: str | None, link: str | None,
                release_id: int | None) -> None:
    """Record how the city answered."""
    from pipeline.responses import respond

    def go() -> None:
        with app.session() as session:
            row = respond(session, response_id, text=text, link=link, release_id=release_id)
            click.echo(f"#{row.id} responded")

    _run(go)


@responses.command("dismiss")
@click.argument("response_id", type=int)
@click.option("--reason", required=True)
@click.pass_obj
def dismiss_cmd(app: App, response_id: int, reason: str) -> None:
    """Close a response without answering, with the reason."""
    from pipeline.responses import dismiss

    def go() -> None:
        with app.session() as session:
            row = dismiss(session, response_id, reason)
            click.echo(f"#{row.id} dismissed")

    _run(go)
