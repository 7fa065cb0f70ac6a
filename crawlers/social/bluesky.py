"""Bluesky post search (``app.bsky.feed.searchPosts`` on the AppView, no login).

Options: ``q`` (required), ``lang`` (e.g. ``zh``), ``limit`` (default 25), ``base_url`` (default
https://api.bsky.app). Bluesky sometimes turns unauthenticated search off (403): that is reported as
such and counted like any failure. Posts are asked for ``since`` the newest one seen.
"""

from __future__ import annotations

from typing import Any

from crawlers.dates import parse_iso
from crawlers.social import SocialContext, SocialError, get_json, option, post
from pipeline.items import Item
from pipeline.settings import SourceSettings

BASE = "https://api.bsky.app"


def collect(src: SourceSettings, ctx: SocialContext) -> list[Item]:
    base = str(option(src, "base_url", BASE)).rstrip("/")
    q = option(src, "q")
    if not q:
        raise SocialError(f"bluesky source {src.name}: options.q is required")
    params: dict[str, Any] = {"q": q, "sort": "latest", "limit": int(option(src, "limit", 25))}
    if option(src, "lang"):
        params["lang"] = option(src, "lang")
    if ctx.state.get("since"):
        params["since"] = ctx.state["since"]
    answer = get_json(ctx, src, f"{base}/xrpc/app.bsky.feed.searchPosts", params)
    if not isinstance(answer, dict) or not isinstance(answer.get("posts"), list):
        raise SocialError(f"bluesky source {src.name}: unexpected answer (no posts list)")
    items = [_post(src, p) for p in answer["posts"] if isinstance(p, dict) and p.get("uri")]
    times = [i.published_at for i in items if i.published_at]
    if times:
        ctx.state["since"] = max(times).isoformat()
    seen = set(ctx.state.get("seen", []))
    fresh = [i for i in items if i.meta["id"] not in seen]
    ctx.state["seen"] = (list(seen) + [i.meta["id"] for i in fresh])[-500:]
    return fresh


def _post(src: SourceSettings, p: dict[str, Any]) -> Item:
    author = p.get("author") or {}
    record = p.get("record") or {}
    rkey = str(p["uri"]).rsplit("/", 1)[-1]
    handle = author.get("handle") or author.get("did", "")
    return post(src, "bluesky", url=f"https://bsky.app/profile/{handle}/post/{rkey}",
                text=record.get("text", ""),
                author=handle or None, published=parse_iso(record.get("createdAt") or p.get("indexedAt")),
                post_id=str(p["uri"]),
                engagement={"replies": p.get("replyCount"), "reposts": p.get("repostCount"),
                            "likes": p.get("likeCount"), "quotes": p.get("quoteCount")})
