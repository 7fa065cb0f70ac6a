"""Polite, bounded HTTP for feeds and APIs: no SSRF, no gzip bombs, no endless bodies.

Every hop of a redirect is checked again: a configured URL can never lead newsdesk to a private
or loopback address unless ``crawl.allow_private_hosts`` is set (the demo and the tests set it).
"""

from __future__ import annotations

import ipaddress
import socket
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import urllib3

from pipeline.settings import CrawlSettings

MAX_REDIRECTS = 5
CHUNK = 64 * 1024


class FetchError(Exception):
    """A fetch failed; the message names the URL. ``retry_after`` is set for 429/503."""

    def __init__(self, message: str, *, status: int | None = None,
                 retry_after: datetime | None = None, body: bytes = b"") -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after
        self.body = body  # the error response (APIs explain themselves in it)


class BlockedHost(FetchError):
    """The URL (or a redirect) points at a private, loopback or otherwise internal address."""


@dataclass
class Response:
    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    history: list[str] = field(default_factory=list)

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")

    def json(self) -> Any:
        import json

        return json.loads(self.body.decode("utf-8"))


def resolve(host: str) -> list[str]:
    """The addresses ``host`` resolves to (a literal IP resolves to itself)."""
    return [str(info[4][0]) for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)]


def check_host(url: str, allow_private: bool) -> None:
    """Refuse non-HTTP schemes, and hosts that resolve to internal addresses unless allowed."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BlockedHost(f"{url}: only http(s) URLs with a host are fetched")
    if allow_private:
        return
    try:
        addresses = resolve(parts.hostname)
    except socket.gaierror as exc:
        raise FetchError(f"{url}: cannot resolve host {parts.hostname!r}: {exc.strerror}") from None
    for address in addresses:
        ip = ipaddress.ip_address(address)
        if not ip.is_global or ip.is_multicast:
            raise BlockedHost(f"{url}: refused, {parts.hostname} resolves to a non-public address ({ip}); "
                              "set crawl.allow_private_hosts to allow it")


def retry_after(value: str | None, now: datetime | None = None) -> datetime | None:
    """``Retry-After`` as an absolute time (it may be seconds or an HTTP date)."""
    if not value:
        return None
    now = now or datetime.now(UTC)
    value = value.strip()
    if value.isdigit():
        return now + timedelta(seconds=min(int(value), 7 * 86400))
    try:
        dt = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


class Http:
    """A requests session that follows redirects itself so that each hop is checked."""

    def __init__(self, crawl: CrawlSettings, session: requests.Session | None = None) -> None:
        self.crawl = crawl
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = crawl.user_agent
        self.session.headers["Accept-Encoding"] = "gzip, deflate"

    @classmethod
    def from_settings(cls, crawl: CrawlSettings) -> Http:
        return cls(crawl)

    def get(self, url: str, headers: dict[str, str] | None = None, params: dict[str, Any] | None = None,
            *, ok: tuple[int, ...] = (200, 304)) -> Response:
        history: list[str] = []
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            check_host(current, self.crawl.allow_private_hosts)
            resp = self._send(current, headers, params if not history else None)
            if resp.status in (301, 302, 303, 307, 308) and "location" in resp.headers:
                history.append(current)
                current = urljoin(current, resp.headers["location"])
                continue
            resp.history = history
            if resp.status not in ok:
                # Never resp.url: it carries the query string, where API keys travel.
                raise FetchError(f"{url}: HTTP {resp.status}" + (f" (via {current})" if history else ""),
                                 status=resp.status, retry_after=_retry_at(resp.headers),
                                 body=resp.body[:8192])
            return resp
        raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects")

    def _send(self, url: str, headers: dict[str, str] | None, params: dict[str, Any] | None) -> Response:
        try:
            r = self.session.get(url, headers=headers, params=params, stream=True, allow_redirects=False,
                                 timeout=self.crawl.timeout)
        except requests.RequestException as exc:
            raise FetchError(f"{url}: {_reason(exc)}") from None
        try:
            body = read_limited(r, self.crawl.max_page_bytes, url)
        finally:
            r.close()
        return Response(url=r.url, status=r.status_code, headers={k.lower(): v for k, v in r.headers.items()},
                        body=body)


def read_limited(r: requests.Response, limit: int, url: str) -> bytes:
    """Read and decompress a body, refusing more than ``limit`` bytes either way (gzip bombs)."""
    encoding = r.headers.get("content-encoding", "").lower().strip()
    decomp: Any = None
    first = True
    out = bytearray()
    try:
        for chunk in r.raw.stream(CHUNK, decode_content=False):
            if first:
                decomp, first = _decompressor(encoding, chunk), False
            if decomp is None:
                out += chunk
            else:
                out += decomp.decompress(chunk, limit + 1 - len(out))
            if len(out) > limit:
                raise FetchError(f"{url}: body larger than {limit} bytes (crawl.max_page_bytes); not read")
        if decomp is not None:
            out += decomp.flush()
    except zlib.error as exc:
        raise FetchError(f"{url}: corrupt {encoding} body: {exc}") from None
    except requests.RequestException as exc:
        raise FetchError(f"{url}: {_reason(exc)}") from None
    except (OSError, urllib3.exceptions.HTTPError) as exc:  # truncated chunked body, reset, ...
        raise FetchError(f"{url}: connection broken: {exc}") from None
    if len(out) > limit:
        raise FetchError(f"{url}: body larger than {limit} bytes (crawl.max_page_bytes); not read")
    return bytes(out)


def _decompressor(encoding: str, head: bytes) -> Any:
    """A decompressor for what the body really is: servers send plain bodies labelled gzip, and
    "deflate" both with and without the zlib header (as feedparser's test corpus shows)."""
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS) if head[:2] == b"\x1f\x8b" else None
    if encoding == "deflate":
        if head[:1] == b"\x78":
            return zlib.decompressobj()
        return None if head.lstrip()[:1] == b"<" else zlib.decompressobj(-zlib.MAX_WBITS)
    return None


def _retry_at(headers: dict[str, str]) -> datetime | None:
    """``Retry-After``, else Mastodon-style ``X-RateLimit-Reset`` (an ISO time)."""
    found = retry_after(headers.get("retry-after"))
    if found is None and headers.get("x-ratelimit-reset"):
        try:
            found = datetime.fromisoformat(headers["x-ratelimit-reset"].replace("Z", "+00:00"))
        except ValueError:
            return None
    return found


def _reason(exc: Exception) -> str:
    """Why a request failed, without the exception text: it may quote the URL with its API key."""
    if isinstance(exc, requests.Timeout):
        return "timed out"
    if isinstance(exc, requests.ConnectionError):
        return "cannot connect (host unreachable or refused)"
    return f"request failed ({type(exc).__name__})"
