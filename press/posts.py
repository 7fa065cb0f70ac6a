"""A platform post's text, viewed against the platform's limit and edited before it goes out."""

from __future__ import annotations

import importlib
from functools import cache

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from pipeline.models import Post, utcnow
from pipeline.settings import PLATFORMS
from press.publishers.base import Limits, x_weighted_length
from press.workflow import WorkflowError

EDITABLE = ("draft", "scheduled", "retrying", "waiting", "held", "failed")


@cache
def limits() -> dict[str, Limits]:
    """Each platform's documented limits, from its publisher module."""
    return {name: importlib.import_module(f"press.publishers.{name}").LIMITS for name in PLATFORMS}


def length(platform: str, text: str) -> int:
    """How the platform counts ``text`` (X: weighted, CJK twice; elsewhere characters)."""
    lim = limits().get(platform)
    return x_weighted_length(text) if lim is not None and lim.weighted else len(text)


def edit_post(session: Session, post: Post, text: str, actor: str) -> Post:
    """Replace a post's text while it has not gone out; the text must fit the platform's limit."""
    if post.status not in EDITABLE:
        raise WorkflowError(f"post {post.id} is {post.status}: it can no longer be edited")
    text = text.strip()
    if not text:
        raise WorkflowError(f"post {post.id}: the text is empty")
    lim = limits().get(post.platform)
    if lim is not None and length(post.platform, text) > lim.text_max:
        raise WorkflowError(f"post {post.id} ({post.platform}): {length(post.platform, text):,} characters, "
                            f"the limit is {lim.text_max:,}")
    post.text = text
    post.meta = {**(post.meta or {}), "edited_by": actor, "edited_at": utcnow().isoformat()}
    flag_modified(post, "meta")
    return post


def get_post(session: Session, post_id: int) -> Post:
    post = session.get(Post, post_id)
    if post is None:
        raise WorkflowError(f"no post {post_id} (see `newsdesk press list`)")
    return post


def posts_of(session: Session, release_id: int) -> list[Post]:
    """A release's posts, in order (none until it is scheduled)."""
    from sqlalchemy import select

    from pipeline.models import Release

    if session.get(Release, release_id) is None:
        raise WorkflowError(f"no release {release_id}")
    return list(session.scalars(select(Post).where(Post.release_id == release_id).order_by(Post.id)))
