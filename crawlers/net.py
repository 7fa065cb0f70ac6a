"""Polite, bounded HTTP for feeds and APIs: no SSRF, no gzip bombs, no endless bodies.

The outbound policy is :mod:`pipeline.outbound`'s: every connection goes to an address that was
checked when the name was resolved (no second lookup), private and loopback addresses (also in
NAT64/6to4/IPv4-mapped forms) are refused unless allowed for the source, every redirect hop must stay
on the source's hosts, and credentials never follow a redirect to another origin.
"""

from __future__ import annotations

import http.cookiejar
import socket
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin

import requests
import urllib3

from pipeline import outbound
from pipeline.outbound import AddressPolicy, Hosts, Refused, Resolver
from pipeline.redact import redact
from pipeline.settings import CrawlSettings

MAX_REDIRECTS = 5
CHUNK = 64 * 1024


class FetchError(Exception):
    """A fetch failed; the message names the URL (credentials masked). ``retry_after`` is set for 429/503."""

    def __init__(self, message: str, *, status: int | None = None,
                 retry_after: datetime | None = None, body: bytes = b"") -> None:
        super().__init__(redact(message))
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
    return outbound.system_resolver(host, 0)


def check_host(url: str, allow_private: bool, resolver: Resolver | None = None) -> None:
    """Refuse non-HTTP schemes, and hosts that resolve to internal addresses unless allowed.

    A pre-check with a clear message; the connection itself is guarded again where it is made
    (:func:`pipeline.outbound.guarded_session`, :class:`crawlers.resolver.GuardedResolver`).
    """
    try:
        outbound.check_url(url, None)
        _, host, port = outbound.origin(url)
        AddressPolicy(allow_private, resolver).addresses(host, port)
    except Refused as exc:
        raise BlockedHost(f"{url}: {exc}") from None
    except (socket.gaierror, UnicodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise FetchError(f"{url}: cannot resolve host {outbound.origin(url)[1]!r}: {reason}") from None


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
    """GETs under the outbound policy, following redirects itself so that each hop is checked.

    ``hosts``: where this source's requests and their redirects may go (None: each request's own
    host). ``allow_private``: this source may reach internal addresses (default
    ``crawl.allow_private_hosts``). :meth:`for_source` gives a view with a source's own rules that
    shares the connection pools.
    """

    def __init__(self, crawl: CrawlSettings, *, resolver: Resolver | None = None,
                 hosts: Hosts | None = None, allow_private: bool | None = None,
                 _sessions: dict[bool, requests.Session] | None = None) -> None:
        self.crawl = crawl
        self.resolver = resolver
        self.hosts = hosts
        self.allow_private = crawl.allow_private_hosts if allow_private is None else allow_private
        self._sessions = {} if _sessions is None else _sessions

    @classmethod
    def from_settings(cls, crawl: CrawlSettings) -> Http:
        return cls(crawl)

    def for_source(self, hosts: Hosts | None, allow_private: bool = False) -> Http:
        return Http(self.crawl, resolver=self.resolver, hosts=hosts,
                    allow_private=self.crawl.allow_private_hosts or allow_private, _sessions=self._sessions)

    @property
    def session(self) -> requests.Session:
        found = self._sessions.get(self.allow_private)
        if found is None:
            found = outbound.guarded_session(AddressPolicy(self.allow_private, self.resolver))
            found.headers["User-Agent"] = self.crawl.user_agent
            found.headers["Accept-Encoding"] = "gzip, deflate"
            # no cookie jar: a cookie set by one host must not travel to another (PTT sends its own)
            found.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
            self._sessions[self.allow_private] = found
        return found

    def get(self, url: str, headers: dict[str, str] | None = None, params: dict[str, Any] | None = None,
            *, ok: tuple[int, ...] = (200, 304)) -> Response:
        hosts = self.hosts or Hosts.for_url(url)
        history: list[str] = []
        current, sent = url, dict(headers or {})
        for _ in range(MAX_REDIRECTS + 1):
            try:
                outbound.check_url(current, hosts)
            except Refused as exc:
                raise BlockedHost(f"{url}: {exc}" if history else f"{current}: {exc}") from None
            resp = self._send(current, sent, params if not history else None)
            if resp.status in (301, 302, 303, 307, 308) and "location" in resp.headers:
                history.append(current)
                target = urljoin(current, resp.headers["location"])
                sent = outbound.redirect_headers(sent, current, target)
                current = target
                continue
            resp.history = history
            if resp.status not in ok:
                # Never resp.url: it carries the query string, where API keys travel.
                raise FetchError(f"{url}: HTTP {resp.status}" + (f" (via {current})" if history else ""),
                                 status=resp.status, retry_after=_retry_at(resp.headers),
                                 body=resp.body[:8192])
            return resp
        raise FetchError(f"{url}: more than {MAX_REDIRECTS} redirects")

    def _send(self, url: str, headers: dict[str, str], params: dict[str, Any] | None) -> Response:
        try:
            r = self.session.get(url, headers=headers, params=params, stream=True, allow_redirects=False,
                                 timeout=self.crawl.timeout)
        except Refused as exc:
            raise BlockedHost(f"{url}: {exc}") from None
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
