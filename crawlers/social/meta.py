"""Meta's Graph APIs: Facebook Page posts, Instagram hashtag/account media, Threads keyword search.

Tokens come from the environment (``META_ACCESS_TOKEN``, ``THREADS_ACCESS_TOKEN``) and travel in the
``Authorization: Bearer`` header, which the Graph API accepts in place of the ``access_token``
parameter (restfb/restfb#1107, huandu/facebook#205), so no URL (log line, error, proxy log) ever
carries one. Error code 190 (token expired or invalid) is reported as such; rate-limit codes hold
the source for an hour.

Options:
* facebook: ``page_id``; ``base_url`` (default https://graph.facebook.com/v21.0)
* instagram: ``user_id`` (the Instagram business account), ``hashtag`` (else the account's own media)
* threads: ``q`` (keyword search, ``search_type`` TOP/RECENT) or ``user_id`` (that profile's threads);
  ``base_url`` (default https://graph.threads.net/v1.0)
"""

from __future__ import annotations

from typing import Any

from crawlers.dates import parse_iso
from crawlers.social import SocialContext, SocialError, get_json, need_secret, option, post
from pipeline.items import Item
from pipeline.settings import SourceSettings

GRAPH = "https://graph.facebook.com/v21.0"
THREADS = "https://graph.threads.net/v1.0"
FB_FIELDS = ("id,message,created_time,permalink_url,from,shares,"
             "reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0)")
IG_FIELDS = "id,caption,permalink,timestamp,username,like_count,comments_count,media_type"
THREADS_FIELDS = "id,text,permalink,timestamp,username,media_type,has_replies,is_quote_post"


def collect(src: SourceSettings, ctx: SocialContext) -> list[Item]:
    handler = {"facebook": _facebook, "instagram": _instagram, "threads": _threads}[src.type]
    items = handler(src, ctx)
    seen = set(ctx.state.get("seen", []))
    fresh = [i for i in items if i.meta["id"] not in seen]
    ctx.state["seen"] = (list(ctx.state.get("seen", [])) + [i.meta["id"] for i in fresh])[-1000:]
    return fresh


def _need(src: SourceSettings, key: str) -> str:
    value = option(src, key)
    if not value:
        raise SocialError(f"{src.type} source {src.name}: options.{key} is required")
    return str(value)


def _data(answer: Any, src: SourceSettings) -> list[dict[str, Any]]:
    if not isinstance(answer, dict) or not isinstance(answer.get("data"), list):
        raise SocialError(f"{src.type} source {src.name}: unexpected answer (no data list)")
    return [d for d in answer["data"] if isinstance(d, dict)]


def _count(obj: Any, *path: str) -> int | None:
    for key in path:
        obj = obj.get(key) if isinstance(obj, dict) else None
    return int(obj) if isinstance(obj, int | str) and str(obj).isdigit() else None


def _facebook(src: SourceSettings, ctx: SocialContext) -> list[Item]:
    base = str(option(src, "base_url", GRAPH)).rstrip("/")
    token = need_secret(ctx, src, "META_ACCESS_TOKEN")
    answer = get_json(ctx, src, f"{base}/{_need(src, 'page_id')}/posts",
                      {"fields": FB_FIELDS, "limit": int(option(src, "limit", 25))}, bearer(token))
    return [post(src, "facebook", url=p.get("permalink_url") or f"https://www.facebook.com/{p['id']}",
                 text=p.get("message", ""), author=_count_name(p.get("from")),
                 published=parse_iso(p.get("created_time")), post_id=str(p["id"]),
                 engagement={"reactions": _count(p, "reactions", "summary", "total_count"),
                             "comments": _count(p, "comments", "summary", "total_count"),
                             "shares": _count(p, "shares", "count")})
            for p in _data(answer, src) if p.get("id")]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _count_name(value: Any) -> str | None:
    return value.get("name") if isinstance(value, dict) else None


def _instagram(src: SourceSettings, ctx: SocialContext) -> list[Item]:
    base = str(option(src, "base_url", GRAPH)).rstrip("/")
    token = need_secret(ctx, src, "META_ACCESS_TOKEN")
    user = _need(src, "user_id")
    tag = option(src, "hashtag")
    if tag:
        found = _data(get_json(ctx, src, f"{base}/ig_hashtag_search",
                               {"user_id": user, "q": str(tag).lstrip("#")}, bearer(token)), src)
        if not found:
            raise SocialError(f"instagram source {src.name}: hashtag {tag!r} not found")
        url = f"{base}/{found[0]['id']}/recent_media"
        params = {"user_id": user, "fields": IG_FIELDS, "limit": 50}
    else:
        url = f"{base}/{user}/media"
        params = {"fields": IG_FIELDS, "limit": 25}
    return [post(src, "instagram", url=m.get("permalink") or f"https://www.instagram.com/p/{m['id']}",
                 text=m.get("caption", ""), author=m.get("username"), published=parse_iso(m.get("timestamp")),
                 post_id=str(m["id"]), engagement={"likes": _count(m, "like_count"),
                                                   "comments": _count(m, "comments_count")})
            for m in _data(get_json(ctx, src, url, params, bearer(token)), src) if m.get("id")]


def _threads(src: SourceSettings, ctx: SocialContext) -> list[Item]:
    base = str(option(src, "base_url", THREADS)).rstrip("/")
    token = need_secret(ctx, src, "THREADS_ACCESS_TOKEN")
    if option(src, "q"):
        url = f"{base}/keyword_search"
        params = {"q": option(src, "q"), "search_type": option(src, "search_type", "RECENT"),
                  "fields": THREADS_FIELDS}
    else:
        url = f"{base}/{_need(src, 'user_id')}/threads"
        params = {"fields": THREADS_FIELDS, "limit": 25}
    return [post(src, "threads", url=t.get("permalink") or f"https://www.threads.net/t/{t['id']}",
                 text=t.get("text", ""), author=t.get("username"), published=parse_iso(t.get("timestamp")),
                 post_id=str(t["id"]), engagement={})
            for t in _data(get_json(ctx, src, url, params, bearer(token)), src) if t.get("id")]
