"""``newsdesk press media add|list|edit|opt-out|opt-in|remove``, ``press notify``, ``press deliveries``
and ``press deliver``: the media list and notices to it (press/media.py, press/notify.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from sqlalchemy.orm import Session

from newsdesk.app import App
from newsdesk.output import emit
from pipeline import tables
from pipeline.models import MediaContact, Release

if TYPE_CHECKING:
    from press.notify import Plan

F = TypeVar("F", bound=Callable[..., Any])


def _errors() -> tuple[type[Exception], ...]:
    from press.media import MediaError
    from press.notify import NotifyError

    return MediaError, NotifyError


def registry_outlet(name: str) -> str | None:
    """The registry's name of an outlet given by code, name or alias (cna, 中央社, CNA → 中央社)."""
    from crawlers.outlets import REGISTRY

    folded = name.casefold()
    for code, outlet in REGISTRY.items():
        if folded in {code.casefold(), outlet.title.casefold(), *(a.casefold() for a in outlet.aliases)}:
            return outlet.title
    return None


def _known(outlet: str) -> None:
    if registry_outlet(outlet) is None:
        click.echo(f"newsdesk: note: {outlet!r} is not in the outlet registry; kept as typed", err=True)


def _line(c: MediaContact) -> str:
    from press.media import channels

    state = "  (opted out)" if c.opted_out else ""
    reach = " ".join(f"{ch}:{addr}" for ch in channels(c)
                     if (addr := {"line": c.line_id, "email": c.email, "sms": c.phone}[ch]))
    return f"{c.id:>4}  {c.outlet}  {c.reporter}  [{c.beat or '-'}]  {reach}{state}"


@click.group("media")
def media_group() -> None:
    """The media list: journalists `press notify` tells (outlet, reporter, beat, LINE / e-mail / SMS)."""


channel_options = [
    click.option("--line", "line", help="LINE user id (U + 32 hex digits) of a friend of the office's account"),
    click.option("--email", "mail", help="e-mail address"),
    click.option("--phone", "mobile", help="mobile number for SMS (09xxxxxxxx)"),
]


def _with_channels(fn: F) -> F:
    for opt in reversed(channel_options):
        fn = opt(fn)
    return fn


@media_group.command("add")
@click.option("--outlet", required=True, help="the outlet: its registry code or name (cna, 中央社) or any name")
@click.option("--reporter", required=True, help="the journalist's name")
@click.option("--beat", default="", help="what they cover (市政, 交通, ...): `press notify --beat` picks by it")
@_with_channels
@click.option("--note")
@click.pass_obj
def add_cmd(app: App, outlet: str, reporter: str, beat: str, line: str | None, mail: str | None,
            mobile: str | None, note: str | None) -> None:
    """Add a journalist to the media list."""
    from press.media import add

    try:
        with app.session() as session:
            contact = add(session, outlet=outlet, reporter=reporter, beat=beat, line=line, mail=mail,
                          mobile=mobile, note=note, outlet_name=registry_outlet)
            _known(outlet)
            click.echo(f"added: {_line(contact)}")
    except _errors() as exc:
        raise click.ClickException(str(exc)) from None


@media_group.command("list")
@click.option("--beat")
@click.option("--outlet")
@click.option("--active", is_flag=True, help="leave out those who opted out")
@click.pass_obj
def list_cmd(app: App, beat: str | None, outlet: str | None, active: bool) -> None:
    """The media list, by outlet."""
    from press.media import listing

    with app.read_session() as session:
        rows = listing(session, beat=beat, outlet=registry_outlet(outlet) or outlet if outlet else None,
                       include_opted_out=not active)
        for contact in rows:
            click.echo(_line(contact))
        if not rows:
            click.echo("no media contacts (add one with `newsdesk press media add`)")


@media_group.command("edit")
@click.argument("contact_id", type=int)
@click.option("--outlet")
@click.option("--reporter")
@click.option("--beat")
@_with_channels
@click.option("--note")
@click.pass_obj
def edit_cmd(app: App, contact_id: int, outlet: str | None, reporter: str | None, beat: str | None,
             line: str | None, mail: str | None, mobile: str | None, note: str | None) -> None:
    """Change a contact (an empty value, e.g. --line '', removes that channel)."""
    from press.media import edit, get

    try:
        with app.session() as session:
            contact = edit(session, get(session, contact_id), registry_outlet, outlet=outlet, reporter=reporter,
                           beat=beat, line=line, mail=mail, mobile=mobile, note=note)
            click.echo(f"changed: {_line(contact)}")
    except _errors() as exc:
        raise click.ClickException(str(exc)) from None


def _opt(app: App, contact_id: int, out: bool) -> None:
    from press.media import get, opt_out

    try:
        with app.session() as session:
            contact = opt_out(session, get(session, contact_id), out)
            click.echo(f"{'opted out' if out else 'opted in again'}: {_line(contact)}")
    except _errors() as exc:
        raise click.ClickException(str(exc)) from None


@media_group.command("opt-out")
@click.argument("contact_id", type=int)
@click.pass_obj
def opt_out_cmd(app: App, contact_id: int) -> None:
    """The journalist asked to hear nothing more: no notice is sent to them, queued ones included."""
    _opt(app, contact_id, True)


@media_group.command("opt-in")
@click.argument("contact_id", type=int)
@click.pass_obj
def opt_in_cmd(app: App, contact_id: int) -> None:
    """The journalist wants notices again."""
    _opt(app, contact_id, False)


@media_group.command("remove")
@click.argument("contact_id", type=int)
@click.pass_obj
def remove_cmd(app: App, contact_id: int) -> None:
    """Delete a contact never notified (one with delivery records can only be opted out)."""
    from press.media import get, remove

    try:
        with app.session() as session:
            remove(session, get(session, contact_id))
            click.echo(f"removed contact {contact_id}")
    except _errors() as exc:
        raise click.ClickException(str(exc)) from None


@click.command("notify")
@click.argument("release_id", type=int, required=False)
@click.option("--schedule", "schedule_day", help="the Mayor's schedule of this day (2024-09-02, 113/9/2, ...)")
@click.option("--beat", "beats", multiple=True, help="only contacts of this beat (repeatable)")
@click.option("--outlet", "outlets", multiple=True, help="only contacts of this outlet (repeatable)")
@click.option("--contact", "contacts", type=int, multiple=True, help="only this contact id (repeatable)")
@click.option("--channel", "channels", type=click.Choice(["line", "email", "sms"]), multiple=True,
              help="only these channels (default: press.notify.channels)")
@click.option("--dry-run", is_flag=True, help="show who would get what; queue and send nothing")
@click.option("--queue-only", is_flag=True, help="queue the notices; the scheduler (`newsdesk run`) or "
                                                 "`press deliver` sends them")
@click.pass_obj
def notify_cmd(app: App, release_id: int | None, schedule_day: str | None, beats: tuple[str, ...],
               outlets: tuple[str, ...], contacts: tuple[int, ...], channels: tuple[str, ...], dry_run: bool,
               queue_only: bool) -> None:
    """Send an advisory (or any approved release) or the day's Mayor's schedule to the media list, by
    LINE, e-mail and SMS: one delivery per journalist and channel, recorded, each sent once."""
    from newsdesk.output import day_option

    if (release_id is None) == (schedule_day is None):
        raise click.UsageError("give a release id or --schedule DATE (one of them)")
    day = day_option(schedule_day, "--schedule")
    choice: dict[str, Any] = {"channels": channels, "beats": beats,
              "outlets": tuple(registry_outlet(o) or o for o in outlets), "contacts": contacts, "day": day}
    try:
        if dry_run:
            _dry_run(app, release_id, day, choice)
            return
        with app.session() as session:
            release = _pick(session, app, release_id, day)
            from press.notify import queue

            result = queue(session, app.settings, release, **choice)
            rid = release.id
            _report_plan(result, queued=True)
    except _errors() as exc:
        raise click.ClickException(str(exc)) from None
    if not queue_only:
        _deliver(app, rid)


def _pick(session: Session, app: App, release_id: int | None, day: date | None) -> Release:
    from newsdesk.commands.press import _release
    from press.notify import schedule_for

    if release_id is not None:
        return _release(session, release_id)
    assert day is not None  # the command asks for one of the two
    return schedule_for(session, app.settings, day)


def _dry_run(app: App, release_id: int | None, day: date | None, choice: dict[str, Any]) -> None:
    from press.notify import SENDABLE, plan, senders_from_settings

    with app.read_session() as session:
        release = _pick(session, app, release_id, day)
        result = plan(session, app.settings, release, **choice)
        click.echo(f"dry run: nothing is queued or sent. Release {release.id} ({release.kind}, {release.status}): "
                   f"{release.title}")
        if release.status not in SENDABLE:
            click.echo(f"  note: it is {release.status}; `press notify` sends only approved releases")
        _report_plan(result, queued=False)
    _, missing = senders_from_settings(app.settings, sorted({ch for _, ch in result.new}))
    for channel, why in missing.items():
        click.echo(f"  {channel}: cannot send now: {why}")
    message = result.message
    click.echo(f"--- e-mail subject: {message['subject']}")
    click.echo(f"--- LINE / e-mail text ({len(message['text'])} characters):\n{message['text']}")
    click.echo(f"--- SMS ({len(message['short'])} characters):\n{message['short']}")


def _report_plan(result: Plan, queued: bool) -> None:
    verb = "queued" if queued else "would queue"
    click.echo(f"{verb} {len(result.new)} notice(s); {len(result.already)} already queued or sent before")
    for contact, channel in result.new:
        click.echo(f"  {channel:<5} → {contact.outlet} {contact.reporter} ({contact.beat or '-'})")
    for contact in result.no_channel:
        click.echo(f"  skipped: {contact.outlet} {contact.reporter} takes none of the channels asked for")
    if not result.new and not result.already:
        click.echo("  nobody to notify: no active contact matches (see `newsdesk press media list`)")


def _deliver(app: App, release_id: int | None = None) -> None:
    from press.notify import Policy, deliver_due, senders_from_settings

    senders, missing = senders_from_settings(app.settings)
    summary = deliver_due(app.sessions, senders, missing=missing, policy=Policy.from_settings(app.settings),
                          release_id=release_id)
    click.echo(summary.line())
    with app.read_session() as session:
        from press.notify import counts

        waiting = counts(session, release_id)
    for channel, why in summary.waiting.items():
        click.echo(f"  {channel}: not sent now: {why}")
    if waiting.get("pending") or waiting.get("failed"):
        click.echo(f"  {waiting.get('pending', 0) + waiting.get('failed', 0)} notice(s) wait for a retry "
                   "(`newsdesk run` retries them, or `newsdesk press deliver`)")


@click.command("deliver")
@click.option("--requeue-dead", is_flag=True, help="put notices that gave up back in the queue first")
@click.pass_obj
def deliver_cmd(app: App, requeue_dead: bool) -> None:
    """Send the media notices that are due (retries included); `newsdesk run` does it every minute."""
    if requeue_dead:
        from press.notify import requeue

        with app.session() as session:
            click.echo(f"{requeue(session)} dead notice(s) queued again")
    _deliver(app)


STATUS_NAMES = {"pending": "待送", "sending": "傳送中", "sent": "已送達平台", "failed": "失敗待重試",
                "dead": "放棄", "cancelled": "已取消"}


@click.command("deliveries")
@click.option("--release", "release_id", type=int, help="only this release's notices")
@click.option("--status", type=click.Choice(sorted(STATUS_NAMES)))
@click.option("--limit", type=int, default=200, show_default=True)
@click.option("--format", "fmt", type=click.Choice(tables.FORMATS), default="table", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def deliveries_cmd(app: App, release_id: int | None, status: str | None, limit: int, fmt: str,
                   output: Path | None) -> None:
    """The delivery records of media notices: who, which channel, status, tries, last error."""
    from press import roc
    from press.notify import deliveries

    zone = app.settings.office.timezone
    columns = [tables.Column(k, t, numeric=(k == "attempts"), total=False) for k, t in (
        ("id", "編號"), ("release", "新聞稿"), ("outlet", "媒體"), ("reporter", "記者"), ("channel", "管道"),
        ("address", "地址"), ("status", "狀態"), ("attempts", "嘗試次數"), ("sent_at", "送出時間"),
        ("error", "最後錯誤"))]
    with app.read_session() as session:
        rows = [[d.id, d.release_id, c.outlet, c.reporter, d.channel, d.address, STATUS_NAMES.get(d.status, d.status),
                 d.attempts, roc.roc_datetime(d.sent_at, zone) if d.sent_at else "", d.last_error or ""]
                for d, c in deliveries(session, release_id=release_id, status=status, limit=limit)]
    if not rows and fmt == "table":
        click.echo("no media deliveries yet (`newsdesk press notify`)")
        return
    emit(tables.Table("deliveries", columns, rows, title="媒體通知紀錄", total_row=False), fmt, output)


def register(press: click.Group) -> None:
    for command in (media_group, notify_cmd, deliver_cmd, deliveries_cmd):
        press.add_command(command)

