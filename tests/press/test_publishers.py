"""Each publisher against its platform's stand-in (tests/press/stubs), failure mode by failure mode.

A "try" is one ``publish`` call; what it stored through ``progress`` is handed to the next try as
``state``, as the scheduler does. ``created`` counts what the platform really published.
"""

from __future__ import annotations

import pathlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from press.publishers.base import UNKNOWN, Outgoing, Published, PublishError, x_weighted_length
from press.publishers.bluesky import BlueskyPublisher
from press.publishers.facebook import FacebookPublisher
from press.publishers.http import Api
from press.publishers.instagram import InstagramPublisher
from press.publishers.line import LinePublisher
from press.publishers.mastodon import MastodonPublisher
from press.publishers.threads import ThreadsPublisher
from press.publishers.x import XPublisher
from press.publishers.youtube import QUANTUM, YouTubePublisher
from tests.press.stubs import TOKEN, Answer, Drop, Pass, Platforms, Reject, graph_error
from tests.press.stubs import youtube as youtube_stub

IMAGE = {"url": "https://media.example/a.jpg", "type": "image/jpeg", "bytes": 200_000}
TEXT = "北市社宅新進度 https://www.gov.taipei/n/1?a=1&b=2"
T0 = datetime(2024, 9, 2, 1, 0, tzinfo=UTC)
Stub = tuple[str, Platforms]


class Tries:
    """Successive tries of one post, keeping what each stored, on a clock shared with the stub."""

    def __init__(self, state: Platforms, text: str = TEXT, **kw: Any) -> None:
        self.stub, self.saved, self.now = state, {}, T0
        self.kw = {"post_id": 7, "platform": "x", "text": text, "key": "newsdesk-post-7", **kw}
        state.now = self.now

    def post(self) -> Outgoing:
        return Outgoing(**self.kw, state=dict(self.saved), now=self.now)

    def later(self, **delta: float) -> None:
        self.now += timedelta(**delta)
        self.stub.now = self.now

    def publish(self, pub: Any) -> Published:
        result: Published = pub.publish(self.post(), self.saved.update)
        return result

    def fails(self, pub: Any) -> PublishError:
        with pytest.raises(PublishError) as err:
            pub.publish(self.post(), self.saved.update)
        return err.value

    def confirm(self, pub: Any) -> Any:
        return pub.confirm(self.post())


def api(base: str) -> Api:
    return Api(base, allow_private=True)


def calls(state: Platforms, method: str, path: str) -> int:
    return sum(1 for m, p, _ in state.requests if (m, p) == (method, path))


def no_token_in_urls(state: Platforms) -> bool:
    return all("access_token" not in r["query"] and "access_token" not in (r["body"] or {})
               for _, _, r in state.requests if isinstance(r["body"], dict | bytes))


# --- Facebook -------------------------------------------------------------------------------------

def facebook(base: str, token: str = TOKEN) -> FacebookPublisher:
    return FacebookPublisher(api(base), "v21.0", "1000", token)


def test_facebook_posts_with_the_token_in_a_header(stub: Stub) -> None:
    base, state = stub
    result = Tries(state, link="https://x.example").publish(facebook(base))
    assert result.external_id.startswith("1000_") and state.created["facebook"] == 1
    method, path, req = state.requests[-1]
    assert (method, path) == ("POST", "/v21.0/1000/feed") and req["body"]["link"] == "https://x.example"
    assert req["headers"]["Authorization"] == f"Bearer {TOKEN}" and no_token_in_urls(state)


def test_facebook_expired_token_and_rate_limit(stub: Stub) -> None:
    base, state = stub
    err = Tries(state).fails(facebook(base, "old-token"))
    assert err.kind == "reconnect" and err.code == "graph-190/463"
    state.fail["graph:feed"].append(graph_error(4, "(#4) Application request limit reached", status=403))
    assert Tries(state).fails(facebook(base)).kind == "retryable" and state.created["facebook"] == 0


def test_facebook_connection_dropped_after_posting_is_confirmed_not_resent(stub: Stub) -> None:
    base, state = stub
    pub, tries = facebook(base), Tries(state)
    state.fail["graph:feed"].append(Drop(after=True))
    assert tries.fails(pub).kind == "unknown"  # never "retryable": a blind retry posted twice
    tries.later(minutes=5)
    found = tries.confirm(pub)
    assert isinstance(found, Published) and found.external_id.startswith("1000_")
    assert state.created["facebook"] == 1 and calls(state, "POST", "/v21.0/1000/feed") == 1


def test_facebook_transient_error_after_posting_is_unknown_too(stub: Stub) -> None:
    base, state = stub
    pub, tries = facebook(base), Tries(state)
    state.fail["graph:feed"].append(Answer(500, {"error": {"message": "An unknown error occurred", "code": 1,
                                                           "is_transient": True}}))
    assert tries.fails(pub).kind == "unknown"
    assert isinstance(tries.confirm(pub), Published) and state.created["facebook"] == 1


def test_facebook_unknown_outcome_not_on_the_page_is_held(stub: Stub) -> None:
    base, state = stub
    pub, tries = facebook(base), Tries(state)
    state.fail["graph:feed"].append(Drop(after=False))  # the client cannot tell this from the case above
    assert tries.fails(pub).kind == "unknown"
    assert tries.confirm(pub) is UNKNOWN and state.created["facebook"] == 0  # a person decides
    assert Tries(state).confirm(pub) is None  # a post never sent needs no check


def test_facebook_photo_post(stub: Stub) -> None:
    base, state = stub
    result = Tries(state, media=[IMAGE]).publish(facebook(base))
    assert result.external_id.startswith("1000_") and state.requests[-1][1] == "/v21.0/1000/photos"


# --- Instagram ------------------------------------------------------------------------------------

def instagram(base: str, polls: int = 5) -> InstagramPublisher:
    return InstagramPublisher(api(base), "v21.0", "1780", TOKEN, polls=polls, interval=0.0)


def test_instagram_container_poll_publish(stub: Stub) -> None:
    base, state = stub
    state.polls_before_ready = 3
    tries = Tries(state, media=[IMAGE], platform="instagram")
    result = tries.publish(instagram(base))
    paths = [(m, p) for m, p, _ in state.requests]
    assert paths[0] == ("POST", "/v21.0/1780/media") and paths[-1] == ("POST", "/v21.0/1780/media_publish")
    assert paths.count(("GET", f"/v21.0/{tries.saved['container_id']}")) == 3
    assert state.requests[0][2]["body"]["image_url"] == IMAGE["url"] and no_token_in_urls(state)
    assert result.external_id == tries.saved["media_id"] and state.created["instagram"] == 1


def test_instagram_publish_answer_lost_then_found_published(stub: Stub) -> None:
    base, state = stub
    pub, tries = instagram(base), Tries(state, media=[IMAGE], platform="instagram")
    state.fail["graph:media_publish"].append(Drop(after=True))
    assert tries.fails(pub).kind == "unknown" and "media_id" not in tries.saved
    found = tries.confirm(pub)  # the container says PUBLISHED; the media id comes from the account's media
    assert isinstance(found, Published) and not found.external_id.startswith("container:")
    again = tries.publish(pub)  # even a blind retry finds it published: never a second post
    assert again.external_id == found.external_id and state.created["instagram"] == 1
    assert calls(state, "POST", "/v21.0/1780/media") == 1


def test_instagram_publish_refused_before_it_happened_is_published_once(stub: Stub) -> None:
    base, state = stub
    pub, tries = instagram(base), Tries(state, media=[IMAGE], platform="instagram")
    state.fail["graph:media_publish"].append(graph_error(2, "Service temporarily unavailable", status=503,
                                                         transient=True))
    assert tries.fails(pub).kind == "unknown"
    assert tries.confirm(pub) is None  # container FINISHED, not published: publishing it is safe
    tries.publish(pub)
    assert state.created["instagram"] == 1 and calls(state, "POST", "/v21.0/1780/media") == 1


def test_instagram_not_ready_and_expired_container(stub: Stub) -> None:
    base, state = stub
    state.polls_before_ready = 100
    tries = Tries(state, media=[IMAGE], platform="instagram")
    err = tries.fails(instagram(base, polls=2))
    assert err.kind == "retryable" and err.code == "container-not-ready"
    tries.later(hours=25)  # unpublished containers expire after 24 hours
    state.polls_before_ready = 1
    tries.publish(instagram(base))
    assert calls(state, "POST", "/v21.0/1780/media") == 2 and state.created["instagram"] == 1


def test_instagram_validation() -> None:
    pub = instagram("http://127.0.0.1:9")
    big = {"url": "https://m.example/big.jpg", "type": "image/jpeg", "bytes": 9_500_000}
    post = Outgoing(1, "instagram", "x", media=[big])
    assert pub.validate(post) == ["instagram: https://m.example/big.jpg is 9.5 MB, the limit is 8.0 MB"]
    local = {"path": "/tmp/a.png", "type": "image/png", "bytes": 10}
    problems = pub.validate(Outgoing(1, "instagram", "x", media=[local]))
    assert any("allowed: image/jpeg" in p for p in problems) and any("public URL" in p for p in problems)
    assert pub.validate(Outgoing(1, "instagram", "x")) == ["instagram: needs at least 1 media file(s)"]
    tags = " ".join(f"#t{i}" for i in range(31))
    assert "instagram: 31 hashtags, at most 30 allowed" in pub.validate(Outgoing(1, "instagram", tags, media=[IMAGE]))


# --- Threads --------------------------------------------------------------------------------------

def test_threads_text_post_limits_and_lost_answer(stub: Stub) -> None:
    base, state = stub
    pub = ThreadsPublisher(api(base), "v1.0", "2900", TOKEN, polls=3, interval=0.0)
    tries = Tries(state, text="臺北市 #社宅", platform="threads")
    state.fail["threads:threads_publish"].append(Drop(after=False))
    assert tries.fails(pub).kind == "unknown"
    assert tries.confirm(pub) is None  # the container is FINISHED, not published
    tries.publish(pub)
    first = state.requests[0]
    assert first[1] == "/v1.0/2900/threads" and first[2]["body"]["media_type"] == "TEXT"
    assert state.created["threads"] == 1 and calls(state, "POST", "/v1.0/2900/threads") == 1
    assert pub.validate(Outgoing(1, "threads", "字" * 501)) == ["threads: text is 501 characters, the limit is 500"]
    assert pub.validate(Outgoing(1, "threads", "#a #b")) == ["threads: 2 hashtags, at most 1 allowed"]


# --- YouTube --------------------------------------------------------------------------------------

@pytest.fixture
def video(tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "v.mp4"
    path.write_bytes(bytes(range(256)) * (5 * QUANTUM // 256 + 100))  # 5 quanta and a bit
    return {"path": str(path), "type": "video/mp4", "bytes": path.stat().st_size}


def youtube(base: str) -> YouTubePublisher:
    return YouTubePublisher(api(base), TOKEN, chunk=2 * QUANTUM)


def _puts(state: Platforms) -> list[dict[str, Any]]:
    return [r for m, p, r in state.requests if m == "PUT" and r["headers"].get("Content-Range", "")[6:7] != "*"]


def test_youtube_uploads_in_chunks_from_disk_and_follows_the_reported_range(
        stub: Stub, video: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    base, state = stub
    state.youtube["keep_at_most"] = QUANTUM  # the server keeps less than it is sent, and says so
    monkeypatch.setattr(pathlib.Path, "read_bytes", lambda self: pytest.fail("the video was read whole"))
    pub, tries = youtube(base), Tries(state, text="說明", title="市長記者會", media=[video])
    assert pub.validate(Outgoing(1, "youtube", "說明", title="標題<>", media=[video])) == [
        "youtube: title and description may not contain < or >"]
    result = tries.publish(pub)
    start = state.requests[0][2]
    assert start["query"] == {"uploadType": "resumable", "part": "snippet,status"}
    assert start["headers"]["X-Upload-Content-Length"] == str(video["bytes"])
    assert start["body"]["snippet"]["title"] == "市長記者會"
    puts = _puts(state)
    assert all(r["headers"]["Content-Range"].startswith("bytes ") for r in puts)
    starts = [int(r["headers"]["Content-Range"][6:].split("-")[0]) for r in puts]
    assert starts == [i * QUANTUM for i in range(len(starts))]  # each chunk from where the server kept
    assert result.external_id.startswith("vid") and state.created["youtube"] == 1


def test_youtube_resumes_after_a_5xx_and_a_restart(stub: Stub, video: dict[str, Any]) -> None:
    base, state = stub
    pub, tries = youtube(base), Tries(state, text="說明", title="市長記者會", media=[video])
    state.fail["youtube:put"] += [Pass(), Answer(503, {"error": {"code": 503, "message": "Backend Error"}})]
    err = tries.fails(pub)  # chunk 1 kept; chunk 2 kept but answered 503
    assert err.kind == "retryable" and tries.saved["upload_url"]
    result = YouTubePublisher(api(base), TOKEN, chunk=2 * QUANTUM).publish(tries.post(), tries.saved.update)
    assert result.external_id.startswith("vid") and state.created["youtube"] == 1
    assert calls(state, "POST", youtube_stub.PATH) == 1  # the same session, resumed
    assert state.youtube["bytes_received"] == video["bytes"]  # no byte sent twice


def test_youtube_expired_session_starts_a_new_one(stub: Stub, video: dict[str, Any]) -> None:
    base, state = stub
    pub, tries = youtube(base), Tries(state, text="說明", title="市長記者會", media=[video])
    state.fail["youtube:put"].append(Reject(503, {"error": {"code": 503, "message": "Backend Error"}}))
    tries.fails(pub)
    youtube_stub.expire(state, 404)
    result = tries.publish(pub)  # the status check answers 404: a new session, not the same 404 again
    assert result.external_id and calls(state, "POST", youtube_stub.PATH) == 2
    youtube_stub.expire(state, 410)  # nothing open any more; a new post's session expiring with 410
    other = Tries(state, text="說明2", title="第二支影片", media=[video], post_id=8)
    state.fail["youtube:put"].append(Reject(503, {"error": {"code": 503, "message": "Backend Error"}}))
    other.fails(pub)
    youtube_stub.expire(state, 410)
    assert other.publish(pub).external_id != result.external_id
    assert state.created["youtube"] == 2


def test_youtube_lost_final_answer_is_found_through_the_session(stub: Stub, video: dict[str, Any]) -> None:
    base, state = stub
    pub, tries = youtube(base), Tries(state, text="說明", title="市長記者會", media=[video])
    state.fail["youtube:put"] += [Pass(), Pass(), Drop(after=True)]
    tries.fails(pub)
    assert tries.saved["sent_all"] is True
    found = tries.confirm(pub)
    assert isinstance(found, Published) and tries.publish(pub).external_id == found.external_id
    assert state.created["youtube"] == 1
    youtube_stub.expire(state, 404)  # had the session expired meanwhile, nobody could tell: held
    assert tries.confirm(pub) is not UNKNOWN  # (this one finished; finished sessions stay readable)
    gone = Tries(state, text="說明3", title="第三支", media=[video], post_id=9)
    state.fail["youtube:put"] += [Pass(), Pass(), Drop(after=False)]
    gone.fails(pub)
    youtube_stub.expire(state, 404)
    assert gone.confirm(pub) is UNKNOWN and state.created["youtube"] == 1


def test_youtube_session_url_on_another_host_is_refused(stub: Stub, video: dict[str, Any],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    base, state = stub
    real = youtube_stub._start

    def elsewhere(state: Platforms, request: Any) -> Any:
        status, body, headers = real(state, request)
        return status, body, {"Location": headers["Location"].replace("127.0.0.1", "localhost")}

    monkeypatch.setattr(youtube_stub, "_start", elsewhere)
    err = Tries(state, text="說明", title="標題", media=[video]).fails(youtube(base))
    assert err.kind == "permanent" and err.code == "refused-host" and not _puts(state)


# --- X --------------------------------------------------------------------------------------------

def test_x_v2_post_and_weighted_length(stub: Stub) -> None:
    base, state = stub
    pub = XPublisher(api(base), TOKEN)
    assert Tries(state).publish(pub).external_id
    assert state.requests[-1][2]["body"] == {"text": TEXT}
    assert state.requests[-1][2]["headers"]["Authorization"] == f"Bearer {TOKEN}"
    assert x_weighted_length("臺北" + " https://a.example/very/long/path") == 4 + 1 + 23
    assert pub.validate(Outgoing(1, "x", "字" * 141)) == ["x: text is 282 characters (weighted), the limit is 280"]
    assert Tries(state, text="another").fails(XPublisher(api(base), "bad")).kind == "reconnect"


def test_x_lost_answer_is_found_in_the_timeline(stub: Stub) -> None:
    base, state = stub
    pub, tries = XPublisher(api(base), TOKEN), Tries(state)
    state.fail["x:tweets"].append(Drop(after=True))
    assert tries.fails(pub).kind == "unknown"
    found = tries.confirm(pub)  # matched although X gives the text back with t.co links and &amp;
    assert isinstance(found, Published) and state.created["x"] == 1
    # resending would have met X's duplicate check, which is not a promise and names no post: unknown
    err = tries.fails(pub)
    assert err.kind == "unknown" and err.code == "x-duplicate" and state.created["x"] == 1


def test_x_unknown_outcome_without_read_access_is_held(stub: Stub) -> None:
    base, state = stub
    pub, tries = XPublisher(api(base), TOKEN), Tries(state)
    state.x["read"] = False  # the free tier cannot read the account's posts
    state.fail["x:tweets"].append(Drop(after=True))
    tries.fails(pub)
    assert tries.confirm(pub) is UNKNOWN
    state.fail["x:tweets"].append(Reject(429, {"title": "Too Many Requests"}, {"x-rate-limit-reset": "0"}))
    assert Tries(state, text="rate limited").fails(pub).kind == "retryable"
    assert Tries(state).fails(pub).kind == "permanent"  # the same text again, no earlier try: duplicate


# --- LINE -----------------------------------------------------------------------------------------

def test_line_retry_key_within_24_hours_never_sends_twice(stub: Stub) -> None:
    base, state = stub
    pub, tries = LinePublisher(api(base), TOKEN), Tries(state)
    state.fail["line:broadcast"].append(Answer(500, {"message": "An error occurred in the backend"}))
    assert tries.fails(pub).kind == "unknown"  # LINE: a 5xx may still have delivered it
    tries.later(hours=3)
    assert tries.confirm(pub) is None  # within the key's 24 hours a resend is answered 409
    again = tries.publish(pub)
    assert again.external_id and state.created["line"] == 1
    assert state.requests[-1][2]["body"] == {"messages": [{"type": "text", "text": TEXT}]}


def test_line_unknown_outcome_after_24_hours_is_held(stub: Stub) -> None:
    base, state = stub
    pub, tries = LinePublisher(api(base), TOKEN), Tries(state)
    state.fail["line:broadcast"].append(Drop(after=True))
    tries.fails(pub)
    tries.later(hours=25)
    assert tries.confirm(pub) is UNKNOWN  # the key no longer protects: LINE would broadcast again
    tries.publish(pub)  # (what a blind resend does: the stand-in forgot the key, as LINE does)
    assert state.created["line"] == 2


# --- Bluesky --------------------------------------------------------------------------------------

def bluesky(base: str, password: str = TOKEN) -> BlueskyPublisher:
    return BlueskyPublisher(api(base), "taipei.example", password)


def test_bluesky_session_record_and_facets(stub: Stub) -> None:
    base, state = stub
    result = Tries(state).publish(bluesky(base))
    assert result.external_id.startswith("at://did:plc:taipei/app.bsky.feed.post/")
    assert Tries(state).fails(bluesky(base, "wrong")).kind == "reconnect"


def test_bluesky_lost_answer_is_confirmed_with_get_record(stub: Stub) -> None:
    base, state = stub
    pub, tries = bluesky(base), Tries(state)
    state.fail["bluesky:createRecord"].append(Drop(after=True))
    assert tries.fails(pub).kind == "unknown"
    found = tries.confirm(pub)
    assert isinstance(found, Published) and found.external_id.endswith(tries.saved["rkey"])
    assert tries.publish(pub).external_id == found.external_id  # looked up first, not created again
    assert calls(state, "POST", "/xrpc/com.atproto.repo.createRecord") == 1 and state.created["bluesky"] == 1


def test_bluesky_reused_record_key_answers_500_and_is_read_as_published(stub: Stub) -> None:
    base, state = stub
    pub, tries = bluesky(base), Tries(state)
    state.fail["bluesky:createRecord"].append(Answer(500, {"error": "InternalServerError",
                                                           "message": "Internal Server Error"}))
    first = tries.publish(pub)  # 500, then getRecord finds the record: published, not "retryable"
    assert first.external_id.endswith(tries.saved["rkey"]) and state.created["bluesky"] == 1
    # a real reuse of the key (the state lost its lookup) also answers 500 and ends the same way
    assert bluesky(base)._create(bluesky(base)._auth(), tries.saved["rkey"], tries.post(),
                                 tries.saved["created_at"]).status == 500
    state.fail["bluesky:createRecord"].append(Reject(500, {"error": "InternalServerError", "message": "x"}))
    err = Tries(state, text="另一則", post_id=8).fails(pub)
    assert err.kind == "retryable"  # the 500 made nothing (getRecord: RecordNotFound)


def test_bluesky_expired_session_is_renewed(stub: Stub) -> None:
    base, state = stub
    pub = bluesky(base)
    Tries(state).publish(pub)
    state.bluesky["expire_sessions"] = True
    Tries(state, text="第二則", post_id=8).publish(pub)
    assert state.created["bluesky"] == 2 and state.bluesky["sessions"] == 2


# --- Mastodon -------------------------------------------------------------------------------------

def test_mastodon_idempotency_key_within_the_hour(stub: Stub) -> None:
    base, state = stub
    pub, tries = MastodonPublisher(api(base), TOKEN), Tries(state)
    state.fail["mastodon:statuses"].append(Drop(after=True))
    assert tries.fails(pub).kind == "unknown"
    tries.later(minutes=20)
    assert tries.confirm(pub) is None  # the key still holds: resending gets the same status
    tries.publish(pub)
    assert state.created["mastodon"] == 1
    assert {r["headers"]["Idempotency-Key"] for m, p, r in state.requests if m == "POST"} == {"newsdesk-post-7"}


def test_mastodon_after_the_key_window_finds_its_own_post(stub: Stub) -> None:
    base, state = stub
    pub, tries = MastodonPublisher(api(base), TOKEN), Tries(state)
    state.fail["mastodon:statuses"].append(Drop(after=True))
    tries.fails(pub)
    tries.later(hours=2)  # the key is forgotten: a resend would make a second status
    found = tries.confirm(pub)
    assert isinstance(found, Published) and tries.publish(pub).external_id == found.external_id
    assert state.created["mastodon"] == 1 and calls(state, "POST", "/api/v1/statuses") == 1


def test_mastodon_after_the_key_window_resends_what_never_arrived(stub: Stub) -> None:
    base, state = stub
    pub, tries = MastodonPublisher(api(base), TOKEN), Tries(state)
    state.fail["mastodon:statuses"].append(Drop(after=False))
    tries.fails(pub)
    tries.later(hours=2)
    assert tries.confirm(pub) is None
    tries.publish(pub)
    assert state.created["mastodon"] == 1
    keys = [r["headers"]["Idempotency-Key"] for m, p, r in state.requests if m == "POST"]
    assert keys == ["newsdesk-post-7", "newsdesk-post-7.1"]  # a fresh key for the new hour


# --- the client: nothing leaves the policy --------------------------------------------------------

def test_network_failure_before_sending_is_retryable() -> None:
    with pytest.raises(PublishError) as err:
        XPublisher(api("http://127.0.0.1:9"), TOKEN).publish(Outgoing(1, "x", "x"), lambda _: None)
    assert err.value.kind == "retryable" and err.value.code == "network"


def test_private_address_refused_unless_allowed(stub: Stub) -> None:
    base, state = stub
    with pytest.raises(PublishError) as err:
        XPublisher(Api(base), TOKEN).publish(Outgoing(1, "x", "x"), lambda _: None)
    assert err.value.code == "refused-address" and "127.0.0.1" in str(err.value) and not state.requests


def test_redirects_are_not_followed_and_the_token_stays_home(stub: Stub) -> None:
    from tests.press.stubs import serve

    base, state = stub
    with serve() as (other, elsewhere):
        state.fail["x:tweets"].append(Reject(307, None, {"Location": f"{other}/2/tweets"}))
        err = Tries(state).fails(XPublisher(api(base), TOKEN))
        assert err.code == "http-307" and "not followed" in str(err) and not elsewhere.requests
        with pytest.raises(PublishError, match="credentials are sent to no other host"):
            api(base).call("GET", f"{other}/2/users/me", headers={"Authorization": f"Bearer {TOKEN}"})
        assert not elsewhere.requests
