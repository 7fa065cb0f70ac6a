"""``newsdesk press ...``, ``newsdesk tally releases|posts`` and ``newsdesk report``."""

from __future__ import annotations

import functools
import getpass
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy import select

from newsdesk.app import App
from pipeline.models import Post, Release, User, utcnow
from pipeline.users import resolve
from press import roc
from press.agencies import AgencyNames
from press.drafting import DraftError, draft, parse_sets, render_release
from press.importer import import_releases
from press.templating import TemplateFieldError
from press.workflow import WorkflowError, approve, edit, history, submit, withdraw

F = TypeVar("F", bound=Callable[..., Any])
USER_ERRORS = (DraftError, WorkflowError, TemplateFieldError, ValueError, KeyError)


def user_errors(fn: F) -> F:
    """Bad input becomes one clear line (exit status 1), never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except USER_ERRORS as exc:
            raise click.ClickException(str(exc.args[0]) if isinstance(exc, KeyError) else str(exc)) from None

    return wrapper  # type: ignore[return-value]


actor_option = click.option(
    "--as",
    "actor",
    default=getpass.getuser,
    show_default="your login",
    help="who does this: an existing user (`newsdesk users list`), stored with the transition",
)


def _user(session: Any, name: str) -> User:
    """``--as``: an existing, active user (names compared after NFKC and whitespace folding)."""
    return resolve(session, name)


def _release(session: Any, release_id: int) -> Release:
    release = session.get(Release, release_id)
    if release is None:
        raise click.ClickException(f"no release {release_id}")
    return release


def has_terminal() -> bool:
    """A person at a terminal (standard input and output both are): only then is $EDITOR opened."""
    import sys

    return sys.stdin.isatty() and sys.stdout.isatty()


def edit_text(initial: str, what: str, instead: str) -> str:
    """Text from $EDITOR, only on a terminal; lines starting with # are dropped. Without a terminal
    (a script, a pipe) a clear message says what to give instead."""
    if not has_terminal():
        raise click.UsageError(f"no {what} given, and there is no terminal to open $EDITOR in: give {instead}")
    text = click.edit(initial or f"# {what}（以 # 開頭的行會刪除）\n", extension=".txt") or ""
    return "\n".join(line for line in text.splitlines() if not line.startswith("#"))


def warn_contact(release: Release, settings: Any) -> None:
    from press.drafting import missing_contact

    warning = missing_contact(release, settings)
    if warning:
        click.echo(f"newsdesk: warning: {warning}", err=True)


def register(main: click.Group, **groups: click.Group) -> None:
    """Attach the ``press`` group (tallies and the report are in :mod:`newsdesk.commands.tally`)."""
    from newsdesk.commands.conferences import conference_group, tally_conferences_cmd
    from newsdesk.commands.media import register as register_media
    from newsdesk.commands.posts import post_group

    press.add_command(post_group)
    press.add_command(conference_group)
    register_media(press)
    groups["tally"].add_command(tally_conferences_cmd)
    main.add_command(press)


@click.group()
def press() -> None:
    """Press releases: draft, review, approve, schedule, publish, withdraw, import, list."""


@press.command("draft")
@click.option(
    "--kind", type=click.Choice(["release", "statement", "advisory", "schedule"]), default="release"
)
@click.option("--title")
@click.option("--agency", help="short name, e.g. 都發局 (default: the office)")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="template field (repeatable)")
@click.option(
    "--body", "body_file", type=click.File("r", encoding="utf-8"), help="body text file ('-': stdin)"
)
@click.option("--from-alert", type=int, help="a statement answering the story of this alert")
@click.option("--edit/--no-edit", "use_editor", default=None, help="open $EDITOR for the body")
@actor_option
@click.pass_obj
@user_errors
def draft_cmd(
    app: App,
    kind: str,
    title: str | None,
    agency: str | None,
    sets: tuple[str, ...],
    body_file: io.TextIOBase | None,
    from_alert: int | None,
    use_editor: bool | None,
    actor: str,
) -> None:
    """Draft a release, statement (--from-alert), media advisory or the Mayor's schedule."""
    from newsdesk.output import outlet_name

    fields = parse_sets(list(sets))
    title = title or fields.pop("title", None)
    body = str(body_file.read()) if body_file else str(fields.pop("body", ""))
    if use_editor or (use_editor is None and not body_file and not body and not sets and not from_alert):
        body = edit_text(body, "內文", "--body FILE (or '-' for standard input) or --set body=...")
    with app.session() as session:
        user = _user(session, actor)
        release = draft(
            session,
            app.settings,
            kind=kind,
            author=user.name,
            author_id=user.id,
            title=title,
            agency=agency,
            body=body,
            fields=fields,
            from_alert=from_alert,
            outlet_name=outlet_name,
        )
        click.echo(f"draft {release.id}: {release.title} ({release.agency})")
        click.echo(render_release(release, app.settings, "txt"))
        warn_contact(release, app.settings)


@press.command("show")
@click.argument("release_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["txt", "md", "html"]), default="txt")
@click.pass_obj
@user_errors
def show_cmd(app: App, release_id: int, fmt: str) -> None:
    """Print a release as text, Markdown or HTML."""
    with app.read_session() as session:
        release = _release(session, release_id)
        click.echo(render_release(release, app.settings, fmt), nl=False)
        warn_contact(release, app.settings)


@press.command("review")
@click.argument("release_id", type=int)
@actor_option
@click.pass_obj
@user_errors
def review_cmd(app: App, release_id: int, actor: str) -> None:
    """Send a draft for review."""
    with app.session() as session:
        release = _release(session, release_id)
        submit(session, release, _user(session, actor).name)
        click.echo(f"release {release_id}: in review")
        warn_contact(release, app.settings)


@press.command("approve")
@click.argument("release_id", type=int)
@actor_option
@click.pass_obj
@user_errors
def approve_cmd(app: App, release_id: int, actor: str) -> None:
    """Approve a release in review (not by its author when press.second_approver is on)."""
    with app.session() as session:
        user = _user(session, actor)
        approve(session, _release(session, release_id), user.name, app.settings, actor_id=user.id)
        click.echo(f"release {release_id}: approved by {user.name}")


@press.command("edit")
@click.argument("release_id", type=int)
@click.option("--title")
@click.option("--body", "body_file", type=click.File("r", encoding="utf-8"))
@actor_option
@click.pass_obj
@user_errors
def edit_cmd(
    app: App, release_id: int, title: str | None, body_file: io.TextIOBase | None, actor: str
) -> None:
    """Edit a release; an approved one goes back to review."""
    changes = {k: v for k, v in (("title", title), ("body", body_file.read() if body_file else None)) if v}
    with app.session() as session:
        release = _release(session, release_id)
        edit(session, release, _user(session, actor).name, **changes)
        click.echo(f"release {release_id}: {release.status}")


@press.command("schedule")
@click.argument("release_id", type=int)
@click.option(
    "--at", "at_text", required=True, help="embargo, e.g. '2024-09-02 14:30' or '113年9月2日 14:30'"
)
@click.option("--tz", help="IANA zone of --at (default: the office's)")
@click.option("--platform", "platforms", multiple=True, help="only these platforms (repeatable)")
@click.option("--media", multiple=True, help="image or video file or URL (repeatable)")
@actor_option
@click.pass_obj
@user_errors
def schedule_cmd(
    app: App,
    release_id: int,
    at_text: str,
    tz: str | None,
    platforms: tuple[str, ...],
    media: tuple[str, ...],
    actor: str,
) -> None:
    """Schedule an approved release and its platform posts."""
    from press.schedule import ScheduleError, media_items, schedule_release

    zone = tz or app.settings.office.timezone
    at = roc.parse_local_datetime(at_text, zone)
    with app.session() as session:
        try:
            posts = schedule_release(
                session,
                app.settings,
                _release(session, release_id),
                at,
                _user(session, actor).name,
                now=utcnow(),
                platforms=list(platforms) or None,
                tz=zone,
                media=media_items(media, app.settings.press.media_base_url),
            )
        except ScheduleError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"release {release_id}: scheduled at {roc.roc_datetime(at, zone)} ({zone})")
        for post in posts:
            assert post.scheduled_at is not None
            click.echo(f"  post {post.id} {post.platform}: {roc.roc_datetime(post.scheduled_at, zone)}")


@press.command("publish")
@click.option("--dry-run", is_flag=True, help="only say what would be published; change nothing")
@click.option("--at", "at_text", help="with --dry-run: as of this office time ('2024-09-02 14:30' or "
                                      "'113年9月2日 14:30'); default now")
@click.pass_obj
@user_errors
def publish_cmd(app: App, dry_run: bool, at_text: str | None) -> None:
    """Publish what is due now (the scheduler calls the same function on an interval)."""
    from press.schedule import plan_due, run_due

    if at_text and not dry_run:
        raise click.UsageError("--at only goes with --dry-run: publishing happens now, and the history "
                               "records the real time")
    if dry_run:
        at = roc.parse_local_datetime(at_text, app.settings.office.timezone) if at_text else utcnow()
        with app.read_session() as session:
            lines = plan_due(session, app.settings, at)
        due = f"{len(lines)} step(s) due" if lines else "nothing due"
        click.echo(f"dry run as of {roc.roc_datetime(at, app.settings.office.timezone)}: {due}; "
                   "nothing was changed")
        for line in lines:
            click.echo(f"  {line}")
        return
    with app.session() as session:
        summary = run_due(session, app.settings, utcnow())
    click.echo(summary.line())
    for line in summary.problems:
        click.echo(f"  {line}")


@press.command("retry")
@click.option("--platform")
@click.option("--post", "post_id", type=int)
@click.pass_obj
def retry_cmd(app: App, platform: str | None, post_id: int | None) -> None:
    """Queue waiting, held or failed posts again (after reconnecting an account)."""
    from press.schedule import retry

    with app.session() as session:
        click.echo(f"{retry(session, platform, post_id)} post(s) queued again")


@press.command("withdraw")
@click.argument("release_id", type=int)
@click.option("--note")
@actor_option
@click.pass_obj
@user_errors
def withdraw_cmd(app: App, release_id: int, note: str | None, actor: str) -> None:
    """Withdraw a release; posts not yet out are cancelled."""
    from press.feed import write_feed

    with app.session() as session:
        release = _release(session, release_id)
        was_published = release.status == "published"
        withdraw(session, release, _user(session, actor).name, note)
        session.flush()
        if was_published:
            write_feed(session, app.settings)  # the feed no longer lists it
        click.echo(f"release {release_id}: withdrawn")


@press.command("history")
@click.argument("release_id", type=int)
@click.pass_obj
def history_cmd(app: App, release_id: int) -> None:
    """Every transition of a release: when, who, from, to."""
    tz = app.settings.office.timezone
    with app.read_session() as session:
        for step in history(session, release_id):
            click.echo(
                f"{roc.roc_datetime(step.at, tz)}  {step.actor}  {step.from_status or '-'} → "
                f"{step.to_status}{'  ' + step.note if step.note else ''}"
            )


@press.command("list")
@click.option("--status")
@click.option("--limit", type=int, default=30, show_default=True)
@click.pass_obj
def list_cmd(app: App, status: str | None, limit: int) -> None:
    """Recent releases (imported history excluded) and their posts."""
    tz = app.settings.office.timezone
    with app.read_session() as session:
        stmt = select(Release).where(Release.imported.is_(False)).order_by(Release.id.desc()).limit(limit)
        if status:
            stmt = stmt.where(Release.status == status)
        for r in session.scalars(stmt):
            when = r.published_at or r.scheduled_at
            click.echo(
                f"{r.id:>5} {r.status:<10} {r.kind:<9} {r.agency} {r.title}"
                f"{'  ' + roc.roc_datetime(when, tz) if when else ''}"
            )
            for p in session.scalars(select(Post).where(Post.release_id == r.id)):
                ext = f" {p.external_id}" if p.external_id else ""
                click.echo(f"        post {p.id} {p.platform:<10} {p.status}{ext}")


@press.command("import")
@click.argument("path", type=click.Path(allow_dash=True, path_type=Path))
@click.option("--output", type=click.Path(dir_okay=False, allow_dash=True),
              help="one JSON record per input line here ('-': standard output; the default when it is "
                   "not a terminal)")
@click.pass_obj
def import_cmd(app: App, path: Path, output: str | None) -> None:
    """Import past releases from JSON Lines (.jsonl or .jsonl.gz): one record per line
    ({"status": imported|duplicate|rejected, "id", "title", "line", "error"?}), a summary on stderr."""
    import os
    import sys

    from newsdesk.progress import progress
    from pipeline.batch import InputError, Records

    names = AgencyNames((a.short, a.name) for a in app.settings.agencies)
    target = output or (None if sys.stdout.isatty() else "-")
    size = path.stat().st_size if path.is_file() else None
    with click.open_file(target or os.devnull, "w", encoding="utf-8") as out, \
            progress("importing", size, noun="releases") as bar:
        records = Records(out, None, str(path), "press import")

        def on_line(result: Any) -> None:
            if result.status == "rejected":
                records.error(result.line, result.error, status="rejected", id=None, title=None)
            else:
                records.ok(result.line, result.record())

        try:
            with app.session() as session:
                summary = import_releases(session, path, names, app.settings.office.timezone, on_line=on_line,
                                          progress=lambda done: bar.update(done=done, count=records.written))
        except InputError as exc:
            click.echo(f"newsdesk: {exc}", err=True)
            sys.exit(2)
    click.echo(summary.describe(str(path)), err=True)
    if summary.rejected:
        sys.exit(1)


@press.command("pickup")
@click.pass_obj
def pickup_cmd(app: App) -> None:
    """Match recent coverage to the releases it picked up (the scheduler does this too)."""
    from press.pickup import update_pickup

    with app.read_session() as session:
        n = update_pickup(session, app.settings, utcnow())
    click.echo(f"pickup checked for {n} release(s)")


@press.command("feed")
@click.pass_obj
def feed_cmd(app: App) -> None:
    """Write the office's releases feed (Atom) now."""
    from press.feed import write_feed

    with app.read_session() as session:
        click.echo(f"wrote {write_feed(session, app.settings)}")
