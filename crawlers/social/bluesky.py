"""Bluesky post search (``app.bsky.feed.searchPosts`` on the AppView, no login).

Options: ``q`` (required), ``lang`` (e.g. ``zh``), ``limit`` (default 25), ``base_url`` (default
https://api.bsky.app), ``revisit_hours``/``max_revisits`` (see :class:`crawlers.social.Revisits`).
Posts are asked for ``since`` the newest one seen; posts found in the last ``revisit_hours`` are read
again with ``app.bsky.feed.getPosts`` (up to 25 a call, public) so their likes and reposts stay current.

Platform facts (docs.bsky.app ``app.bsky.feed.searchPosts``; bluesky-social/atproto issues #3423,
#2838, #3583, bsky-docs #296): the AppView serves search without login, but Bluesky turns
unauthenticated search off at times of load ("403 Forbidden", "Request forbidden by administrative
rules"), ``public.api.bsky.app`` refuses it more often than ``api.bsky.app``, and a ``cursor``
is refused without login, so none is sent. A 403 holds the source for six hours with that reason.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from crawlers.dates import parse_iso
from crawlers.net import FetchError
from crawlers.social import Revisits, SocialContext, SocialError, api_error, get_json, option, post, revisited
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
    try:
        answer = get_json(ctx, src, f"{base}/xrpc/app.bsky.feed.searchPosts", params)
    except FetchError as exc:
        if exc.status == 403:
            said = api_error(exc.body) or "403 Forbidden"
            raise SocialError(f"bluesky source {src.name}: Bluesky refused search without login ({said}; it "
                              "turns public search off under load); trying again in 6 hours", status=403,
                              retry_after=datetime.now(UTC) + timedelta(hours=6)) from None
        raise
    items = _posts(src, answer)
    times = [i.published_at for i in items if i.published_at]
    if times:
        ctx.state["since"] = max(times).isoformat()
    seen = set(ctx.state.get("seen", []))
    fresh = [i for i in items if i.meta["id"] not in seen]
    ctx.state["seen"] = (list(seen) + [i.meta["id"] for i in fresh])[-500:]
    revisits = Revisits.of(src, ctx, limit=25)
    tracked = revisits.tracked()
    again = [i for i in items if i.meta["id"] in seen and i.meta["id"] in tracked]
    due = revisits.due(exclude={i.meta["id"] for i in items})
    if due:
        again += _posts(src, get_json(ctx, src, f"{base}/xrpc/app.bsky.feed.getPosts", {"uris": due}))
    revisits.checked([i.meta["id"] for i in again])
    revisits.seen([i.meta["id"] for i in fresh])
    return fresh + revisited(again)


def _posts(src: SourceSettings, answer: Any) -> list[Item]:
    if not isinstance(answer, dict) or not isinstance(answer.get("posts"), list):
        raise SocialError(f"bluesky source {src.name}: unexpected answer (no posts list)")
    return [_post(src, p) for p in answer["posts"] if isinstance(p, dict) and p.get("uri")]


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
