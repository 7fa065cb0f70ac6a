"""Dcard forums through their public JSON (``/service/api/v2/forums/<forum>/posts``).

Options: ``forum`` (else from a ``/f/<forum>`` URL), ``limit`` (default 30), ``base_url``
(default https://www.dcard.tw). Dcard rate-limits hard: a 429 is honoured through Retry-After.
Only posts newer than the last seen id are returned.
"""

from __future__ import annotations

import re

from crawlers.dates import parse_iso
from crawlers.social import SocialContext, SocialError, get_json, option, post
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
    items = []
    for p in data:
        if not isinstance(p, dict) or int(p.get("id", 0)) <= last:
            continue
        items.append(post(src, "dcard", url=f"{BASE}/f/{forum}/p/{p['id']}",
                          text=f"{p.get('title', '')}\n{p.get('excerpt', '')}", title=p.get("title"),
                          author=p.get("school") or p.get("department") or None,
                          published=parse_iso(p.get("createdAt")), post_id=str(p["id"]),
                          engagement={"likes": p.get("likeCount"), "comments": p.get("commentCount")}))
    if items:
        ctx.state["last_id"] = max(int(i.meta["id"]) for i in items)
    return items
