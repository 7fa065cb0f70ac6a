"""Mastodon public hashtag timelines (``/api/v1/timelines/tag/:hashtag``), no token needed.

Options: ``tag`` (required), ``limit`` (default 40); the source URL is the instance
(e.g. https://mastodon.social). Only statuses newer than the last seen id are asked for
(``since_id``). Rate limits come as 429 with ``X-RateLimit-Reset``, which holds the source.
"""

from __future__ import annotations

import re
from html import unescape

from crawlers.dates import parse_iso
from crawlers.social import SocialContext, SocialError, get_json, option, post
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
    if ctx.state.get("since_id"):
        params["since_id"] = ctx.state["since_id"]
    statuses = get_json(ctx, src, f"{base}/api/v1/timelines/tag/{tag}", params)
    if not isinstance(statuses, list):
        raise SocialError(f"mastodon source {src.name}: unexpected answer (not a list of statuses)")
    items = []
    for s in statuses:
        if not isinstance(s, dict) or not s.get("id"):
            continue
        account = s.get("account") or {}
        items.append(post(src, "mastodon", url=s.get("url") or s.get("uri", ""),
                          text=html_text(s.get("content", "")), author=account.get("acct"),
                          published=parse_iso(s.get("created_at")), post_id=str(s["id"]),
                          engagement={"replies": s.get("replies_count"), "reblogs": s.get("reblogs_count"),
                                      "favourites": s.get("favourites_count")}))
    if items:
        ctx.state["since_id"] = max((i.meta["id"] for i in items), key=lambda x: (len(x), x))
    return items


def html_text(content: str) -> str:
    return unescape(_ANY.sub("", _TAGS.sub("\n", content))).strip()
