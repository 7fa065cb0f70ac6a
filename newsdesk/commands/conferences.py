"""``newsdesk press conference add|plan|held|cancel|list`` and ``newsdesk tally conferences``."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from newsdesk.app import App
from newsdesk.commands.press import _user, actor_option
from newsdesk.output import emit, grouped_table, period, table_options
from pipeline.models import PressConference


@click.group("conference")
def conference_group() -> None:
    """Press conferences: plan (from an advisory or the Mayor's schedule), mark held or cancelled, list."""


def _errors() -> tuple[type[Exception], ...]:
    from pipeline.users import UserError
    from press.conferences import ConferenceError

    return ConferenceError, UserError, ValueError


def _conference(session: Session, conference_id: int) -> PressConference:
    conf = session.get(PressConference, conference_id)
    if conf is None:
        raise click.ClickException(f"no conference {conference_id} (see `newsdesk press conference list`)")
    return conf


def _line(conf: PressConference, zone: str) -> str:
    from press import roc

    host = "（市長主持）" if conf.mayor else (f"（{conf.host}）" if conf.host else "")
    return (f"{conf.id:>4} {conf.status:<9} {roc.roc_datetime(conf.starts_at, zone)}  {conf.agency}  "
            f"{conf.topic}{host}{'  @' + conf.place if conf.place else ''}")


@conference_group.command("add")
@click.option("--agency", required=True, help="the agency holding it (short name)")
@click.option("--topic", required=True)
@click.option("--at", "at_text", required=True, help="office time: '2024-09-02 14:30' or '113年9月2日 14:30'")
@click.option("--place", default="")
@click.option("--host", help="who hosts it (the Mayor's name or 市長 makes it a city-level conference)")
@click.option("--mayor/--not-mayor", default=None, help="hosted by the Mayor (default: from --host)")
@actor_option
@click.pass_obj
def add_cmd(app: App, agency: str, topic: str, at_text: str, place: str, host: str | None, mayor: bool | None,
            actor: str) -> None:
    """Record a planned press conference by hand."""
    from press.conferences import add
    from press.roc import parse_local_datetime

    zone = app.settings.office.timezone
    try:
        with app.session() as session:
            conf = add(session, app.settings, agency=agency, topic=topic, place=place, host=host, mayor=mayor,
                       starts_at=parse_local_datetime(at_text, zone), actor=_user(session, actor).name)
            click.echo(f"planned: {_line(conf, zone)}")
    except _errors() as exc:
        raise click.ClickException(str(exc)) from None


@conference_group.command("plan")
@click.argument("release_id", type=int)
@click.option("--date", "day_text", help="the day a schedule is for (default: its publication day)")
@actor_option
@click.pass_obj
def plan_cmd(app: App, release_id: int, day_text: str | None, actor: str) -> None:
    """Plan the conferences a media advisory announces or the Mayor's schedule lists."""
    from newsdesk.output import day_option
    from pipeline.models import Release
    from press.conferences import plan_from_release

    zone = app.settings.office.timezone
    try:
        with app.session() as session:
            release = session.get(Release, release_id)
            if release is None:
                raise click.ClickException(f"no release {release_id}")
            made = plan_from_release(session, app.settings, release, actor=_user(session, actor).name,
                                     day=day_option(day_text, "--date"))
            for conf in made:
                click.echo(f"planned: {_line(conf, zone)}")
            if not made:
                click.echo(f"release {release_id}: no new conference (already planned, or none in it)")
    except _errors() as exc:
        raise click.ClickException(str(exc)) from None


@conference_group.command("held")
@click.argument("conference_id", type=int)
@click.option("--note")
@actor_option
@click.pass_obj
def held_cmd(app: App, conference_id: int, note: str | None, actor: str) -> None:
    """Mark a planned conference as held (the report counts held ones)."""
    _close(app, conference_id, "held", note, actor)


@conference_group.command("cancel")
@click.argument("conference_id", type=int)
@click.option("--reason", required=True)
@actor_option
@click.pass_obj
def cancel_cmd(app: App, conference_id: int, reason: str, actor: str) -> None:
    """Mark a planned conference as cancelled, with the reason."""
    _close(app, conference_id, "cancelled", reason, actor)


def _close(app: App, conference_id: int, status: str, note: str | None, actor: str) -> None:
    from press.conferences import set_status

    try:
        with app.session() as session:
            conf = set_status(session, _conference(session, conference_id), status, _user(session, actor).name,
                              note)
            click.echo(f"{status}: {_line(conf, app.settings.office.timezone)}")
    except _errors() as exc:
        raise click.ClickException(str(exc)) from None


@conference_group.command("list")
@click.option("--status", type=click.Choice(["planned", "held", "cancelled"]))
@click.option("--limit", type=int, default=30, show_default=True)
@click.pass_obj
def list_cmd(app: App, status: str | None, limit: int) -> None:
    """Recent and coming conferences, latest first."""
    zone = app.settings.office.timezone
    with app.read_session() as session:
        stmt = select(PressConference).order_by(PressConference.starts_at.desc()).limit(limit)
        if status:
            stmt = stmt.where(PressConference.status == status)
        rows = list(session.scalars(stmt))
        for conf in rows:
            click.echo(_line(conf, zone))
        if not rows:
            click.echo("no conferences")


@click.command("conferences")
@table_options()
@click.option("--by", default="month,host", show_default=True, help="month, agency, host (comma-separated)")
@click.option("--status", type=click.Choice(["held", "planned", "cancelled", "all"]), default="held",
              show_default=True)
@click.option("--mayor", "mayor_only", is_flag=True, help="only those the Mayor hosted (府級)")
@click.pass_obj
def tally_conferences_cmd(app: App, start: str | None, end: str | None, fmt: str, output: Path | None,
                          calendar: str, by: str, status: str, mayor_only: bool) -> None:
    """Press conferences in a period, by month, agency and host (市長主持 or 其他)."""
    from press.conferences import ConferenceError, tally_conferences

    zone = app.settings.office.timezone
    lo, hi = period(start, end, zone)
    keys = [b.strip() for b in by.split(",") if b.strip()]
    try:
        with app.read_session() as session:
            rows = tally_conferences(session, lo, hi, keys, tz=zone, status=status, mayor_only=mayor_only)
    except ConferenceError as exc:
        raise click.BadParameter(str(exc).removeprefix("--by "), param_hint="--by") from None
    emit(grouped_table("記者會", keys, rows, calendar, count_title="場次", title="記者會場次"), fmt, output)
