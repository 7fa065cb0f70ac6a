"""Dcard forums through their public JSON (``/service/api/v2/forums/<forum>/posts``).

Options: ``forum`` (else from a ``/f/<forum>`` URL), ``limit`` (default 30), ``base_url``
(default https://www.dcard.tw), ``revisit_hours``/``max_revisits`` (default 5, see
:class:`crawlers.social.Revisits`). Only posts newer than the last seen id are new; tracked posts
still in the forum's list come back with their current likes and comments at no extra request,
and up to ``max_revisits`` others are read one by one (``/service/api/v2/posts/<id>``).

Platform facts (the endpoints Dcard's own web client calls, as documented by dcard-spider and its
test data): a forum's posts are a JSON list of objects with ``id``, ``title``, ``excerpt``,
``createdAt``, ``likeCount``, ``commentCount``, ``forumAlias`` and ``school``; Dcard rate-limits
hard (429 with Retry-After, honoured) and its CDN answers 403 to clients it does not like.
"""

from __future__ import annotations

import re
from typing import Any

from crawlers.dates import parse_iso
from crawlers.social import Revisits, SocialContext, SocialError, get_json, option, post, revisited
from pipeline.items import Item
from pipeline.settings import SourceSettings

BASE = "https://www.dcard.tw"
_FORUM = re.compile(r"/f/([a-z0-9_]+)")


def collect(src: SourceSettings, ctx: SocialContext) -> list[Item]:
    base = str(option(src, "base_url", BASE)).rstrip("/")
    m = _FORUM.search(src.url or "")
    forum = option(src, "forum") or (m.group(1) if m else None)
    if not forum:
        raise SocialError(f"dcard source {src.name}: no forum (set options.forum or a /f/<forum> URL)")
    data = get_json(ctx, src, f"{base}/service/api/v2/forums/{forum}/posts",
                    {"limit": int(option(src, "limit", 30)), "popular": "false"})
    if not isinstance(data, list):
        raise SocialError(f"dcard source {src.name}: unexpected answer (not a list of posts)")
    last = int(ctx.state.get("last_id", 0))
    posts = [p for p in data if isinstance(p, dict) and str(p.get("id", "")).isdigit()]
    items = [_item(src, forum, p) for p in posts if int(p["id"]) > last]
    if items:
        ctx.state["last_id"] = max(int(i.meta["id"]) for i in items)
    revisits = Revisits.of(src, ctx, limit=5)
    tracked = revisits.tracked()
    again = [_item(src, forum, p) for p in posts if int(p["id"]) <= last and str(p["id"]) in tracked]
    for pid in revisits.due(exclude={str(p["id"]) for p in posts}):
        one = get_json(ctx, src, f"{base}/service/api/v2/posts/{pid}")
        if isinstance(one, dict) and one.get("id"):
            again.append(_item(src, forum, one))
    revisits.checked([i.meta["id"] for i in again])
    revisits.seen([i.meta["id"] for i in items])
    return items + revisited(again)


def _item(src: SourceSettings, forum: str, p: dict[str, Any]) -> Item:
    alias = p.get("forumAlias") or forum
    return post(src, "dcard", url=f"{BASE}/f/{alias}/p/{p['id']}",
                text=f"{p.get('title', '')}\n{p.get('excerpt', '')}", title=p.get("title"),
                author=p.get("school") or p.get("department") or None,
                published=parse_iso(p.get("createdAt")), post_id=str(p["id"]),
                engagement={"likes": p.get("likeCount"), "comments": p.get("commentCount")})
