"""A real HTTP server on 127.0.0.1 whose routes each test declares, recording every request."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from pipeline.settings import Settings, load_settings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "crawlers"


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


Route = Reply | Callable[[Seen], Reply]


class Site:
    def __init__(self, server: ThreadingHTTPServer) -> None:
        self.server = server
        self.routes: dict[str, Route] = {}
        self.requests: list[Seen] = []

    @property
    def base(self) -> str:
        port = self.server.server_address[1]
        return f"http://127.0.0.1:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def route(self, path: str, route: Route | str | bytes, **headers: str) -> None:
        if isinstance(route, str):
            route = route.encode("utf-8")
        if isinstance(route, bytes):
            ctype = headers.pop("content_type", "text/html; charset=utf-8")
            route = Reply(200, route, {"Content-Type": ctype, **headers})
        self.routes[path] = route

    def hits(self, path: str) -> list[Seen]:
        return [r for r in self.requests if r.path == path]


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            seen = Seen(self.command, parts.path, parse_qs(parts.query), dict(self.headers.items()),
                        self.rfile.read(length) if length else b"")
            site.requests.append(seen)
            route = site.routes.get(parts.path)
            if route is None:
                reply = Reply(404, b"not found", {"Content-Type": "text/plain"})
            else:
                reply = route(seen) if callable(route) else route
            self.send_response(reply.status)
            for k, v in reply.headers.items():
                self.send_header(k, v)
            if "Content-Length" not in reply.headers:
                self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if self.command != "HEAD":
                try:
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        do_GET = do_POST = do_HEAD = _serve

    return Handler


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionResetError | BrokenPipeError):
            return  # the client gave up on purpose (time-out and cut-connection tests): not a server fault
        super().handle_error(request, client_address)


@pytest.fixture
def site() -> Iterator[Site]:
    server = _Server(("127.0.0.1", 0), _handler(Site.__new__(Site)))
    s = Site(server)
    server.RequestHandlerClass = _handler(s)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield s
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def crawl_settings(tmp_path: Path) -> Settings:
    """Settings that may fetch 127.0.0.1, with no politeness delay (tests only)."""
    return load_settings(None, {
        "database_url": f"sqlite:///{tmp_path / 'test.db'}",
        "crawl": {"allow_private_hosts": True, "download_delay": 0, "obey_robots": True, "timeout": 10},
        "sources": [],
    }, use_env=False)
