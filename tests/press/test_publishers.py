"""Each publisher against a local stub that checks requests as the platform documents them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from press.publishers.base import Outgoing, PublishError, x_weighted_length
from press.publishers.bluesky import BlueskyPublisher
from press.publishers.facebook import FacebookPublisher
from press.publishers.instagram import InstagramPublisher
from press.publishers.line import LinePublisher
from press.publishers.mastodon import MastodonPublisher
from press.publishers.threads import ThreadsPublisher
from press.publishers.x import XPublisher
from press.publishers.youtube import YouTubePublisher
from tests.press.stubs import TOKEN, Platforms, graph_error

IMAGE = {"url": "https://media.example/a.jpg", "type": "image/jpeg", "bytes": 200_000}
Stub = tuple[str, Platforms]


def _post(text: str = "北市社宅新進度 https://www.gov.taipei/n/1", **kw: Any) -> Outgoing:
    return Outgoing(
        post_id=kw.pop("post_id", 1),
        platform=kw.pop("platform", "x"),
        text=text,
        key=kw.pop("key", "newsdesk-post-1"),
        **kw,
    )


def _noop(_: dict[str, Any]) -> None:
    pass


def test_facebook_feed_post(stub: Stub) -> None:
    base, state = stub
    result = FacebookPublisher(base, "v21.0", "1000", TOKEN).publish(_post(link="https://x.example"), _noop)
    assert result.external_id.startswith("1000_")
    method, path, req = state.requests[-1]
    assert (method, path) == ("POST", "/v21.0/1000/feed")
    assert req["body"]["access_token"] == TOKEN and req["body"]["link"] == "https://x.example"


def test_facebook_expired_token_is_reconnect(stub: Stub) -> None:
    base, _ = stub
    with pytest.raises(PublishError) as err:
        FacebookPublisher(base, "v21.0", "1000", "old-token").publish(_post(), _noop)
    assert err.value.kind == "reconnect" and err.value.code == "graph-190/463"


def test_instagram_container_poll_publish(stub: Stub) -> None:
    base, state = stub
    state.polls_before_ready = 3
    saved: dict[str, Any] = {}
    pub = InstagramPublisher(base, "v21.0", "1780", TOKEN, polls=5, interval=0.01)
    result = pub.publish(_post(media=[IMAGE], platform="instagram"), saved.update)
    paths = [(m, p) for m, p, _ in state.requests]
    assert paths[0] == ("POST", "/v21.0/1780/media")
    assert paths.count(("GET", f"/v21.0/{saved['container_id']}")) == 3
    assert paths[-1] == ("POST", "/v21.0/1780/media_publish")
    assert state.requests[-1][2]["body"]["creation_id"] == saved["container_id"]
    assert state.requests[0][2]["body"]["image_url"] == IMAGE["url"]
    assert result.external_id == saved["media_id"] and state.created["instagram"] == 1


def test_instagram_container_accepted_then_publish_fails(stub: Stub) -> None:
    base, state = stub
    state.fail["graph:media_publish"].append(graph_error(2, "Service temporarily unavailable", status=500))
    saved: dict[str, Any] = {}
    pub = InstagramPublisher(base, "v21.0", "1780", TOKEN, polls=3, interval=0.01)
    with pytest.raises(PublishError) as err:
        pub.publish(_post(media=[IMAGE], platform="instagram"), saved.update)
    assert err.value.kind == "retryable" and "container_id" in saved and state.created["instagram"] == 0
    # the retry reuses the stored container: no second container, one post
    pub.publish(_post(media=[IMAGE], platform="instagram", state=dict(saved)), saved.update)
    assert sum(1 for m, p, _ in state.requests if p == "/v21.0/1780/media") == 1
    assert state.created["instagram"] == 1
    # and a third call after the success finds the container PUBLISHED and does not post again
    again = pub.publish(_post(media=[IMAGE], platform="instagram", state=dict(saved)), saved.update)
    assert again.external_id == saved["media_id"] and state.created["instagram"] == 1


def test_instagram_not_ready_is_retryable(stub: Stub) -> None:
    base, state = stub
    state.polls_before_ready = 100
    with pytest.raises(PublishError) as err:
        InstagramPublisher(base, "v21.0", "1780", TOKEN, polls=2, interval=0.0).publish(
            _post(media=[IMAGE], platform="instagram"), _noop
        )
    assert err.value.kind == "retryable" and err.value.code == "container-not-ready"


def test_instagram_validation() -> None:
    pub = InstagramPublisher("http://127.0.0.1:9", "v21.0", "1", TOKEN)
    big = {"url": "https://m.example/big.jpg", "type": "image/jpeg", "bytes": 9_500_000}
    assert pub.validate(_post(media=[big])) == [
        "instagram: https://m.example/big.jpg is 9.5 MB, the limit is 8.0 MB"
    ]
    local = {"path": "/tmp/a.png", "type": "image/png", "bytes": 10}
    problems = pub.validate(_post(media=[local]))
    assert any("allowed: image/jpeg" in p for p in problems) and any("public URL" in p for p in problems)
    assert pub.validate(_post(media=[])) == ["instagram: needs at least 1 media file(s)"]
    tags = " ".join(f"#t{i}" for i in range(31))
    assert "instagram: 31 hashtags, at most 30 allowed" in pub.validate(_post(tags, media=[IMAGE]))


def test_threads_text_post_and_limit(stub: Stub) -> None:
    base, state = stub
    pub = ThreadsPublisher(base, "v1.0", "2900", TOKEN, polls=3, interval=0.01)
    pub.publish(_post("臺北市 #社宅", platform="threads"), _noop)
    first = state.requests[0]
    assert first[1] == "/v1.0/2900/threads" and first[2]["body"]["media_type"] == "TEXT"
    assert state.requests[-1][1] == "/v1.0/2900/threads_publish" and state.created["threads"] == 1
    assert pub.validate(_post("字" * 501)) == ["threads: text is 501 characters, the limit is 500"]
    assert pub.validate(_post("#a #b")) == ["threads: 2 hashtags, at most 1 allowed"]


def test_youtube_resumable_upload_and_resume(stub: Stub, tmp_path: Path) -> None:
    base, state = stub
    video = tmp_path / "v.mp4"
    video.write_bytes(b"\x00" * 4096)
    media = [{"path": str(video), "type": "video/mp4", "bytes": 4096}]
    pub = YouTubePublisher(base, TOKEN)
    assert pub.validate(_post("說明", title="標題<>", media=media)) == [
        "youtube: title and description may not contain < or >"
    ]
    state.fail["youtube:put"].append(
        __import__("tests.press.stubs", fromlist=["Reject"]).Reject(
            503, {"error": {"code": 503, "message": "backend error"}}
        )
    )
    saved: dict[str, Any] = {}
    with pytest.raises(PublishError) as err:
        pub.publish(_post("說明", title="市長記者會", media=media), saved.update)
    assert err.value.kind == "retryable" and "upload_url" in saved
    start = state.requests[0]
    assert start[2]["query"] == {"uploadType": "resumable", "part": "snippet,status"}
    assert start[2]["headers"]["X-Upload-Content-Length"] == "4096"
    assert start[2]["body"]["snippet"]["title"] == "市長記者會"
    result = pub.publish(_post("說明", title="市長記者會", media=media, state=dict(saved)), saved.update)
    assert result.external_id.startswith("vid") and state.created["youtube"] == 1
    assert sum(1 for m, *_ in state.requests if m == "POST") == 1  # one session, resumed
    again = pub.publish(_post("說明", title="市長記者會", media=media, state=dict(saved)), saved.update)
    assert again.external_id == result.external_id and state.created["youtube"] == 1


def test_x_v2_tweet_and_weighted_length(stub: Stub) -> None:
    base, state = stub
    pub = XPublisher(base, TOKEN)
    assert pub.publish(_post(), _noop).external_id
    assert state.requests[-1][2]["body"] == {"text": "北市社宅新進度 https://www.gov.taipei/n/1"}
    assert state.requests[-1][2]["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert x_weighted_length("臺北" + " https://a.example/very/long/path") == 4 + 1 + 23
    assert pub.validate(_post("字" * 141)) == ["x: text is 282 characters (weighted), the limit is 280"]
    with pytest.raises(PublishError) as err:
        XPublisher(base, "bad").publish(_post("another"), _noop)
    assert err.value.kind == "reconnect"


def test_line_broadcast_retry_key_prevents_a_second_message(stub: Stub) -> None:
    base, state = stub
    pub = LinePublisher(base, TOKEN)
    first = pub.publish(_post(key="newsdesk-post-7"), _noop)
    again = pub.publish(_post(key="newsdesk-post-7"), _noop)  # e.g. a retry after a timeout
    assert first.external_id == again.external_id and state.created["line"] == 1
    body = state.requests[0][2]["body"]
    assert body == {"messages": [{"type": "text", "text": "北市社宅新進度 https://www.gov.taipei/n/1"}]}


def test_bluesky_session_record_and_facets(stub: Stub) -> None:
    base, state = stub
    saved: dict[str, Any] = {}
    pub = BlueskyPublisher(base, "taipei.example", TOKEN)
    result = pub.publish(_post(), saved.update)
    assert result.external_id.startswith("at://did:plc:taipei/app.bsky.feed.post/")
    # a retry with the stored record key does not create a second post
    pub.publish(_post(state=dict(saved)), saved.update)
    assert state.created["bluesky"] == 1
    with pytest.raises(PublishError) as err:
        BlueskyPublisher(base, "taipei.example", "wrong").publish(_post(), _noop)
    assert err.value.kind == "reconnect"


def test_mastodon_idempotency_key(stub: Stub) -> None:
    base, state = stub
    pub = MastodonPublisher(base, TOKEN)
    a = pub.publish(_post(key="k1"), _noop)
    b = pub.publish(_post(key="k1"), _noop)
    assert a.external_id == b.external_id and state.created["mastodon"] == 1
    assert state.requests[0][2]["headers"]["Idempotency-Key"] == "k1"


def test_network_failure_is_retryable() -> None:
    with pytest.raises(PublishError) as err:
        XPublisher("http://127.0.0.1:9", TOKEN).publish(_post(), _noop)
    assert err.value.kind == "retryable" and err.value.code == "network"
