"""``newsdesk users add|list|disable|enable|password``: the accounts of the dashboard and of ``--as``."""

from __future__ import annotations

import sys
from zoneinfo import ZoneInfo

import click

from newsdesk.app import App
from pipeline.users import ROLES, UserError


def _password(from_stdin: bool) -> str:
    """One line from standard input (``--password-stdin``), else asked twice without echo."""
    if from_stdin:
        line = sys.stdin.readline()
        if not line:
            raise click.ClickException("--password-stdin: nothing on standard input")
        return line.rstrip("\r\n")
    return str(click.prompt("password", hide_input=True, confirmation_prompt=True))


@click.group()
def users() -> None:
    """Accounts for the dashboard and for the CLI's --as: add, list, disable, enable, password."""


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True,
              help="officer (inbox, drafts), reviewer (may also approve), admin (also users, sources, settings)")
@click.option("--password-stdin", "from_stdin", is_flag=True, help="read the password from standard input")
@click.option("--no-password", is_flag=True, help="a CLI-only account (cannot log in to the dashboard)")
@click.pass_obj
def add_cmd(app: App, name: str, role: str, from_stdin: bool, no_password: bool) -> None:
    """Add a user; the password is hashed (argon2) and never printed."""
    from pipeline.users import add_user

    password = None if no_password else _password(from_stdin)
    try:
        with app.session() as session:
            user = add_user(session, name, role, password)
            click.echo(f"user {user.id}: {user.name} ({user.role})")
    except UserError as exc:
        raise click.ClickException(str(exc)) from None


@users.command("list")
@click.pass_obj
def list_cmd(app: App) -> None:
    """Every user: id, name, role, state, last login (office time)."""
    from pipeline.users import listing

    tz = ZoneInfo(app.settings.office.timezone)
    with app.session() as session:
        rows = listing(session)
        for u in rows:
            login = u.last_login_at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if u.last_login_at else "-"
            state = "disabled" if u.disabled else ("active" if u.password_hash else "cli-only")
            click.echo(f"{u.id:>4}  {u.name}  {u.role}  {state}  last login {login}")
        if not rows:
            click.echo("no users (add one: newsdesk users add NAME --role admin --password-stdin)")


def _toggle(app: App, name: str, disabled: bool) -> None:
    from pipeline.users import set_disabled

    try:
        with app.session() as session:
            user = set_disabled(session, name, disabled)
            click.echo(f"user {user.name}: {'disabled' if disabled else 'enabled'}")
    except UserError as exc:
        raise click.ClickException(str(exc)) from None


@users.command("disable")
@click.argument("name")
@click.pass_obj
def disable_cmd(app: App, name: str) -> None:
    """Disable a user: no login, no --as; their history stays."""
    _toggle(app, name, True)


@users.command("enable")
@click.argument("name")
@click.pass_obj
def enable_cmd(app: App, name: str) -> None:
    """Enable a disabled user again."""
    _toggle(app, name, False)


@users.command("password")
@click.argument("name")
@click.option("--password-stdin", "from_stdin", is_flag=True, help="read the password from standard input")
@click.pass_obj
def password_cmd(app: App, name: str, from_stdin: bool) -> None:
    """Set a user's password."""
    from pipeline.users import set_password

    try:
        with app.session() as session:
            user = set_password(session, name, _password(from_stdin))
            click.echo(f"user {user.name}: password changed")
    except UserError as exc:
        raise click.ClickException(str(exc)) from None


def register(main: click.Group, **groups: click.Group) -> None:
    main.add_command(users)
