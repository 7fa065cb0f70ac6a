"""Scrapy's name resolver under the outbound policy: the address Twisted connects to is the one checked.

Scrapy resolves a host once per connection through ``TWISTED_DNS_RESOLVER`` and connects to the
address it returns, so checking the address here (and not in a middleware that looks the name up a
second time) closes the DNS-rebinding gap. Literal IP addresses never reach a resolver; the host
guard middleware checks those.

Hosts in ``NEWSDESK_PRIVATE_HOSTS`` (the hosts of sources allowed to reach private addresses; ``*``
for all, with ``crawl.allow_private_hosts``) may resolve to internal addresses.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from scrapy.crawler import Crawler
from scrapy.resolver import CachingThreadedResolver
from twisted.internet.base import ReactorBase
from twisted.internet.error import DNSLookupError

from pipeline.outbound import refusal


class RefusedAddress(DNSLookupError):
    """The name resolved to an address the policy refuses; the message says which."""


class GuardedResolver(CachingThreadedResolver):
    def __init__(self, reactor: ReactorBase, cache_size: int, timeout: float, private_hosts: Sequence[str]) -> None:
        super().__init__(reactor, cache_size, timeout)
        self.private_hosts = {h.lower().rstrip(".") for h in private_hosts}

    @classmethod
    def from_crawler(cls, crawler: Crawler, reactor: ReactorBase) -> GuardedResolver:
        size = crawler.settings.getint("DNSCACHE_SIZE") if crawler.settings.getbool("DNSCACHE_ENABLED") else 0
        return cls(reactor, size, crawler.settings.getfloat("DNS_TIMEOUT"),
                   crawler.settings.getlist("NEWSDESK_PRIVATE_HOSTS"))

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Any:  # noqa: N802 - Twisted's name
        d = super().getHostByName(name, timeout)
        d.addCallback(self._check, name)
        return d

    def _check(self, address: str, name: str) -> str:
        if "*" in self.private_hosts or name.lower().rstrip(".") in self.private_hosts:
            return address
        reason = refusal(address)
        if reason:
            raise RefusedAddress(f"refused, {name} resolves to a non-public address ({address}: {reason})")
        return address
