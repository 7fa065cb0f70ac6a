# ruff: noqa: E501 - stub answers mirror the platforms' documented JSON; kept one object per line
"""Social collectors against stub servers on 127.0.0.1 that answer like the real APIs (errors too)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from crawlers.net import FetchError, Http
from crawlers.social import SocialContext, SocialError, get_collector
from pipeline.db import open_database
from pipeline.models import Source
from pipeline.settings import Settings, SourceSettings
from tests.crawlers.conftest import Reply, Seen, Site
from tests.crawlers.passes import collect_and_commit as collect


def _json(data: Any, status: int = 200, **headers: str) -> Reply:
    return Reply(status, json.dumps(data, ensure_ascii=False).encode(),
                 {"Content-Type": "application/json; charset=utf-8", **headers})


def _ctx(settings: Settings, state: dict[str, Any] | None = None) -> SocialContext:
    return SocialContext(settings=settings, http=Http(settings.crawl), state=state if state is not None else {})


def _run(src: SourceSettings, ctx: SocialContext) -> list[Any]:
    return get_collector(src.type)(src, ctx)


# -- PTT ----------------------------------------------------------------------------------------

PTT_INDEX = """<html><body><div class="btn-group btn-group-paging"><a class="btn wide" href="/bbs/Gossiping/index1.html">‹ 上頁</a></div>
<div class="r-list-container">
<div class="r-ent"><div class="nrec"><span class="hl f3">12</span></div><div class="title"><a href="/bbs/Gossiping/M.1725244200.A.1C3.html">[問卦] 北市社宅抽籤</a></div><div class="meta"><div class="author">ptt_user1</div><div class="date"> 9/02</div></div></div>
<div class="r-ent"><div class="nrec"></div><div class="title">(本文已被刪除) [user2]</div><div class="meta"><div class="author">-</div></div></div>
<div class="r-ent"><div class="nrec"><span class="hl f1">爆</span></div><div class="title"><a href="/bbs/Gossiping/M.1725247800.A.2B4.html">[新聞] 捷運延誤</a></div><div class="meta"><div class="author">ptt_user3</div><div class="date"> 9/02</div></div></div>
<div class="r-list-sep"></div>
<div class="r-ent"><div class="title"><a href="/bbs/Gossiping/M.1000000000.A.000.html">[公告] 板規</a></div></div>
</div></body></html>"""


def _ptt_article(title: str, author: str, when: str, body: str, pushes: list[str]) -> str:
    push_html = "".join(f'<div class="push"><span class="hl push-tag">{p} </span><span class="f3 hl push-userid">u{i}</span>'
                        f'<span class="f3 push-content">: 留言</span></div>' for i, p in enumerate(pushes))
    return (f'<html><body><div id="main-content" class="bbs-screen bbs-content">'
            f'<div class="article-metaline"><span class="article-meta-tag">作者</span><span class="article-meta-value">{author} (暱稱)</span></div>'
            f'<div class="article-metaline-right"><span class="article-meta-tag">看板</span><span class="article-meta-value">Gossiping</span></div>'
            f'<div class="article-metaline"><span class="article-meta-tag">標題</span><span class="article-meta-value">{title}</span></div>'
            f'<div class="article-metaline"><span class="article-meta-tag">時間</span><span class="article-meta-value">{when}</span></div>'
            f'{body}\n--\n※ 發信站: 批踢踢實業坊(ptt.cc)\n{push_html}</div></body></html>')


def _over18(page: str) -> Any:
    def route(seen: Seen) -> Reply:
        if "over18=1" not in seen.headers.get("Cookie", ""):
            gate = '<html><body><form action="/ask/over18" method="post"><button name="yes">我同意</button></form></body></html>'
            return Reply(200, gate.encode(), {"Content-Type": "text/html; charset=utf-8"})
        return Reply(200, page.encode(), {"Content-Type": "text/html; charset=utf-8"})
    return route


def test_ptt_board_with_over18_cookie(crawl_settings: Settings, site: Site) -> None:
    site.route("/bbs/Gossiping/index.html", _over18(PTT_INDEX))
    site.route("/bbs/Gossiping/M.1725244200.A.1C3.html", _over18(_ptt_article(
        "[問卦] 北市社宅抽籤", "ptt_user1", "Mon Sep  2 10:30:00 2024", "社宅抽籤到底怎麼抽？", ["推", "推", "噓", "→"])))
    site.route("/bbs/Gossiping/M.1725247800.A.2B4.html", _over18(_ptt_article(
        "[新聞] 捷運延誤", "ptt_user3", "Mon Sep  2 11:30:00 2024", "捷運今天早上延誤二十分鐘。", ["推"])))
    src = SourceSettings(name="ptt", type="ptt", url=site.url("/bbs/Gossiping/index.html"),
                         options={"base_url": site.base})
    ctx = _ctx(crawl_settings)
    items = _run(src, ctx)
    assert [i.title for i in items] == ["[問卦] 北市社宅抽籤", "[新聞] 捷運延誤"]  # deleted and pinned skipped
    first = items[0]
    assert first.kind == "post" and first.outlet == "ptt" and first.authors == ["ptt_user1"]
    assert first.text == "社宅抽籤到底怎麼抽？"
    assert first.published_at == datetime(2024, 9, 2, 2, 30, tzinfo=UTC)
    assert first.engagement == {"likes": 2, "boos": 1, "comments": 4}
    assert all("over18=1" in r.headers.get("Cookie", "") for r in site.requests)
    # The thread takes off: seen articles are not new, but are reopened so their pushes count again.
    site.route("/bbs/Gossiping/M.1725244200.A.1C3.html", _over18(_ptt_article(
        "[問卦] 北市社宅抽籤", "ptt_user1", "Mon Sep  2 10:30:00 2024", "社宅抽籤到底怎麼抽？", ["推"] * 30 + ["噓"])))
    again = _run(src, ctx)
    assert sorted(i.title for i in again) == ["[問卦] 北市社宅抽籤", "[新聞] 捷運延誤"]
    assert all(i.meta["revisit"] for i in again)
    assert next(i for i in again if "社宅" in i.title).engagement == {"likes": 30, "boos": 1, "comments": 31}
    assert len(site.hits("/bbs/Gossiping/M.1725244200.A.1C3.html")) == 2
    quiet = SourceSettings(name="ptt", type="ptt", url=src.url, options={"base_url": site.base, "revisit_hours": 0})
    quiet_ctx = _ctx(crawl_settings)
    assert len(_run(quiet, quiet_ctx)) == 2 and _run(quiet, quiet_ctx) == []  # revisits off: seen once


def test_ptt_gate_not_passed_is_an_error(crawl_settings: Settings, site: Site) -> None:
    gate = '<html><body><form action="/ask/over18"></form></body></html>'
    site.route("/bbs/Gossiping/index.html", gate.encode())
    src = SourceSettings(name="ptt", type="ptt", url=site.url("/bbs/Gossiping/index.html"),
                         options={"base_url": site.base})
    with pytest.raises(SocialError, match="over-18 check"):
        _run(src, _ctx(crawl_settings))


# -- Dcard --------------------------------------------------------------------------------------

def _dcard_posts(ids: list[int]) -> list[dict[str, Any]]:
    return [{"id": i, "title": f"北市公車{i}", "excerpt": "今天公車誤點好久", "createdAt": "2024-09-02T02:00:00.000Z",
             "likeCount": 10 + i, "commentCount": 3, "forumAlias": "taipei", "school": "臺灣大學"} for i in ids]


def test_dcard_forum_since_last_id_and_429(crawl_settings: Settings, site: Site) -> None:
    answers = [_json(_dcard_posts([102, 101])), _json(_dcard_posts([103, 102, 101])),
               _json({"error": "too many requests"}, 429, **{"Retry-After": "60"})]

    def forum(seen: Seen) -> Reply:
        assert seen.query["limit"] == ["30"] and seen.query["popular"] == ["false"]
        return answers.pop(0)

    site.route("/service/api/v2/forums/taipei/posts", forum)
    src = SourceSettings(name="dcard", type="dcard", url="https://www.dcard.tw/f/taipei", options={"base_url": site.base})
    ctx = _ctx(crawl_settings)
    first = _run(src, ctx)
    assert [i.url for i in first] == ["https://www.dcard.tw/f/taipei/p/102", "https://www.dcard.tw/f/taipei/p/101"]
    assert first[0].engagement == {"likes": 112, "comments": 3}
    second = _run(src, ctx)
    assert [i.meta["id"] for i in second if not i.meta.get("revisit")] == ["103"]
    # Posts still in the list come back as revisits with their current counts (no extra request).
    assert sorted(i.meta["id"] for i in second if i.meta.get("revisit")) == ["101", "102"]
    with pytest.raises(FetchError) as info:
        _run(src, ctx)
    assert info.value.status == 429 and info.value.retry_after is not None


# -- Meta Graph APIs ----------------------------------------------------------------------------

def test_facebook_page_posts_and_token_errors(crawl_settings: Settings, site: Site,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    src = SourceSettings(name="fb", type="facebook", options={"base_url": site.base, "page_id": "12345"})
    with pytest.raises(SocialError, match="META_ACCESS_TOKEN is not set"):
        _run(src, _ctx(crawl_settings))
    monkeypatch.setenv("META_ACCESS_TOKEN", "EAAB-secret-token")

    def posts(seen: Seen) -> Reply:
        assert "access_token" not in seen.query  # the token travels in a header, never in the URL
        if seen.headers.get("Authorization") != "Bearer EAAB-secret-token":
            return _json({"error": {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190,
                                    "fbtrace_id": "A1"}}, 400)
        assert "reactions.summary(total_count)" in seen.query["fields"][0]
        return _json({"data": [{"id": "12345_1", "message": "市長今天視察環狀線工地", "created_time": "2024-09-02T02:30:00+0000",
                                "permalink_url": "https://www.facebook.com/12345/posts/1",
                                "reactions": {"data": [], "summary": {"total_count": 321}},
                                "comments": {"data": [], "summary": {"total_count": 45}}, "shares": {"count": 6}}],
                      "paging": {"cursors": {"before": "a", "after": "b"}}})

    site.route("/12345/posts", posts)
    items = _run(src, _ctx(crawl_settings))
    assert items[0].engagement == {"reactions": 321, "comments": 45, "shares": 6}
    assert items[0].published_at == datetime(2024, 9, 2, 2, 30, tzinfo=UTC)
    monkeypatch.setenv("META_ACCESS_TOKEN", "EAAB-revoked-0042")
    with pytest.raises(SocialError) as info:
        _run(src, _ctx(crawl_settings))
    assert "code 190" in str(info.value) and "token expired or invalid" in str(info.value)
    assert "EAAB-revoked-0042" not in str(info.value)  # the token never appears in the message


def test_graph_rate_limit_holds_the_source(crawl_settings: Settings, site: Site,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("META_ACCESS_TOKEN", "t")
    site.route("/12345/posts", _json({"error": {"message": "(#4) Application request limit reached", "code": 4}}, 403))
    src = SourceSettings(name="fb", type="facebook", options={"base_url": site.base, "page_id": "12345"})
    with pytest.raises(SocialError) as info:
        _run(src, _ctx(crawl_settings))
    assert info.value.retry_after is not None and info.value.retry_after > datetime.now(UTC) + timedelta(minutes=50)


def test_instagram_hashtag_search_two_steps(crawl_settings: Settings, site: Site,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("META_ACCESS_TOKEN", "t")

    def search(seen: Seen) -> Reply:
        assert seen.query["user_id"] == ["1784"] and seen.query["q"] == ["臺北"]
        return _json({"data": [{"id": "17843853986012965"}]})

    def recent(seen: Seen) -> Reply:
        assert seen.query["user_id"] == ["1784"] and "like_count" in seen.query["fields"][0]
        return _json({"data": [{"id": "m1", "caption": "#臺北 跨年煙火", "permalink": "https://www.instagram.com/p/abc/",
                                "timestamp": "2024-01-01T00:00:00+0000", "like_count": 99, "comments_count": 7}]})

    site.route("/ig_hashtag_search", search)
    site.route("/17843853986012965/recent_media", recent)
    src = SourceSettings(name="ig", type="instagram",
                         options={"base_url": site.base, "user_id": "1784", "hashtag": "#臺北"})
    ctx = _ctx(crawl_settings)
    items = _run(src, ctx)
    assert [(i.url, i.engagement) for i in items] == [("https://www.instagram.com/p/abc/", {"likes": 99, "comments": 7})]
    assert _run(src, ctx) == []  # already seen


def test_threads_keyword_search(crawl_settings: Settings, site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THREADS_ACCESS_TOKEN", "th")

    def search(seen: Seen) -> Reply:
        assert seen.query["q"] == ["大巨蛋"] and seen.query["search_type"] == ["RECENT"]
        assert seen.headers["Authorization"] == "Bearer th" and "permalink" in seen.query["fields"][0]
        assert "access_token" not in seen.query
        return _json({"data": [{"id": "1801", "text": "大巨蛋散場好擠", "permalink": "https://www.threads.net/@u/post/C1",
                                "timestamp": "2024-10-16T12:00:00+0000", "username": "u"}]})

    site.route("/keyword_search", search)
    src = SourceSettings(name="th", type="threads", options={"base_url": site.base, "q": "大巨蛋"})
    items = _run(src, _ctx(crawl_settings))
    assert [(i.text, i.authors) for i in items] == [("大巨蛋散場好擠", ["u"])]


# -- YouTube ------------------------------------------------------------------------------------

def test_youtube_search_statistics_comments_and_quota(crawl_settings: Settings, site: Site,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YOUTUBE_API_KEY", "yt-key")
    quota = {"exceeded": False}

    def search(seen: Seen) -> Reply:
        if quota["exceeded"]:
            return _json({"error": {"code": 403, "message": "The request cannot be completed because you have exceeded "
                                    "your quota.", "errors": [{"message": "quota", "domain": "youtube.quota",
                                                               "reason": "quotaExceeded"}]}}, 403)
        assert seen.query["part"] == ["snippet"] and seen.query["type"] == ["video"] and "key" not in seen.query
        assert seen.headers["X-goog-api-key"] == "yt-key"
        return _json({"kind": "youtube#searchListResponse", "items": [
            {"kind": "youtube#searchResult", "id": {"kind": "youtube#video", "videoId": "vid1"},
             "snippet": {"publishedAt": "2024-09-02T03:00:00Z", "channelId": "c", "title": "市長記者會",
                         "description": "環狀線進度說明", "channelTitle": "臺北市政府"}}]})

    def videos(seen: Seen) -> Reply:
        assert seen.query["part"] == ["statistics"] and seen.query["id"] == ["vid1"]
        return _json({"items": [{"id": "vid1", "statistics": {"viewCount": "1500", "likeCount": "80",
                                                             "commentCount": "12"}}]})

    def comments(seen: Seen) -> Reply:
        assert seen.query["videoId"] == ["vid1"] and seen.query["part"] == ["snippet"]
        return _json({"items": [{"id": "t1", "snippet": {"totalReplyCount": 2, "topLevelComment": {
            "id": "cm1", "snippet": {"textOriginal": "進度太慢了", "authorDisplayName": "市民",
                                     "likeCount": 5, "publishedAt": "2024-09-02T04:00:00Z"}}}}]})

    site.route("/search", search)
    site.route("/videos", videos)
    site.route("/commentThreads", comments)
    src = SourceSettings(name="yt", type="youtube", options={"base_url": site.base, "q": "臺北市", "comments": True})
    ctx = _ctx(crawl_settings)
    items = _run(src, ctx)
    assert items[0].engagement == {"views": 1500, "likes": 80, "comments": 12}
    assert items[1].text == "進度太慢了" and items[1].engagement == {"likes": 5, "replies": 2}
    assert ctx.state["published_after"] == "2024-09-02T03:00:00Z"
    quota["exceeded"] = True
    with pytest.raises(SocialError) as info:
        _run(src, ctx)
    assert "quotaExceeded" in str(info.value) and "yt-key" not in str(info.value)
    assert info.value.retry_after is not None and info.value.retry_after > datetime.now(UTC)


# -- Mastodon and Bluesky -----------------------------------------------------------------------

def test_mastodon_tag_timeline(crawl_settings: Settings, site: Site) -> None:
    calls: list[Seen] = []

    def timeline(seen: Seen) -> Reply:
        calls.append(seen)
        if len(calls) == 3:
            return _json({"error": "Too many requests"}, 429, **{"X-RateLimit-Reset": "2030-01-01T00:00:00.000Z"})
        return _json([{"id": "1100", "created_at": "2024-09-02T02:00:00.000Z", "url": "https://mastodon.social/@a/1100",
                       "content": "<p>臺北<br>捷運</p>", "account": {"acct": "a"}, "replies_count": 1,
                       "reblogs_count": 2, "favourites_count": 3}] if len(calls) == 1 else [])

    site.route("/api/v1/timelines/tag/taipei", timeline)
    src = SourceSettings(name="md", type="mastodon", url=site.base, options={"tag": "#taipei"})
    ctx = _ctx(crawl_settings)
    items = _run(src, ctx)
    assert items[0].text == "臺北\n捷運" and items[0].engagement == {"replies": 1, "reblogs": 2, "favourites": 3}
    assert _run(src, ctx) == [] and calls[1].query["since_id"] == ["1100"]
    with pytest.raises(FetchError) as info:
        _run(src, ctx)
    assert info.value.retry_after == datetime(2030, 1, 1, tzinfo=UTC)


def test_bluesky_search_and_forbidden(crawl_settings: Settings, site: Site) -> None:
    answers = [_json({"posts": [{"uri": "at://did:plc:abc/app.bsky.feed.post/3kxyz", "cid": "c",
                                 "author": {"did": "did:plc:abc", "handle": "someone.bsky.social"},
                                 "record": {"$type": "app.bsky.feed.post", "text": "Taipei Dome traffic",
                                            "createdAt": "2024-10-16T10:00:00.000Z", "langs": ["en"]},
                                 "replyCount": 0, "repostCount": 1, "likeCount": 4, "quoteCount": 0,
                                 "indexedAt": "2024-10-16T10:00:01.000Z"}]}),
               _json({"error": "Forbidden", "message": "unauthenticated search is disabled"}, 403)]

    def search(seen: Seen) -> Reply:
        assert seen.query["q"] == ["Taipei"] and seen.query["sort"] == ["latest"]
        return answers.pop(0)

    site.route("/xrpc/app.bsky.feed.searchPosts", search)
    src = SourceSettings(name="bs", type="bluesky", options={"base_url": site.base, "q": "Taipei"})
    ctx = _ctx(crawl_settings)
    items = _run(src, ctx)
    assert items[0].url == "https://bsky.app/profile/someone.bsky.social/post/3kxyz"
    assert items[0].engagement == {"replies": 0, "reposts": 1, "likes": 4, "quotes": 0}
    with pytest.raises(SocialError, match="Forbidden: unauthenticated search is disabled") as info:
        _run(src, ctx)
    assert info.value.retry_after is not None  # held for hours: Bluesky turns public search off under load


# -- through a crawl pass -----------------------------------------------------------------------

def test_social_source_in_a_crawl_pass_keeps_cursor_and_counts_failures(crawl_settings: Settings,
                                                                        site: Site) -> None:
    answers = [_json(_dcard_posts([7])), _json({"error": "slow down"}, 429, **{"Retry-After": "600"})]
    site.route("/service/api/v2/forums/taipei/posts", lambda seen: answers.pop(0))
    sessions = open_database(crawl_settings.database_url)
    src = SourceSettings(name="dcard", type="dcard", options={"forum": "taipei", "base_url": site.base})
    items = collect(crawl_settings, [src], sessions)
    assert [i.kind for i in items] == ["post"]
    assert collect(crawl_settings, [src], sessions) == []
    with sessions() as s:
        row = s.scalar(select(Source).where(Source.name == "dcard"))
        assert row is not None
        assert row.state["last_id"] == 7 and row.failures == 1 and "retry_after" in row.state
