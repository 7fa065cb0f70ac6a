"""Local stand-ins for the publishing platforms' APIs, one real HTTP server on 127.0.0.1.

Each platform module (``graph``, ``youtube``, ``x``, ``line``, ``bluesky``, ``mastodon``) is written
from that platform's documentation and known issues, cited in its docstring, never from newsdesk's
code: it checks requests the way the platform does, answers in its shapes, and misbehaves the way
the platform is known to (a reused Bluesky record key answers 500, Mastodon forgets an idempotency key
after an hour, a YouTube session expires with 404, ...).

Failures are injected per route with ``state.fail[route]``, a queue of:

* :class:`Reject`: answer this *instead of* carrying the request out (nothing happened);
* :class:`Drop`: close the connection without an answer, before (``after=False``) or after the
  request was carried out (the post exists, the client never hears it);
* :class:`Answer`: carry the request out, then answer this (a 500 to a create that worked);
* :class:`Hang`: carry the request out, then keep the connection open until ``event`` is set (a test
  kills the client process meanwhile);
* :class:`Pass`: nothing (so a later request of the same route gets the next injection).

``state.created`` counts what each platform really published, so a test can prove "exactly once".
``state.now`` is the platforms' clock (key lifetimes, post times); tests move it with the scheduler's.
"""

from __future__ import annotations

import json
import random
import socket
import threading
import urllib.parse
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "stub-token-123"
Result = tuple[int, Any, dict[str, str]]


class Reject(Exception):
    """Answer ``status``/``body`` instead of carrying the request out."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}


@dataclass
class Drop:
    """Close the connection without answering; ``after``: once the request was carried out."""

    after: bool = True


@dataclass
class Answer:
    """Carry the request out, then answer this instead of the platform's normal answer."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Pass:
    """Carry the request out and answer normally (a place holder in a queue of injections)."""


@dataclass
class Hang:
    """Hold the connection until ``event`` is set, then drop it: ``after`` the request was carried
    out (the post exists), or before (it never will)."""

    after: bool = True
    event: threading.Event = field(default_factory=threading.Event)
    reached: threading.Event = field(default_factory=threading.Event)


Injection = Reject | Drop | Answer | Hang | Pass


class DropConnection(Exception):
    def __init__(self, hang: Hang | None = None) -> None:
        super().__init__("dropped")
        self.hang = hang


def graph_error(code: int, message: str, subcode: int | None = None, status: int = 400,
                transient: bool = False) -> Reject:
    """A Graph API error object (developers.facebook.com/docs/graph-api/guides/error-handling)."""
    err: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbCdEf"}
    if subcode:
        err["error_subcode"] = subcode
    if transient:
        err["is_transient"] = True
    return Reject(status, {"error": err})


@dataclass
class Platforms:
    """State of all stub platforms."""

    fail: dict[str, list[Injection]] = field(default_factory=lambda: defaultdict(list))
    requests: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    created: Counter[str] = field(default_factory=Counter)  # platform → posts really made
    posted_texts: list[tuple[str, str]] = field(default_factory=list)
    token: str = TOKEN
    tokens: dict[str, str] = field(default_factory=dict)  # platform → its own token, where set
    now: datetime | None = None  # the platforms' clock; None: the real one
    failure_rate: float = 0.0  # random refusals (nothing carried out) for load tests
    drop_rate: float = 0.0  # random connections dropped after the request was carried out
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    lock: threading.Lock = field(default_factory=threading.Lock)
    seq: int = 1000
    # per-platform state, owned by the platform modules
    graph: dict[str, Any] = field(default_factory=dict)
    youtube: dict[str, Any] = field(default_factory=dict)
    x: dict[str, Any] = field(default_factory=dict)
    line: dict[str, Any] = field(default_factory=dict)
    bluesky: dict[str, Any] = field(default_factory=dict)
    mastodon: dict[str, Any] = field(default_factory=dict)
    mitake: dict[str, Any] = field(default_factory=dict)
    polls_before_ready: int = 1  # Graph containers: status polls until FINISHED
    hangs: list[Hang] = field(default_factory=list)

    def accepts(self, platform: str, token: str | None) -> bool:
        return token == self.tokens.get(platform, self.token)

    def clock(self) -> datetime:
        return self.now or datetime.now(UTC)

    def next_id(self) -> str:
        self.seq += 1
        return str(self.seq)

    def published(self, platform: str, text: str) -> None:
        self.created[platform] += 1
        self.posted_texts.append((platform, text))

    def injected(self, route: str, pending: list[Injection]) -> None:
        """Take the next injection for ``route``: refusals act now, the others after the action."""
        queue = self.fail.get(route)
        if queue:
            action = queue.pop(0)
            if isinstance(action, Reject):
                raise action
            if isinstance(action, Drop) and not action.after:
                raise DropConnection
            if isinstance(action, Hang):
                self.hangs.append(action)
                if not action.after:
                    raise DropConnection(action)
            pending.append(action)
        elif self.failure_rate and self.rng.random() < self.failure_rate:
            raise random_refusal(self.rng, route)
        elif self.drop_rate and self.rng.random() < self.drop_rate:
            pending.append(Drop(after=True))


def random_refusal(rng: random.Random, route: str) -> Reject:
    """A refusal before anything is carried out: unavailable, rate limited, or a bad request."""
    graph = route.startswith(("graph:", "threads:"))
    pick = rng.random()
    if pick < 0.5:
        return (graph_error(2, "Service temporarily unavailable", status=503, transient=True) if graph
                else Reject(503, {"message": "unavailable"}))
    if pick < 0.8:
        return (graph_error(4, "Application request limit reached") if graph
                else Reject(429, {"title": "Too Many Requests"}, {"Retry-After": "1"}))
    return graph_error(100, "Invalid parameter") if graph else Reject(400, {"message": "bad request"})


@dataclass
class Request:
    """What a platform module sees of one request."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    raw: bytes
    headers: Any
    base: str
    pending: list[Injection]


Route = Callable[[Platforms, Request], Result | None]


def _routes() -> list[Route]:
    from tests.press.stubs import bluesky, graph, line, mastodon, mitake, x, youtube

    return [graph.route, youtube.route, x.route, line.route, bluesky.route, mastodon.route, mitake.route]


class Handler(BaseHTTPRequestHandler):
    server: StubServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _body(self) -> bytes:
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        text = isinstance(body, str)  # a plain-text answer (the SMS gateway's INI lines)
        data = b"" if body is None else body.encode("utf-8") if text else json.dumps(body).encode("utf-8")
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "text/plain; charset=utf-8" if text else "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _drop(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _dispatch(self) -> None:
        parsed = urllib.parse.urlsplit(self.path)
        raw = self._body()
        ctype = self.headers.get("Content-Type", "")
        payload: Any = raw
        if "application/json" in ctype:
            payload = json.loads(raw or b"{}")
        elif "x-www-form-urlencoded" in ctype:
            payload = dict(urllib.parse.parse_qsl(raw.decode("ascii")))
        state = self.server.state
        request = Request(self.command, parsed.path, dict(urllib.parse.parse_qsl(parsed.query)), payload, raw,
                          self.headers, self.server.base, [])
        result: Result | None = None
        hang: Hang | None = None
        with state.lock:
            state.requests.append((self.command, parsed.path, {"query": request.query, "body": payload,
                                                                "headers": dict(self.headers)}))
            try:
                result = next((r for r in (route(state, request) for route in _routes()) if r is not None),
                              None) or (404, {"error": f"no route {self.command} {parsed.path}"}, {})
            except Reject as rej:
                result = (rej.status, rej.body, rej.headers)
            except DropConnection as drop:
                hang = drop.hang
        if hang is not None:
            hang.reached.set()
            hang.event.wait(30)
        if result is None:
            self._drop()
            return
        for action in request.pending:
            if isinstance(action, Hang):
                action.reached.set()
                action.event.wait(30)
                self._drop()
                return
            if isinstance(action, Drop):
                self._drop()
                return
            if isinstance(action, Answer):
                result = (action.status, action.body, action.headers)
        self._send(*result)

    do_GET = do_POST = do_PUT = _dispatch


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
        for hang in state.hangs:  # release hung connections
            hang.event.set()
        server.shutdown()
        server.server_close()


def bearer(request: Request, state: Platforms, platform: str, body: Any | None = None) -> None:
    """``Authorization: Bearer <the platform's token>`` or 401."""
    header = str(request.headers.get("Authorization") or "")
    if not header.startswith("Bearer ") or not state.accepts(platform, header[7:]):
        raise Reject(401, body if body is not None else {"message": "Authentication failed"})


def json_body(request: Request) -> dict[str, Any]:
    return request.body if isinstance(request.body, dict) else {}
