"""YouTube Data API v3: video search (``search.list``), statistics (``videos.list``) and comments
(``commentThreads.list``). The key comes from ``YOUTUBE_API_KEY`` and travels in the
``X-goog-api-key`` header (Google Cloud, "Use API keys": the header form of the ``key`` parameter),
so no URL carries it.

Options: ``q`` (required), ``comments`` (also collect the newest comments of each video, default
false), ``max_results`` (default 25), ``base_url`` (default https://www.googleapis.com/youtube/v3).
``quotaExceeded`` holds the source until the daily quota resets (midnight Pacific time).
A search costs 100 quota units, a statistics or comments call 1: keep the interval long.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from crawlers.dates import parse_iso
from crawlers.social import SocialContext, SocialError, get_json, need_secret, option, post
from pipeline.items import Item
from pipeline.settings import SourceSettings

BASE = "https://www.googleapis.com/youtube/v3"
PACIFIC = ZoneInfo("America/Los_Angeles")


def collect(src: SourceSettings, ctx: SocialContext) -> list[Item]:
    base = str(option(src, "base_url", BASE)).rstrip("/")
    need_secret(ctx, src, "YOUTUBE_API_KEY")  # a missing key fails before any request
    q = option(src, "q")
    if not q:
        raise SocialError(f"youtube source {src.name}: options.q is required")
    params: dict[str, Any] = {"part": "snippet", "q": q, "type": "video", "order": "date",
                              "maxResults": int(option(src, "max_results", 25)), "regionCode": "TW"}
    if ctx.state.get("published_after"):
        params["publishedAfter"] = ctx.state["published_after"]
    try:
        found = _get(ctx, src, f"{base}/search", params).get("items", [])
        videos = [v for v in found if isinstance(v, dict) and v.get("id", {}).get("videoId")]
        stats = _statistics(ctx, src, base, [v["id"]["videoId"] for v in videos])
        items = [_video(src, v, stats.get(v["id"]["videoId"], {})) for v in videos]
        if option(src, "comments", False):
            for v in videos:
                items.extend(_comments(ctx, src, base, v["id"]["videoId"]))
    except SocialError as exc:
        if "quotaExceeded" in str(exc):
            exc.retry_after = _quota_reset()
        raise
    times = [i.published_at for i in items if i.kind == "post" and i.published_at and "comment" not in i.meta]
    if times:
        ctx.state["published_after"] = max(times).isoformat().replace("+00:00", "Z")
    return items


def _get(ctx: SocialContext, src: SourceSettings, url: str, params: dict[str, Any]) -> dict[str, Any]:
    answer = get_json(ctx, src, url, params, {"X-goog-api-key": need_secret(ctx, src, "YOUTUBE_API_KEY")})
    if not isinstance(answer, dict):
        raise SocialError(f"youtube source {src.name}: unexpected answer from {url}")
    return answer


def _statistics(ctx: SocialContext, src: SourceSettings, base: str, ids: list[str]
                ) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    answer = _get(ctx, src, f"{base}/videos", {"part": "statistics", "id": ",".join(ids)})
    return {v["id"]: v.get("statistics", {}) for v in answer.get("items", []) if isinstance(v, dict)}


def _video(src: SourceSettings, v: dict[str, Any], stats: dict[str, Any]) -> Item:
    sn = v.get("snippet", {})
    vid = v["id"]["videoId"]
    return post(src, "youtube", url=f"https://www.youtube.com/watch?v={vid}",
                text=f"{sn.get('title', '')}\n{sn.get('description', '')}", title=sn.get("title"),
                author=sn.get("channelTitle"), published=parse_iso(sn.get("publishedAt")), post_id=vid,
                engagement={"views": _int(stats.get("viewCount")), "likes": _int(stats.get("likeCount")),
                            "comments": _int(stats.get("commentCount"))})


def _comments(ctx: SocialContext, src: SourceSettings, base: str, vid: str) -> list[Item]:
    answer = _get(ctx, src, f"{base}/commentThreads",
                  {"part": "snippet", "videoId": vid, "order": "time", "maxResults": 20,
                   "textFormat": "plainText"})
    out = []
    for thread in answer.get("items", []):
        top = thread.get("snippet", {}).get("topLevelComment", {})
        sn = top.get("snippet", {})
        item = post(src, "youtube", url=f"https://www.youtube.com/watch?v={vid}&lc={top.get('id')}",
                    text=sn.get("textOriginal") or sn.get("textDisplay", ""),
                    author=sn.get("authorDisplayName"),
                    published=parse_iso(sn.get("publishedAt")), post_id=str(top.get("id")),
                    engagement={"likes": _int(sn.get("likeCount")),
                                "replies": _int(thread.get("snippet", {}).get("totalReplyCount"))})
        item.meta["comment"] = True
        item.meta["video_id"] = vid
        out.append(item)
    return out


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _quota_reset(now: datetime | None = None) -> datetime:
    now = (now or datetime.now(PACIFIC)).astimezone(PACIFIC)
    return datetime.combine(now.date() + timedelta(days=1), time(0, 5), tzinfo=PACIFIC)
