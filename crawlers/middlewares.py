"""Scrapy downloader middlewares: the SSRF/host guard and Retry-After handling.

Both sit in ``DOWNLOADER_MIDDLEWARES`` (see :mod:`crawlers.spiders`); a redirect makes a new
request that goes through ``process_request`` again, so every hop is checked.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from crawlers.net import BlockedHost, FetchError, check_host, retry_after


class RefusedRequest(IgnoreRequest):
    """A request refused by newsdesk's guard; the message names the URL and the reason."""


class HostGuardMiddleware:
    """Refuse private addresses (unless allowed) and hosts outside the request's ``allowed_hosts``."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private
        self._checked: dict[str, str | None] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HostGuardMiddleware:
        return cls(crawler.settings.getbool("NEWSDESK_ALLOW_PRIVATE_HOSTS"))

    def process_request(self, request: Request) -> None:
        if urlsplit(request.url).path == "/robots.txt":
            allowed: list[str] = []
        else:
            allowed = request.meta.get("allowed_hosts") or []
        host = (urlsplit(request.url).hostname or "").lower()
        if allowed and not any(host == d or host.endswith("." + d) for d in allowed):
            origin = (request.meta.get("redirect_urls") or [request.url])[0]
            raise RefusedRequest(f"{origin}: redirect to another host ({host}) refused")
        key = f"{urlsplit(request.url).scheme}://{urlsplit(request.url).netloc}"
        if key not in self._checked:
            try:
                check_host(request.url, self.allow_private)
                self._checked[key] = None
            except FetchError as exc:
                self._checked[key] = str(exc)
        problem = self._checked[key]
        if problem is not None:
            raise RefusedRequest(problem if "redirect_urls" not in request.meta
                                 else f"{request.meta['redirect_urls'][0]}: redirected to {problem}")


class RetryAfterMiddleware:
    """429/503 with ``Retry-After``: wait and retry when the wait is short, else give up and say until when.

    Without the header the response goes on to Scrapy's ``RetryMiddleware`` as usual.
    """

    def __init__(self, max_wait: float, max_times: int) -> None:
        self.max_wait = max_wait
        self.max_times = max_times

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        return cls(crawler.settings.getfloat("NEWSDESK_MAX_RETRY_WAIT", 10.0),
                   crawler.settings.getint("RETRY_TIMES", 2))

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if response.status not in (429, 503):
            return response
        header = response.headers.get("Retry-After")
        until = retry_after(header.decode("latin-1") if header else None)
        if until is None:
            return response
        wait = max(0.0, (until - datetime.now(UTC)).total_seconds())
        tries = request.meta.get("retry_after_times", 0)
        if wait > self.max_wait or tries >= self.max_times:
            message = f"{request.url}: HTTP {response.status}, retry after {until.isoformat()}"
            raise RateLimited(message, until)
        await asyncio.sleep(wait)
        retry = request.replace(dont_filter=True)
        retry.meta["retry_after_times"] = tries + 1
        return retry


class RateLimited(IgnoreRequest):
    def __init__(self, message: str, until: datetime) -> None:
        super().__init__(message)
        self.until = until


def guard_error(exc: BaseException) -> dict[str, Any]:
    """What the spider reports for a failed request."""
    out: dict[str, Any] = {"error": str(exc) or type(exc).__name__}
    if isinstance(exc, RateLimited):
        out["retry_after"] = exc.until.isoformat()
    if isinstance(exc, RefusedRequest | BlockedHost):
        out["refused"] = True
    return out
