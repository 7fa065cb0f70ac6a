"""The outlet registry: one declaration per outlet, checked when the module is imported.

Adding an outlet is a few lines in :mod:`crawlers.outlets.taiwan`: its name, domains, language,
feeds (and sitemaps or listing pages) and the parser that reads its pages.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from crawlers.parsers import Parser


class RegistryError(ValueError):
    """An outlet declaration is incomplete or duplicates another one."""


@dataclass(frozen=True)
class Outlet:
    name: str  # short key used in settings (``outlet = "cna"``)
    title: str  # the outlet's own name, e.g. 中央社
    domains: tuple[str, ...]
    language: str
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    listings: tuple[str, ...] = ()
    parser: Parser = field(default_factory=Parser)
    aliases: tuple[str, ...] = ()  # other names the outlet prints (titles, bylines): never a headline or author

    def owns(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        return any(host == d or host.endswith("." + d) for d in self.domains)


def check(outlets: Iterable[Outlet]) -> dict[str, Outlet]:
    """Validate declarations: every field filled in, no name or domain declared twice."""
    by_name: dict[str, Outlet] = {}
    by_domain: dict[str, str] = {}
    for o in outlets:
        missing = [f for f in ("name", "title", "domains", "language") if not getattr(o, f)]
        if not (o.feeds or o.sitemaps or o.listings):
            missing.append("feeds/sitemaps/listings")
        if missing:
            raise RegistryError(f"outlet {o.name or '?'!r}: incomplete declaration, "
                                f"missing {', '.join(missing)}")
        if not isinstance(o.parser, Parser):
            raise RegistryError(f"outlet {o.name!r}: parser must be a crawlers.parsers.Parser")
        if o.name in by_name:
            raise RegistryError(f"outlet {o.name!r} is declared twice")
        for d in o.domains:
            if d in by_domain:
                raise RegistryError(f"domain {d!r} is declared by both {by_domain[d]!r} and {o.name!r}")
            by_domain[d] = o.name
        by_name[o.name] = o
    return by_name


def _load() -> dict[str, Outlet]:
    from crawlers.outlets.taiwan import OUTLETS

    return check(OUTLETS)


REGISTRY: dict[str, Outlet] = _load()


def find_outlet(url: str) -> Outlet | None:
    """The outlet whose domain serves ``url`` (the most specific domain wins), or None."""
    host = (urlsplit(url).hostname or "").lower()
    best: tuple[int, Outlet] | None = None
    for outlet in REGISTRY.values():
        for d in outlet.domains:
            if (host == d or host.endswith("." + d)) and (best is None or len(d) > best[0]):
                best = (len(d), outlet)
    return best[1] if best else None


def outlet_names() -> tuple[str, ...]:
    """Every name a registered outlet goes by, plus other Taiwanese media's (titles and bylines)."""
    from crawlers.outlets.taiwan import OTHER_NAMES

    names = [n for o in REGISTRY.values() for n in (o.title, *o.aliases)]
    return tuple(dict.fromkeys(names + list(OTHER_NAMES)))


def get_outlet(name: str) -> Outlet:
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown outlet {name!r}; known: {', '.join(sorted(REGISTRY))}") from None
