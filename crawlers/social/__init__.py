"""Social collectors: one module per platform, each yielding ``Item(kind="post", engagement={...})``.

A collector receives the source's settings and a :class:`SocialContext` (the bounded HTTP client,
the secrets it may use, and the source's persisted ``state`` for cursors); it raises
:class:`crawlers.net.FetchError` (or :class:`SocialError`) for a failed poll, which the crawl pass
reports in one line and counts against the source.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
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


def get_json(ctx: SocialContext, src: SourceSettings, url: str, params: dict[str, Any] | None = None,
             headers: dict[str, str] | None = None) -> Any:
    """GET a JSON API; an error answer becomes a SocialError that says what the platform said."""
    try:
        resp = ctx.http.get(url, headers={"Accept": "application/json", **(headers or {})}, params=params,
                            ok=(200,))
    except SocialError:
        raise
    except FetchError as exc:
        detail = api_error(exc.body)
        if detail is None:
            raise
        raise SocialError(f"{src.type} source {src.name}: {exc} ({detail})", status=exc.status,
                          retry_after=exc.retry_after or rate_limit_hold(exc.body), body=exc.body) from None
    try:
        return resp.json()
    except ValueError:
        raise SocialError(f"{src.type} source {src.name}: {url} did not answer JSON") from None


def api_error(body: bytes) -> str | None:
    """The message in a platform's JSON error (Graph API, Google APIs, atproto, Mastodon)."""
    import json

    try:
        data = json.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    err = data.get("error")
    if isinstance(err, dict):  # Graph API and Google: {"error": {"message", "code", ...}}
        code = err.get("code")
        reasons = [e.get("reason") for e in err.get("errors") or [] if isinstance(e, dict)]
        hint = GRAPH_HINTS.get(code, "") if isinstance(code, int) else ""
        extra = f", reason {', '.join(r for r in reasons if r)}" if any(reasons) else ""
        return f"code {code}{extra}: {err.get('message', '')}{hint}"
    if isinstance(err, str):  # atproto {"error": "InvalidRequest", "message": ...}; Mastodon {"error": "..."}
        return f"{err}: {data.get('message', '')}".rstrip(": ")
    return None


#: Graph API error codes worth a word to the press office.
GRAPH_HINTS = {
    190: " (access token expired or invalid: reconnect the account and update the token)",
    10: " (permission not granted to this app)",
    4: " (application request limit reached)",
    17: " (user request limit reached)",
    32: " (page request limit reached)",
    613: " (rate limit)",
}
_RATE_CODES = {4, 17, 32, 613}


def rate_limit_hold(body: bytes) -> datetime | None:
    """Graph API rate limits come as HTTP 400/403 with a code, not 429: wait an hour, as Meta advises."""
    import json

    try:
        code = json.loads(body.decode("utf-8")).get("error", {}).get("code")
    except (ValueError, UnicodeDecodeError, AttributeError):
        return None
    if code in _RATE_CODES:
        return datetime.now(UTC) + timedelta(hours=1)
    return None


def post(src: SourceSettings, platform: str, *, url: str, text: str, author: str | None,
         published: datetime | None, engagement: dict[str, int | None], post_id: str,
         title: str | None = None) -> Item:
    """The common shape of a social item."""
    from pipeline.urls import canonical_url

    text = text.strip()
    first = text.split("\n", 1)[0]
    return Item(url=url, title=(title or first[:80]).strip(), text=text, source=src.name, kind="post",
                outlet=platform, published_at=published, authors=[author] if author else [],
                language=src.language, engagement={k: int(v) for k, v in engagement.items() if v is not None},
                canonical_url=canonical_url(url), meta={"platform": platform, "id": post_id})


def need_secret(ctx: SocialContext, src: SourceSettings, name: str) -> str:
    value = ctx.secret(name)
    if not value:
        raise SocialError(f"{src.type} source {src.name}: {name} is not set in the environment")
    return value


#: How long a post is revisited after it was first seen, and how many revisits one poll makes.
REVISIT_HOURS = 48
MAX_REVISITS = 10


@dataclass
class Revisits:
    """The posts a source found recently, to read their engagement again (state key ``track``).

    ``track`` maps a post's id to when it was first seen and last checked (ISO times). Options:
    ``revisit_hours`` (default 48; 0 turns revisits off) and ``max_revisits`` per poll (default 10).
    """

    ctx: SocialContext
    hours: float
    limit: int

    @classmethod
    def of(cls, src: SourceSettings, ctx: SocialContext, limit: int = MAX_REVISITS) -> Revisits:
        return cls(ctx, float(option(src, "revisit_hours", REVISIT_HOURS)),
                   int(option(src, "max_revisits", limit)))

    @property
    def track(self) -> dict[str, dict[str, str]]:
        found = self.ctx.state.get("track")
        if not isinstance(found, dict):
            found = self.ctx.state["track"] = {}
        return found

    def seen(self, ids: list[str], now: datetime | None = None) -> None:
        """Posts found now start being tracked (the ones already tracked keep their first time)."""
        if self.hours <= 0:
            return
        stamp = (now or datetime.now(UTC)).isoformat(timespec="seconds")
        for i in ids:
            self.track.setdefault(i, {"first": stamp, "checked": stamp})

    def tracked(self, now: datetime | None = None) -> set[str]:
        """Ids still inside the window (older ones are forgotten here)."""
        now = now or datetime.now(UTC)
        cutoff = now - timedelta(hours=self.hours)
        for key in [k for k, v in self.track.items() if datetime.fromisoformat(v["first"]) < cutoff]:
            del self.track[key]
        return set(self.track)

    def due(self, exclude: set[str] | frozenset[str] = frozenset(), now: datetime | None = None) -> list[str]:
        """Up to ``limit`` tracked ids, least recently checked first."""
        live = self.tracked(now) - set(exclude)
        order = sorted(live, key=lambda k: self.track[k]["checked"])
        return order[: max(0, self.limit)]

    def checked(self, ids: list[str], now: datetime | None = None) -> None:
        stamp = (now or datetime.now(UTC)).isoformat(timespec="seconds")
        for i in ids:
            if i in self.track:
                self.track[i]["checked"] = stamp


def revisited(items: list[Item]) -> list[Item]:
    """Mark items as revisits of posts already collected (the engagement stage updates them)."""
    for item in items:
        item.meta["revisit"] = True
    return items
