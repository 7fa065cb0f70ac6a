"""Mastodon public hashtag timelines (``/api/v1/timelines/tag/:hashtag``), no token needed.

Options: ``tag`` (required), ``any`` (more tags, any of which may match: ``["臺北", "蔣萬安"]``),
``limit`` (default 40), ``revisit_hours``/``max_revisits`` (see :class:`crawlers.social.Revisits`);
the source URL is the instance (e.g. https://mastodon.social). Only statuses newer than the last
seen id are asked for (``since_id``); statuses found in the last ``revisit_hours`` are read again
(``/api/v1/statuses/:id``, public) so their favourites, boosts and replies stay current.

Platform facts (docs.joinmastodon.org, methods/timelines and methods/statuses): full-text status
search needs a user token (mastodon/mastodon#29924), hashtag timelines do not unless the instance
turned public preview off (401, "The access token is invalid"); ``any[]`` adds tags, at most four
in all; an unknown hashtag answers 404 "Record not found" (no posts yet: not a failure); a
disabled feed answers an empty list. ``MASTODON_ACCESS_TOKEN``, when set, is sent as a bearer
token. Rate limits come as 429 with ``X-RateLimit-Reset``, which holds the source.
"""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from crawlers.dates import parse_iso
from crawlers.net import FetchError
from crawlers.social import Revisits, SocialContext, SocialError, get_json, option, post, revisited
from pipeline.items import Item
from pipeline.settings import SourceSettings

_TAGS = re.compile(r"<br\s*/?>|</p>", re.I)
_ANY = re.compile(r"<[^>]+>")


def collect(src: SourceSettings, ctx: SocialContext) -> list[Item]:
    base = str(option(src, "base_url", src.url or "https://mastodon.social")).rstrip("/")
    tag = str(option(src, "tag", "")).lstrip("#")
    if not tag:
        raise SocialError(f"mastodon source {src.name}: options.tag is required")
    params: dict[str, object] = {"limit": int(option(src, "limit", 40))}
    more = [str(t).lstrip("#") for t in option(src, "any", []) or []][:3]
    if more:
        params["any[]"] = more
    if ctx.state.get("since_id"):
        params["since_id"] = ctx.state["since_id"]
    token = ctx.secret("MASTODON_ACCESS_TOKEN")
    headers = {"Authorization": f"Bearer {token}"} if token else None
    try:
        statuses = get_json(ctx, src, f"{base}/api/v1/timelines/tag/{tag}", params, headers=headers)
    except FetchError as exc:
        if exc.status != 404:
            raise
        statuses = []  # nobody has used the hashtag on this instance yet
    if not isinstance(statuses, list):
        raise SocialError(f"mastodon source {src.name}: unexpected answer (not a list of statuses)")
    items = [_status(src, s) for s in statuses if isinstance(s, dict) and s.get("id")]
    if items:
        ctx.state["since_id"] = max((i.meta["id"] for i in items), key=lambda x: (len(x), x))
    revisits = Revisits.of(src, ctx)
    again = []
    for sid in revisits.due(exclude={i.meta["id"] for i in items}):
        try:
            one = get_json(ctx, src, f"{base}/api/v1/statuses/{sid}", headers=headers)
        except FetchError as exc:
            if exc.status == 404:  # deleted: stop following it
                revisits.track.pop(sid, None)
                continue
            raise
        if isinstance(one, dict) and one.get("id"):
            again.append(_status(src, one))
    revisits.checked([i.meta["id"] for i in again])
    revisits.seen([i.meta["id"] for i in items])
    return items + revisited(again)


def _status(src: SourceSettings, s: dict[str, Any]) -> Item:
    account = s.get("account") or {}
    return post(src, "mastodon", url=s.get("url") or s.get("uri", ""),
                text=html_text(s.get("content", "")), author=account.get("acct"),
                published=parse_iso(s.get("created_at")), post_id=str(s["id"]),
                engagement={"replies": s.get("replies_count"), "reblogs": s.get("reblogs_count"),
                            "favourites": s.get("favourites_count")})


def html_text(content: str) -> str:
    return unescape(_ANY.sub("", _TAGS.sub("\n", content))).strip()
