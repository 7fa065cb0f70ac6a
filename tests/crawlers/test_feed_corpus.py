"""feedparser's own test corpus through newsdesk's feed ingestion (HTTP fetch + parse_feed).

Every feed must come through without an unhandled exception (a non-feed raises FeedError, a
failed fetch FetchError); for well-formed feeds the entries must be feedparser's own.
The corpus ships in feedparser's sdist: ``tests/fixtures/crawlers/fetch_feed_corpus.sh`` puts it
in ``var/`` (or point ``NEWSDESK_FEED_CORPUS`` at a ``tests`` folder).
"""

from __future__ import annotations

import mimetypes
import os
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import feedparser
import pytest

from crawlers.feeds import FeedError, _plain, poll_feed
from crawlers.net import FetchError, Http
from pipeline.models import Source
from pipeline.settings import CrawlSettings
from tests.conftest import ROOT

_HEADER = re.compile(rb"^Header:\s+([^:]+):(.+)$", re.MULTILINE)


def _corpus() -> Path | None:
    env = os.environ.get("NEWSDESK_FEED_CORPUS")
    if env:
        return Path(env)
    found = sorted((ROOT / "var").glob("feedparser-*/tests"))
    return found[-1] if found else None


CORPUS = _corpus()
GROUPS = ["wellformed", "illformed", "encoding", "entities", "compression", "http"]


@pytest.fixture(scope="module")
def corpus() -> Path:
    if CORPUS is None or not CORPUS.is_dir():
        pytest.skip("feedparser's test corpus is absent: run tests/fixtures/crawlers/fetch_feed_corpus.sh")
    return CORPUS


def _headers(path: Path, blob: bytes) -> dict[str, str]:
    """The response headers a feed file asks for, as feedparser's own test server sends them."""
    if path.parent.name == "compression":
        return {"Content-Encoding": "gzip" if path.suffix == ".gz" else "deflate",
                "Content-Type": "application/xml"}
    headers = {k.decode().strip(): v.decode().strip() for k, v in _HEADER.findall(blob)}
    headers.setdefault("Content-Type", mimetypes.guess_type(path.name)[0] or "application/octet-stream")
    return headers


@pytest.fixture(scope="module")
def server(corpus: Path) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            path = corpus / self.path.lstrip("/").split("?")[0]
            blob = path.read_bytes() if path.is_file() else b""
            headers = _headers(path, blob)
            self.send_response(int(headers.pop("Status", 200 if path.is_file() else 404)))
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(blob)))
            self.end_headers()
            self.wfile.write(blob)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("group", GROUPS)
def test_corpus_group(group: str, corpus: Path, server: str) -> None:
    files = sorted(p for p in (corpus / group).rglob("*") if p.is_file())
    assert files, f"{corpus / group} is empty"
    http = Http(CrawlSettings(allow_private_hosts=True, timeout=5))
    problems: list[str] = []
    ingested = 0
    for path in files:
        rel = path.relative_to(corpus).as_posix()
        url = f"{server}/{rel}"
        try:
            result = poll_feed(http, Source(name=rel, type="feed", url=url), url)
        except (FeedError, FetchError):
            if group == "wellformed":
                problems.append(f"{rel}: well-formed feed refused")
            continue
        except Exception as exc:  # noqa: BLE001 - the point of the test: report, do not stop
            problems.append(f"{rel}: unhandled {type(exc).__name__}: {exc}")
            continue
        ingested += 1
        if group == "wellformed":
            problems.extend(_compare(rel, path, url, result.entries))
    assert not problems, f"{len(problems)} of {len(files)} feeds:\n" + "\n".join(problems[:30])
    assert ingested > (len(files) // 2 if group != "http" else 0)


def _compare(rel: str, path: Path, url: str, entries: list[Any]) -> list[str]:
    """feedparser's entries for the same bytes and the same response headers as the fetch had."""
    blob = path.read_bytes()
    headers = {k.lower(): v for k, v in _headers(path, blob).items()}
    headers.setdefault("content-location", url)
    expected = feedparser.parse(blob, response_headers=headers).entries
    if len(expected) != len(entries):
        return [f"{rel}: {len(entries)} entries, feedparser gives {len(expected)}"]
    out = []
    for i, (want, got) in enumerate(zip(expected, entries, strict=True)):
        link = want.get("link", "").strip() if isinstance(want.get("link"), str) else ""
        if got.link != link:
            out.append(f"{rel}: entry {i} link {got.link!r} != {link!r}")
        title = _plain(want.get("title", "").strip() if isinstance(want.get("title"), str) else "")
        if got.title != title:
            out.append(f"{rel}: entry {i} title {got.title!r} != {title!r}")
    return out
