"""Scrapy downloader middlewares: the host guard and Retry-After handling.

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
from crawlers.resolver import RefusedAddress
from pipeline import outbound
from pipeline.outbound import Hosts, origin


class RefusedRequest(IgnoreRequest):
    """A request refused by newsdesk's guard; the message names the URL and the reason."""


class HostGuardMiddleware:
    """Every request (redirect hops and robots.txt included) must stay on its job's hosts, and a
    literal IP address must be public unless the job's source may reach private addresses.

    Names are checked where they are resolved (:class:`crawlers.resolver.GuardedResolver`), so the
    address checked is the address connected to. robots.txt requests carry no job: they are held to
    the hosts of the job whose site they belong to (remembered when its first page was requested).
    """

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private
        self._checked: dict[tuple[str, bool], str | None] = {}
        self._sites: dict[tuple[str, str, int], tuple[Hosts, bool]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HostGuardMiddleware:
        return cls(crawler.settings.getbool("NEWSDESK_ALLOW_PRIVATE_HOSTS"))

    def process_request(self, request: Request) -> None:
        first = (request.meta.get("redirect_urls") or [request.url])[0]
        hosts, allow_private = self._rules(request, first)
        if not hosts.allows(request.url):
            host = urlsplit(request.url).hostname or ""
            raise RefusedRequest(f"{first}: redirect to another host ({host}) refused")
        problem = self._literal(request.url, allow_private or self.allow_private)
        if problem is not None:
            raise RefusedRequest(problem if first == request.url else f"{first}: redirected to {problem}")

    def _rules(self, request: Request, first: str) -> tuple[Hosts, bool]:
        job = request.meta.get("job")
        if job is not None:
            rules = (Hosts.for_url(job["url"], request.meta.get("allowed_hosts") or []),
                     bool(request.meta.get("allow_private")))
            self._sites.setdefault(origin(request.url), rules)
            return rules
        # robots.txt (or another request made by Scrapy itself): its site's job rules, else its own host
        return self._sites.get(origin(first)) or (Hosts.for_url(first), False)

    def _literal(self, url: str, allow_private: bool) -> str | None:
        """Why the URL's address is refused (None: it is not), cached per host.

        A literal address never reaches the resolver, so this check is the one that counts for it.
        A name is looked up here only for a clear message; the address Scrapy connects to is
        checked again where it is resolved (Twisted would report a refusal there as a failed lookup).
        """
        key = (f"{urlsplit(url).scheme}://{urlsplit(url).netloc}", allow_private)
        if key not in self._checked:
            try:
                outbound.check_url(url, None)
                check_host(url, allow_private)
                self._checked[key] = None
            except (FetchError, outbound.Refused) as exc:
                self._checked[key] = str(exc)
        return self._checked[key]


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
    if isinstance(exc, RefusedRequest | BlockedHost | RefusedAddress):
        out["refused"] = True
    return out
