"""One outbound HTTP policy for crawlers, social collectors and publishers.

* **Connect to the address that was checked.** A name is resolved once per connection, every address
  it resolves to is checked, and the socket connects to one of exactly those addresses
  (:class:`AddressPolicy`, used by the connection classes of :func:`guarded_session`). A second
  resolution between check and connect (DNS rebinding) cannot happen.
* **No internal addresses** unless allowed for that source: private, loopback, link-local, shared
  (100.64/10), reserved and multicast addresses are refused, also when embedded in IPv6 forms that
  reach them (IPv4-mapped ``::ffff:a.b.c.d``, IPv4-compatible ``::a.b.c.d``, NAT64 ``64:ff9b::/96``
  and ``64:ff9b:1::/48``, 6to4 ``2002::/16``, Teredo ``2001::/32``).
* **Every redirect hop is checked** against the source's allowed hosts (:class:`Hosts`) before it is
  requested, and **credentials never go to another origin**: ``Authorization``, cookies and API-key
  headers are dropped when a redirect leaves the origin (:func:`redirect_headers`).
* Sessions ignore the environment's proxies and ``.netrc`` (``trust_env = False``): a proxy would
  resolve names itself, and ``.netrc`` would add credentials newsdesk did not choose to send.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.poolmanager import PoolManager
from urllib3.util import connection as u3connection

Resolver = Callable[[str, int], list[str]]
CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-goog-api-key",
                                "x-api-key"})
DEFAULT_PORTS = {"http": 80, "https": 443}
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")


class Refused(Exception):  # noqa: N818 - reads as "outbound.Refused"
    """A request the policy refuses (address, scheme or host); the message says which and why."""


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to, in the system's order, without repeats."""
    found: list[str] = []
    for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        address = str(info[4][0])
        if address not in found:
            found.append(address)
    return found


def refusal(address: str) -> str | None:
    """Why ``address`` is not a public unicast address (None: it is)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            reason = refusal(str(embedded))
            return f"{reason} embedded in {ip}" if reason else None
        if ip in _NAT64_LOCAL:
            return "a local-use NAT64 address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_unspecified or ip.is_reserved:
        return "a reserved address"
    if not ip.is_global:
        return "a private address"
    return None


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 form reaches: mapped, compatible, NAT64, 6to4 or Teredo client."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if int(ip) >> 32 == 0 and int(ip) > 1:  # ::a.b.c.d (deprecated IPv4-compatible form)
        return ipaddress.IPv4Address(int(ip))
    return None


@dataclass(frozen=True)
class AddressPolicy:
    """Which addresses connections may reach; ``resolver`` is the one name lookup (tests swap it)."""

    allow_private: bool = False
    resolver: Resolver | None = None

    def addresses(self, host: str, port: int) -> list[str]:
        """The checked addresses for ``host``; raises :class:`Refused` if any of them is internal.

        One internal answer refuses the name: a host that mixes public and internal answers is the
        shape of a rebinding attack, and trying only the public ones would hide it.
        """
        found = (self.resolver or system_resolver)(host, port)
        if not found:
            raise socket.gaierror(socket.EAI_NONAME, f"{host} has no address")
        if not self.allow_private:
            for address in found:
                reason = refusal(address)
                if reason:
                    raise Refused(f"refused, {host} resolves to a non-public address ({address}: {reason}); "
                                  "set crawl.allow_private_hosts (or the source's allow_private_hosts) "
                                  "to allow it")
        return found


# --- connections that connect only to checked addresses ---------------------------------------------

class _Guarded:
    """Mixed into urllib3's connection classes: resolve once, check, connect to what was checked."""

    policy: AddressPolicy
    _dns_host: str
    host: str
    port: int
    timeout: Any
    source_address: Any
    socket_options: Any

    def _new_conn(self) -> socket.socket:
        try:
            addresses = self.policy.addresses(self._dns_host, self.port)
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc  # type: ignore[arg-type]
        last: OSError | None = None
        for address in addresses:
            try:
                return u3connection.create_connection(
                    (address, self.port), self.timeout, source_address=self.source_address,
                    socket_options=self.socket_options)
            except TimeoutError as exc:
                raise ConnectTimeoutError(
                    self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})") from exc
            except OSError as exc:
                last = exc
        raise NewConnectionError(self, f"Failed to establish a new connection: {last}")  # type: ignore[arg-type]


def _pool_classes(policy: AddressPolicy) -> dict[str, type[HTTPConnectionPool]]:
    conn = type("GuardedHTTPConnection", (_Guarded, HTTPConnection), {"policy": policy})
    tls = type("GuardedHTTPSConnection", (_Guarded, HTTPSConnection), {"policy": policy})
    return {
        "http": type("GuardedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": conn}),
        "https": type("GuardedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": tls}),
    }


class GuardedAdapter(HTTPAdapter):
    """A requests adapter whose pools connect only to addresses the policy checked."""

    def __init__(self, policy: AddressPolicy, **kwargs: Any) -> None:
        self.policy = policy
        super().__init__(**kwargs)

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        manager: PoolManager = self.poolmanager
        manager.pool_classes_by_scheme = _pool_classes(self.policy)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        raise Refused(f"proxy {proxy} refused: a proxy would resolve names itself")


def guarded_session(policy: AddressPolicy) -> requests.Session:
    """A requests session that connects only where ``policy`` allows and never follows redirects."""
    session = requests.Session()
    session.trust_env = False
    adapter = GuardedAdapter(policy)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


# --- hosts a source may reach, and what a redirect may carry -------------------------------------------

def origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower().rstrip("."), parts.port or DEFAULT_PORTS.get(scheme, 0)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Hosts:
    """Where one source's requests (and their redirects) may go.

    The configured URL's own host on its own port (or, for a default port, either default port:
    http→https upgrades), plus ``domains`` and their subdomains on default ports. A ``www.`` host
    also admits its parent domain (``www.example.com`` → ``example.com``, ``feeds.example.com``).
    """

    host: str
    port: int
    domains: tuple[str, ...] = field(default=())

    @classmethod
    def for_url(cls, url: str, domains: Sequence[str] = ()) -> Hosts:
        _, host, port = origin(url)
        extra = [d.lower().strip(".") for d in domains if d]
        if host.startswith("www.") and not _is_ip(host):
            extra.append(host[4:])
        return cls(host, port, tuple(dict.fromkeys(extra)))

    def allows(self, url: str) -> bool:
        scheme, host, port = origin(url)
        if scheme not in DEFAULT_PORTS or not host:
            return False
        default = port in DEFAULT_PORTS.values()
        if host == self.host and (port == self.port or (default and self.port in DEFAULT_PORTS.values())):
            return True
        if not default or _is_ip(host):
            return False
        return any(host == d or host.endswith("." + d) for d in self.domains if not _is_ip(d))


def check_url(url: str, hosts: Hosts | None) -> None:
    """Refuse a URL that is not http(s) with a host, or is outside the source's allowed hosts."""
    scheme, host, _ = origin(url)
    if scheme not in DEFAULT_PORTS or not host:
        raise Refused(f"{url}: only http(s) URLs with a host are fetched")
    if hosts is not None and not hosts.allows(url):
        raise Refused(f"redirect to another host ({host}) refused")


def redirect_headers(headers: Mapping[str, str], old: str, new: str) -> dict[str, str]:
    """The headers to send to the redirect target: credentials only while the origin stays the same
    (and never from https down to http)."""
    same = origin(old) == origin(new)
    return {k: v for k, v in headers.items() if same or k.lower() not in CREDENTIAL_HEADERS}
