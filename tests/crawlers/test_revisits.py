# ruff: noqa: E501 - stub answers mirror the platforms' documented JSON; kept one object per line
"""Posts seen before are read again for a while, and their engagement growth reaches the story.

The stubs answer as the platforms document it: Mastodon ``GET /api/v1/statuses/:id`` (public; 404
"Record not found" once deleted) and ``/api/v1/timelines/tag/:hashtag`` with ``any[]`` (404 for an
unknown tag), docs.joinmastodon.org methods/statuses and methods/timelines; Bluesky
``app.bsky.feed.getPosts`` (``uris`` repeated, up to 25, public) and ``searchPosts``,
docs.bsky.app; Dcard's ``/service/api/v2/forums/<forum>/posts`` and ``/service/api/v2/posts/<id>``
as its web client calls them (dcard-spider's test data shows the objects).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from sqlalchemy import select

from crawlers.net import Http
from crawlers.social import SocialContext, get_collector
from pipeline.db import open_database
from pipeline.items import Item
from pipeline.models import Cluster, ItemRow
from pipeline.runner import process
from pipeline.settings import Settings, SourceSettings
from tests.crawlers.conftest import Reply, Seen, Site
from tests.crawlers.passes import collect_and_commit as collect


def _json(data: Any, status: int = 200) -> Reply:
    return Reply(status, json.dumps(data, ensure_ascii=False).encode(), {"Content-Type": "application/json; charset=utf-8"})


def _ctx(settings: Settings, state: dict[str, Any] | None = None) -> SocialContext:
    return SocialContext(settings=settings, http=Http(settings.crawl), state=state if state is not None else {})


def _run(src: SourceSettings, ctx: SocialContext) -> list[Item]:
    return get_collector(src.type)(src, ctx)


def _status(sid: str, favourites: int) -> dict[str, Any]:
    return {"id": sid, "created_at": "2024-09-02T02:00:00.000Z", "url": f"https://mastodon.social/@a/{sid}",
            "content": "<p>#臺北 捷運又延誤</p>", "account": {"acct": "a"}, "replies_count": 0,
            "reblogs_count": 0, "favourites_count": favourites, "visibility": "public"}


def test_mastodon_tags_any_and_revisits(crawl_settings: Settings, site: Site) -> None:
    timeline: list[Seen] = []
    counts = {"1100": 3}

    def tag(seen: Seen) -> Reply:
        timeline.append(seen)
        return _json([_status("1100", 3)] if len(timeline) == 1 else [])

    site.route("/api/v1/timelines/tag/" + quote("台北"), tag)  # the path arrives percent-encoded
    site.route("/api/v1/statuses/1100", lambda seen: _json(_status("1100", counts["1100"])))
    src = SourceSettings(name="md", type="mastodon", url=site.base, options={"tag": "台北", "any": ["臺北", "#蔣萬安"]})
    ctx = _ctx(crawl_settings)
    assert [i.meta["id"] for i in _run(src, ctx)] == ["1100"]
    assert timeline[0].query["any[]"] == ["臺北", "蔣萬安"]
    counts["1100"] = 250
    again = _run(src, ctx)
    assert [(i.meta["id"], i.meta["revisit"], i.engagement["favourites"]) for i in again] == [("1100", True, 250)]
    # Past the window a post is forgotten: no more requests for it.
    ctx.state["track"]["1100"]["first"] = (datetime.now(UTC) - timedelta(hours=49)).isoformat()
    before = len(site.hits("/api/v1/statuses/1100"))
    assert _run(src, ctx) == [] and len(site.hits("/api/v1/statuses/1100")) == before


def test_mastodon_unknown_hashtag_is_no_posts_and_deleted_status_is_dropped(crawl_settings: Settings,
                                                                            site: Site) -> None:
    src = SourceSettings(name="md", type="mastodon", url=site.base, options={"tag": "蔣萬安"})
    ctx = _ctx(crawl_settings, {"track": {"9": {"first": datetime.now(UTC).isoformat(), "checked": ""}}})
    site.route("/api/v1/statuses/9", _json({"error": "Record not found"}, 404))
    assert _run(src, ctx) == []  # the tag route is unknown to the stub: 404 as for an unused hashtag
    assert ctx.state["track"] == {}


def test_bluesky_revisits_with_get_posts(crawl_settings: Settings, site: Site) -> None:
    def bsky(uri: str, likes: int) -> dict[str, Any]:
        return {"uri": uri, "cid": "c", "author": {"did": "did:plc:a", "handle": "a.bsky.social"},
                "record": {"$type": "app.bsky.feed.post", "text": "台北捷運", "createdAt": "2024-10-16T10:00:00.000Z"},
                "replyCount": 0, "repostCount": 0, "likeCount": likes, "quoteCount": 0}

    one, two = "at://did:plc:a/app.bsky.feed.post/1", "at://did:plc:a/app.bsky.feed.post/2"
    searches = [[bsky(one, 1), bsky(two, 1)], [bsky(one, 5)]]
    site.route("/xrpc/app.bsky.feed.searchPosts", lambda seen: _json({"posts": searches.pop(0)}))
    asked: list[list[str]] = []

    def get_posts(seen: Seen) -> Reply:
        asked.append(seen.query["uris"])
        return _json({"posts": [bsky(u, 40) for u in seen.query["uris"]]})

    site.route("/xrpc/app.bsky.feed.getPosts", get_posts)
    src = SourceSettings(name="bs", type="bluesky", options={"base_url": site.base, "q": "台北"})
    ctx = _ctx(crawl_settings)
    assert len(_run(src, ctx)) == 2
    again = _run(src, ctx)
    assert asked == [[two]]  # the one still in the search answer needs no extra request
    assert sorted((i.meta["id"], i.engagement["likes"]) for i in again) == [(one, 5), (two, 40)]
    assert all(i.meta["revisit"] for i in again)


def test_dcard_reads_tracked_posts_that_left_the_list(crawl_settings: Settings, site: Site) -> None:
    def dcard(pid: int, likes: int) -> dict[str, Any]:
        return {"id": pid, "title": "北市公車誤點", "excerpt": "又誤點", "createdAt": "2024-09-02T02:00:00.000Z",
                "likeCount": likes, "commentCount": 1, "forumAlias": "trending"}

    lists = [[dcard(5, 1)], [dcard(6, 1)]]
    site.route("/service/api/v2/forums/trending/posts", lambda seen: _json(lists.pop(0)))
    site.route("/service/api/v2/posts/5", _json(dcard(5, 900)))
    src = SourceSettings(name="dc", type="dcard", options={"forum": "trending", "base_url": site.base})
    ctx = _ctx(crawl_settings)
    assert [i.meta["id"] for i in _run(src, ctx)] == ["5"]
    second = _run(src, ctx)
    assert [(i.meta["id"], bool(i.meta.get("revisit")), i.engagement["likes"]) for i in second] == [
        ("6", False, 1), ("5", True, 900)]


def test_engagement_growth_updates_the_stored_post_and_its_story(crawl_settings: Settings, site: Site) -> None:
    """Through a crawl pass and the pipeline: the second pass stores nothing new, raises the reach."""
    likes = {"n": 10}

    def forum(seen: Seen) -> Reply:
        return _json([{"id": 77, "title": "臺北市公車司機態度差", "excerpt": "今天搭公車遇到司機罵人，北市交通局管不管？",
                       "createdAt": "2024-09-02T02:00:00.000Z", "likeCount": likes["n"], "commentCount": 2,
                       "forumAlias": "trending"}])

    site.route("/service/api/v2/forums/trending/posts", forum)
    sessions = open_database(crawl_settings.database_url)
    src = SourceSettings(name="dcard", type="dcard", options={"forum": "trending", "base_url": site.base})
    first = collect(crawl_settings, [src], sessions)
    counts = process(first, crawl_settings, sessions, batch=None)
    assert counts["stored"] == 1
    with sessions() as s:
        reach = s.scalar(select(Cluster.reach))
    likes["n"] = 510
    second = collect(crawl_settings, [src], sessions)
    assert [i.meta.get("revisit") for i in second] == [True]
    counts = process(second, crawl_settings, sessions, batch=None)
    assert counts["stored"] == 0 and counts["engagement:updated"] == 1
    with sessions() as s:
        row = s.scalar(select(ItemRow))
        assert row is not None and row.engagement == {"likes": 510, "comments": 2}
        assert [h["likes"] for h in row.meta["engagement_history"]] == [510]
        assert s.scalar(select(Cluster.reach)) == reach + 500
        assert s.scalar(select(ItemRow.id).where(ItemRow.id != row.id)) is None  # not stored twice
    counts = process(collect(crawl_settings, [src], sessions), crawl_settings, sessions, batch=None)
    assert counts["engagement:unchanged"] == 1 and counts["stored"] == 0
