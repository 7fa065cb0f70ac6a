"""Social collectors: one module per platform, each yielding ``Item(kind="post", engagement={...})``.

A collector receives the source's settings and a :class:`SocialContext` (the bounded HTTP client,
the secrets it may use, and the source's persisted ``state`` for cursors); it raises
:class:`crawlers.net.FetchError` (or :class:`SocialError`) for a failed poll, which the crawl pass
reports in one line and counts against the source.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Protocol

from crawlers.net import FetchError, Http
from pipeline.items import Item
from pipeline.settings import Settings, SourceSettings


class SocialError(FetchError):
    """The platform answered with an error (bad token, unknown board, ...); names the source."""


@dataclass
class SocialContext:
    settings: Settings
    http: Http
    state: dict[str, Any] = field(default_factory=dict)

    def secret(self, name: str) -> str | None:
        value = self.settings.secret(name)
        return value.get_secret_value() if value else None


class Collector(Protocol):
    """Poll one social source; return new posts (newest data first is fine, order is not relied on)."""

    def __call__(self, src: SourceSettings, ctx: SocialContext, /) -> list[Item]: ...


#: source type → module in this package whose ``collect`` function is the collector.
COLLECTORS: dict[str, str] = {
    "ptt": "ptt",
    "dcard": "dcard",
    "threads": "meta",
    "facebook": "meta",
    "instagram": "meta",
    "youtube": "youtube",
    "mastodon": "mastodon",
    "bluesky": "bluesky",
}


def get_collector(source_type: str) -> Collector:
    try:
        module = COLLECTORS[source_type]
    except KeyError:
        raise KeyError(f"no social collector for source type {source_type!r}") from None
    collect: Collector = importlib.import_module(f"crawlers.social.{module}").collect
    return collect


def option(src: SourceSettings, key: str, default: Any = None) -> Any:
    return src.options.get(key, default)
