"""Local stand-ins for the platforms' APIs, on 127.0.0.1, that check requests the way each platform
documents them and answer in its documented shapes. ``fail`` queues answers to inject failures;
``created`` counts what each platform actually published (so a test can prove "exactly once")."""

from __future__ import annotations

import json
import random
import re
import threading
import urllib.parse
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "stub-token-123"
TID = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")


class Reject(Exception):
    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}


def graph_error(code: int, message: str, subcode: int | None = None, status: int = 400) -> Reject:
    err: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "Abc"}
    if subcode:
        err["error_subcode"] = subcode
    return Reject(status, {"error": err})


@dataclass
class Platforms:
    """State of all stub platforms; ``fail[route]`` holds queued (status, body) answers."""

    fail: dict[str, list[Reject]] = field(default_factory=lambda: defaultdict(list))
    requests: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    created: Counter[str] = field(default_factory=Counter)  # platform → posts made
    posted_texts: list[tuple[str, str]] = field(default_factory=list)
    containers: dict[str, dict[str, Any]] = field(default_factory=dict)
    polls_before_ready: int = 1
    line_keys: dict[str, str] = field(default_factory=dict)
    mastodon_keys: dict[str, dict[str, Any]] = field(default_factory=dict)
    bsky_rkeys: set[str] = field(default_factory=set)
    uploads: dict[str, dict[str, Any]] = field(default_factory=dict)
    failure_rate: float = 0.0
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    token: str = TOKEN
    lock: threading.Lock = field(default_factory=threading.Lock)
    seq: int = 1000

    def next_id(self) -> str:
        self.seq += 1
        return str(self.seq)

    def injected(self, route: str) -> None:
        if self.fail.get(route):
            raise self.fail[route].pop(0)

    def random_failure(self, route: str, graph: bool) -> None:
        """Random failures for the load test: retryable ones and a few permanent ones."""
        if self.failure_rate and self.rng.random() < self.failure_rate:
            pick = self.rng.random()
            if pick < 0.5:
                raise Reject(
                    503,
                    {"error": {"message": "Service temporarily unavailable", "code": 2, "is_transient": True}}
                    if graph
                    else {"message": "unavailable"},
                )
            if pick < 0.8:
                raise (
                    graph_error(4, "Application request limit reached")
                    if graph
                    else Reject(429, {"title": "Too Many Requests"}, {"Retry-After": "1"})
                )
            raise (
                graph_error(100, "Invalid parameter") if graph else Reject(400, {"message": "bad request"})
            )


class Handler(BaseHTTPRequestHandler):
    server: StubServer

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _body(self) -> bytes:
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = b"" if body is None else json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _dispatch(self, method: str) -> None:
        parsed = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(parsed.query))
        raw = self._body()
        ctype = self.headers.get("Content-Type", "")
        if "application/json" in ctype:
            payload: Any = json.loads(raw or b"{}")
        elif "x-www-form-urlencoded" in ctype:
            payload = dict(urllib.parse.parse_qsl(raw.decode("ascii")))
        else:
            payload = raw
        state = self.server.state
        with state.lock:
            state.requests.append(
                (method, parsed.path, {"query": query, "body": payload, "headers": dict(self.headers)})
            )
            try:
                status, body, headers = route(
                    state, method, parsed.path, query, payload, self.headers, self.server.base
                )
            except Reject as rej:
                status, body, headers = rej.status, rej.body, rej.headers
        self._send(status, body, headers)

    def do_GET(self) -> None:  # noqa: N802
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._dispatch("PUT")


class StubServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: Platforms) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.state = state
        self.base = f"http://127.0.0.1:{self.server_address[1]}"


@contextmanager
def serve(state: Platforms | None = None) -> Iterator[tuple[str, Platforms]]:
    state = state or Platforms()
    server = StubServer(state)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield server.base, state
    finally:
        server.shutdown()
        server.server_close()


def _bearer(headers: Any, state: Platforms) -> None:
    if headers.get("Authorization") != f"Bearer {state.token}":
        raise Reject(401, {"message": "Authentication failed", "title": "Unauthorized"})


def _graph_token(values: dict[str, Any], state: Platforms) -> None:
    if "access_token" not in values:
        raise graph_error(104, "An access token is required to request this resource.")
    if values["access_token"] != state.token:
        raise graph_error(190, "Error validating access token: Session has expired", 463)


def _need(values: dict[str, Any], *names: str) -> None:
    for n in names:
        if not values.get(n):
            raise graph_error(100, f"(#100) The parameter {n} is required")


Result = tuple[int, Any, dict[str, str]]


def route(
    state: Platforms, method: str, path: str, query: dict[str, Any], body: Any, headers: Any, base: str
) -> Result:
    m = re.fullmatch(r"/(v\d+\.\d+)/([^/]+)(?:/(\w+))?", path)
    if m:
        return graph(state, method, m.group(1), m.group(2), m.group(3), query, body)
    if path == "/upload/youtube/v3/videos":
        return youtube(state, method, query, body, headers, base)
    if path == "/2/tweets" and method == "POST":
        return tweets(state, body, headers)
    if path == "/v2/bot/message/broadcast" and method == "POST":
        return line(state, body, headers)
    if path.startswith("/xrpc/") and method == "POST":
        return bluesky(state, path.removeprefix("/xrpc/"), body, headers)
    if path == "/api/v1/statuses" and method == "POST":
        return mastodon(state, body, headers)
    raise Reject(404, {"error": f"no route {method} {path}"})


def graph(
    state: Platforms, method: str, version: str, node: str, edge: str | None, query: dict[str, Any], body: Any
) -> Result:
    values = query if method == "GET" else body
    if not isinstance(values, dict):
        raise graph_error(100, "form-encoded parameters expected")
    _graph_token(values, state)
    threads = version == "v1.0"
    route_key = f"{'threads' if threads else 'graph'}:{edge or 'node'}"
    state.injected(route_key)
    if method == "GET" and edge is None:  # container status
        c = state.containers.get(node)
        if c is None:
            raise graph_error(100, f"Unsupported get request. Object with ID '{node}' does not exist", 33)
        field_name = "status" if threads else "status_code"
        if field_name not in values.get("fields", ""):
            raise graph_error(100, "fields must name the status field")
        if c["status"] == "IN_PROGRESS":
            c["polls"] += 1
            if c["polls"] >= state.polls_before_ready:
                c["status"] = "FINISHED"
        return 200, {field_name: c["status"], "id": node}, {}
    if method != "POST":
        raise graph_error(100, "unsupported")
    if edge == "feed":
        _need(values, "message")
        state.random_failure(route_key, True)
        state.created["facebook"] += 1
        state.posted_texts.append(("facebook", values["message"]))
        return 200, {"id": f"{node}_{state.next_id()}"}, {}
    if edge == "photos":
        _need(values, "url")
        state.created["facebook"] += 1
        pid = state.next_id()
        return 200, {"id": pid, "post_id": f"{node}_{pid}"}, {}
    if edge in ("media", "threads"):
        if threads:
            if values.get("media_type") not in ("TEXT", "IMAGE", "VIDEO", "CAROUSEL"):
                raise graph_error(100, "media_type must be TEXT, IMAGE, VIDEO or CAROUSEL")
            if values["media_type"] == "TEXT":
                _need(values, "text")
            if len(values.get("text", "")) > 500:
                raise graph_error(100, "text is longer than 500 characters")
            if values["media_type"] == "IMAGE":
                _need(values, "image_url")
        else:
            if values.get("media_type") == "REELS":
                _need(values, "video_url")
            else:
                _need(values, "image_url")
        url = values.get("image_url") or values.get("video_url")
        if url and not url.startswith(("http://", "https://")):
            raise graph_error(9004, "Only photo or video can be accepted as media type.", 2207052)
        state.random_failure(route_key, True)
        cid = state.next_id()
        state.containers[cid] = {
            "status": "IN_PROGRESS",
            "polls": 0,
            "owner": node,
            "text": values.get("text") or values.get("caption", ""),
        }
        return 200, {"id": cid}, {}
    if edge in ("media_publish", "threads_publish"):
        _need(values, "creation_id")
        c = state.containers.get(values["creation_id"])
        if c is None or c["owner"] != node:
            raise graph_error(100, "Invalid creation_id")
        if c["status"] == "IN_PROGRESS":
            raise graph_error(9007, "Media ID is not available", 2207027)
        if c["status"] == "PUBLISHED":
            raise graph_error(100, "This media has already been published")
        state.random_failure(route_key, True)
        c["status"] = "PUBLISHED"
        state.created["threads" if threads else "instagram"] += 1
        state.posted_texts.append(("threads" if threads else "instagram", c["text"]))
        return 200, {"id": state.next_id()}, {}
    raise graph_error(100, f"Unknown edge {edge}")


def youtube(
    state: Platforms, method: str, query: dict[str, Any], body: Any, headers: Any, base: str
) -> Result:
    _bearer(headers, state)
    if method == "POST":
        if query.get("uploadType") != "resumable" or not query.get("part"):
            raise Reject(
                400, {"error": {"code": 400, "message": "uploadType=resumable and part are required"}}
            )
        size = headers.get("X-Upload-Content-Length")
        kind = headers.get("X-Upload-Content-Type", "")
        if not size or not (kind.startswith("video/") or kind == "application/octet-stream"):
            raise Reject(400, {"error": {"code": 400, "message": "X-Upload-Content-Length/Type missing"}})
        snippet = body.get("snippet", {}) if isinstance(body, dict) else {}
        if not snippet.get("title") or len(snippet["title"]) > 100 or "<" in snippet["title"]:
            raise Reject(
                400,
                {"error": {"code": 400, "message": "invalid title", "errors": [{"reason": "invalidTitle"}]}},
            )
        state.injected("youtube:start")
        upload_id = uuid.uuid4().hex
        state.uploads[upload_id] = {"size": int(size), "done": None, "meta": body}
        loc = f"{base}/upload/youtube/v3/videos?uploadType=resumable&upload_id={upload_id}"
        return 200, None, {"Location": loc}
    upload = state.uploads.get(query.get("upload_id", ""))
    if upload is None:
        raise Reject(404, {"error": {"code": 404, "message": "upload session not found"}})
    if headers.get("Content-Range", "").startswith("bytes */"):
        if upload["done"]:
            return 200, {"id": upload["done"], "kind": "youtube#video"}, {}
        return 308, None, {}
    state.injected("youtube:put")
    if len(body) != upload["size"]:
        raise Reject(400, {"error": {"code": 400, "message": "size does not match X-Upload-Content-Length"}})
    if upload["done"]:
        return 200, {"id": upload["done"], "kind": "youtube#video"}, {}
    upload["done"] = f"vid{state.next_id()}"
    state.created["youtube"] += 1
    return 201, {"id": upload["done"], "kind": "youtube#video", "snippet": upload["meta"]["snippet"]}, {}


def _x_weight(text: str) -> int:
    from press.publishers.base import x_weighted_length

    return x_weighted_length(text)


def tweets(state: Platforms, body: Any, headers: Any) -> Result:
    _bearer(headers, state)
    if not isinstance(body, dict) or not body.get("text"):
        raise Reject(400, {"title": "Invalid Request", "detail": "text is required"})
    if _x_weight(body["text"]) > 280:
        raise Reject(400, {"title": "Invalid Request", "detail": "Tweet text is too long"})
    if any(t == body["text"] for p, t in state.posted_texts if p == "x"):
        raise Reject(
            403,
            {"title": "Forbidden", "detail": "You are not allowed to create a Tweet with duplicate content."},
        )
    state.random_failure("x", False)
    state.created["x"] += 1
    state.posted_texts.append(("x", body["text"]))
    tid = state.next_id()
    return 201, {"data": {"id": tid, "text": body["text"], "edit_history_tweet_ids": [tid]}}, {}


def line(state: Platforms, body: Any, headers: Any) -> Result:
    _bearer(headers, state)
    key = headers.get("X-Line-Retry-Key")
    if key is not None:
        try:
            uuid.UUID(key)
        except ValueError:
            raise Reject(400, {"message": "The retry key must be a UUID"}) from None
        if key in state.line_keys:
            return (
                409,
                {"message": "The retry key is already accepted"},
                {"x-line-accepted-request-id": state.line_keys[key]},
            )
    messages = body.get("messages") if isinstance(body, dict) else None
    if (
        not messages
        or len(messages) > 5
        or any(m.get("type") != "text" or not m.get("text") for m in messages)
    ):
        raise Reject(400, {"message": "The request body has 1 error(s)"})
    if any(len(m["text"]) > 5000 for m in messages):
        raise Reject(400, {"message": "Length must be between 0 and 5000"})
    state.random_failure("line", False)
    rid = uuid.uuid4().hex
    if key:
        state.line_keys[key] = rid
    state.created["line"] += 1
    return 200, {}, {"x-line-request-id": rid}


def bluesky(state: Platforms, method: str, body: Any, headers: Any) -> Result:
    if method == "com.atproto.server.createSession":
        if body.get("identifier") != "taipei.example" or body.get("password") != state.token:
            raise Reject(
                401, {"error": "AuthenticationRequired", "message": "Invalid identifier or password"}
            )
        return (
            200,
            {
                "did": "did:plc:taipei",
                "handle": "taipei.example",
                "accessJwt": "jwt-access",
                "refreshJwt": "jwt-refresh",
            },
            {},
        )
    if method == "com.atproto.repo.createRecord":
        if headers.get("Authorization") != "Bearer jwt-access":
            raise Reject(401, {"error": "AuthenticationRequired", "message": "Authentication Required"})
        record = body.get("record", {})
        if body.get("repo") != "did:plc:taipei" or body.get("collection") != "app.bsky.feed.post":
            raise Reject(400, {"error": "InvalidRequest", "message": "bad repo or collection"})
        if record.get("$type") != "app.bsky.feed.post" or not record.get("createdAt"):
            raise Reject(400, {"error": "InvalidRequest", "message": "Invalid app.bsky.feed.post record"})
        if len(record.get("text", "")) > 300:
            raise Reject(
                400, {"error": "InvalidRequest", "message": "Record/text must not be longer than 300"}
            )
        for facet in record.get("facets", []):
            text = record["text"].encode("utf-8")
            uri = facet["features"][0]["uri"].encode("utf-8")
            if text[facet["index"]["byteStart"] : facet["index"]["byteEnd"]] != uri:
                raise Reject(400, {"error": "InvalidRequest", "message": "facet byte range does not match"})
        rkey = body.get("rkey")
        if rkey is not None and not TID.match(rkey):
            raise Reject(400, {"error": "InvalidRequest", "message": "Invalid record key"})
        if rkey in state.bsky_rkeys:
            raise Reject(400, {"error": "InvalidRequest", "message": "Record already exists"})
        state.bsky_rkeys.add(rkey or state.next_id())
        state.created["bluesky"] += 1
        return 200, {"uri": f"at://did:plc:taipei/app.bsky.feed.post/{rkey}", "cid": "bafy"}, {}
    raise Reject(404, {"error": "MethodNotImplemented"})


def mastodon(state: Platforms, body: Any, headers: Any) -> Result:
    _bearer(headers, state)
    if not isinstance(body, dict) or not body.get("status"):
        raise Reject(422, {"error": "Validation failed: Text can't be blank"})
    if len(body["status"]) > 500:
        raise Reject(422, {"error": "Validation failed: Text character limit of 500 exceeded"})
    key = headers.get("Idempotency-Key")
    if key and key in state.mastodon_keys:
        return 200, state.mastodon_keys[key], {}
    sid = state.next_id()
    status = {"id": sid, "url": f"https://mastodon.example/@taipei/{sid}", "content": body["status"]}
    if key:
        state.mastodon_keys[key] = status
    state.created["mastodon"] += 1
    return 200, status, {}
