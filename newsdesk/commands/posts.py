"""``newsdesk press post show|edit``: each platform's text of a release, before it goes out."""

from __future__ import annotations

import io
from typing import Any

import click

from newsdesk.app import App
from newsdesk.commands.press import _user, actor_option, edit_text


@click.group("post")
def post_group() -> None:
    """Platform posts: show and edit their text."""


def _header(post: Any, zone: str) -> str:
    from press import roc

    when = post.published_at or post.scheduled_at
    by = (post.meta or {}).get("edited_by")
    edited = f", edited by {by}" if by else ""
    return (f"post {post.id}  {post.platform}  {post.status}"
            f"{'  ' + roc.roc_datetime(when, zone) if when else ''}  ({len(post.text):,} characters{edited})")


@post_group.command("show")
@click.argument("post_id", type=int, required=False)
@click.option("--release", "release_id", type=int, help="every post of this release")
@click.pass_obj
def show_cmd(app: App, post_id: int | None, release_id: int | None) -> None:
    """Print a post's text (or every post of a release, with --release)."""
    from press.posts import get_post, posts_of
    from press.workflow import WorkflowError

    if (post_id is None) == (release_id is None):
        raise click.UsageError("give a post id, or --release ID for all of a release's posts")
    zone = app.settings.office.timezone
    try:
        with app.read_session() as session:
            posts = posts_of(session, release_id) if release_id is not None else [get_post(session, post_id or 0)]
            if not posts:
                click.echo(f"release {release_id} has no posts yet (they are made when it is scheduled)")
            for n, post in enumerate(posts):
                click.echo(("\n" if n else "") + _header(post, zone))
                click.echo(post.text)
    except WorkflowError as exc:
        raise click.ClickException(str(exc)) from None


@post_group.command("edit")
@click.argument("post_id", type=int)
@click.option("--text", help="the new text")
@click.option("--file", "text_file", type=click.File("r", encoding="utf-8"), help="the new text from a file "
                                                                                  "('-': standard input)")
@actor_option
@click.pass_obj
def edit_cmd(app: App, post_id: int, text: str | None, text_file: io.TextIOBase | None, actor: str) -> None:
    """Change a post's text before it goes out (checked against the platform's limits)."""
    from pipeline.users import UserError
    from press.posts import edit_post, get_post, length
    from press.workflow import WorkflowError

    try:
        with app.session() as session:
            user = _user(session, actor)
            post = get_post(session, post_id)
            new = text if text is not None else str(text_file.read()) if text_file else None
            if new is None:
                new = edit_text(post.text, "貼文內容", "--text TEXT or --file FILE")
            edit_post(session, post, new, user.name)
            click.echo(f"post {post.id} ({post.platform}): text saved by {user.name} "
                       f"({length(post.platform, post.text):,} characters)")
    except (WorkflowError, UserError) as exc:
        raise click.ClickException(str(exc)) from None
