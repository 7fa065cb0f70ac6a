"""The :class:`Publisher` protocol, what a publisher gets and returns, and how failures are classed.

A publisher validates a post against its platform's documented limits before anything is sent, then
publishes it. Failures are :class:`PublishError` with ``kind``:

* ``retryable``: nothing was published (refused before it was carried out, a connection that never
  opened, a rate limit); try again later;
* ``unknown``: the request may have been carried out (the connection dropped after it was sent, a
  timeout waiting for the answer, a 5xx to a create). Never retry blindly: the scheduler asks
  :meth:`Publisher.confirm` first;
* ``reconnect``: the token is expired or revoked; the post waits and the office is alerted;
* ``permanent``: the post fails.

``progress`` lets a publisher store what it already did (container id, upload session, record key,
when a retry key was first used) before the next step, so a restart resumes instead of posting twice,
and :meth:`Publisher.confirm` can find out what an interrupted try did.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

ErrorKind = Literal["retryable", "unknown", "reconnect", "permanent"]
Progress = Callable[[dict[str, Any]], None]


@dataclass
class Outgoing:
    """One post as handed to a publisher."""

    post_id: int
    platform: str
    text: str
    title: str = ""
    link: str | None = None
    media: list[dict[str, Any]] = field(default_factory=list)  # {"url"|"path", "type", "bytes"}
    key: str = ""  # idempotency key, stable for the post
    state: dict[str, Any] = field(default_factory=dict)  # what earlier tries stored through progress
    now: datetime | None = None  # the scheduler's clock (retry-key windows are measured on it)

    def clock(self) -> datetime:
        return self.now or datetime.now(UTC)


@dataclass
class Published:
    external_id: str
    url: str | None = None


class PublishError(Exception):
    def __init__(self, kind: ErrorKind, code: str, message: str, retry_after: float | None = None) -> None:
        from pipeline.redact import redact

        message = redact(message)  # platforms echo URLs and request fields back in their errors
        super().__init__(f"{code}: {message}")
        self.kind, self.code, self.message, self.retry_after = kind, code, message, retry_after


class Unknown:
    """The answer of :meth:`Publisher.confirm` when the platform cannot tell: hold for a person."""

    _instance: Unknown | None = None

    def __new__(cls) -> Unknown:
        cls._instance = cls._instance or super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = Unknown()
Confirmation = Published | Unknown | None


class Publisher(Protocol):
    """Publishes posts to one platform.

    ``idempotent``: publishing again after an interrupted try cannot create a second post on its own
    (retry key, stored container, record key, upload session); :meth:`confirm` is still asked first.
    """

    name: str
    idempotent: bool
    daily_limit: int | None

    def validate(self, post: Outgoing) -> list[str]:
        """Problems that would make the platform refuse the post (empty: fine)."""
        ...

    def publish(self, post: Outgoing, progress: Progress) -> Published:
        """Publish; raise :class:`PublishError`."""
        ...

    def confirm(self, post: Outgoing) -> Confirmation:
        """What became of an earlier try whose outcome is unknown (``post.state`` holds what it stored).

        The scheduler calls this before publishing a post that a process left ``publishing`` (a
        crash, an expired lease) or whose last try ended ``unknown``. Answers:

        * :class:`Published`: the post is on the platform (its id); record it, never send again;
        * ``None``: it is not, and publishing again cannot make a second one; go ahead;
        * :data:`UNKNOWN`: the platform cannot tell; hold the post for a person.

        Raises :class:`PublishError` (``retryable``) when the platform cannot be asked right now.
        """
        ...


@dataclass(frozen=True)
class Limits:
    """A platform's documented limits, checked before sending."""

    text_max: int
    weighted: bool = False  # X counts CJK characters twice and links as 23
    media_max: int = 0
    media_min: int = 0
    media_types: tuple[str, ...] = ()
    media_bytes: int = 0
    hashtags_max: int | None = None
    links_max: int | None = None
    public_media: bool = False  # the platform fetches media from a public URL


def x_weighted_length(text: str) -> int:
    """X's weighted length: most CJK counts 2, a URL counts 23 (twitter-text's default config)."""
    import re

    total = 0
    for part in re.split(r"(https?://\S+)", text):
        if part.startswith(("http://", "https://")):
            total += 23
            continue
        for ch in unicodedata.normalize("NFC", part):
            cp = ord(ch)
            light = cp <= 4351 or 8192 <= cp <= 8205 or 8208 <= cp <= 8223 or 8242 <= cp <= 8247
            total += 1 if light else 2
    return total


def media_size(item: dict[str, Any]) -> int | None:
    if item.get("bytes") is not None:
        return int(item["bytes"])
    path = item.get("path")
    return os.path.getsize(path) if path and os.path.exists(path) else None


def check_limits(name: str, limits: Limits, post: Outgoing) -> list[str]:
    """The problems with ``post`` on platform ``name``, each a sentence an officer can act on."""
    import re

    problems = []
    length = x_weighted_length(post.text) if limits.weighted else len(post.text)
    if length > limits.text_max:
        problems.append(
            f"{name}: text is {length:,} characters{' (weighted)' if limits.weighted else ''}, "
            f"the limit is {limits.text_max:,}"
        )
    if not post.text.strip() and not post.media:
        problems.append(f"{name}: the post is empty")
    if limits.hashtags_max is not None:
        tags = len(re.findall(r"(?:^|\s)#\w", post.text))
        if tags > limits.hashtags_max:
            problems.append(f"{name}: {tags} hashtags, at most {limits.hashtags_max} allowed")
    if limits.links_max is not None:
        links = len(re.findall(r"https?://", post.text))
        if links > limits.links_max:
            problems.append(f"{name}: {links} links, at most {limits.links_max} allowed")
    if len(post.media) > limits.media_max:
        problems.append(
            f"{name}: {len(post.media)} media files, at most {limits.media_max} allowed"
            if limits.media_max
            else f"{name}: newsdesk posts text only here; remove the media"
        )
    if len(post.media) < limits.media_min:
        problems.append(f"{name}: needs at least {limits.media_min} media file(s)")
    for item in post.media:
        label = item.get("url") or item.get("path") or "media"
        if limits.media_types and item.get("type") not in limits.media_types:
            problems.append(
                f"{name}: {label} is {item.get('type') or 'of unknown type'}; "
                f"allowed: {', '.join(limits.media_types)}"
            )
        size = media_size(item)
        if limits.media_bytes and size is not None and size > limits.media_bytes:
            problems.append(
                f"{name}: {label} is {size / 1e6:.1f} MB, the limit is {limits.media_bytes / 1e6:.1f} MB"
            )
        if limits.public_media and not str(item.get("url", "")).startswith(("https://", "http://")):
            problems.append(f"{name}: {label} must be at a public URL (set press.media_base_url)")
    return problems


class Validating:
    """Per-platform validation from the class's ``limits``, shared by the publishers."""

    name: str
    limits: Limits
    idempotent: bool = True
    daily_limit: int | None = None

    def validate(self, post: Outgoing) -> list[str]:
        return check_limits(self.name, self.limits, post)


def since(post: Outgoing, key: str) -> float | None:
    """Seconds since the time stored under ``key`` in the post's state (None: never stored)."""
    value = post.state.get(key)
    if not value:
        return None
    return (post.clock() - datetime.fromisoformat(value)).total_seconds()


def stamp(post: Outgoing) -> str:
    return post.clock().astimezone(UTC).isoformat()
