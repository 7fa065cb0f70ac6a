"""The :class:`Notifier` protocol, the message an alert carries, and the console and recording notifiers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TextIO
from zoneinfo import ZoneInfo

TAIPEI = ZoneInfo("Asia/Taipei")


@dataclass
class AlertMessage:
    """What an officer needs to act on a story. Built from a stored item; rendered by each notifier."""

    alert_id: int
    title: str
    url: str
    outlet: str
    published_at: datetime | None
    score: float
    label: str
    model: str
    agencies: list[str] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)
    priority: str | None = None
    cluster_id: int | None = None
    outlets_count: int = 1
    reach: int = 0
    #: Unique per (notifier, channel, story[, copy]); Slack keeps it in the message metadata so a
    #: message sent just before a crash can be found again instead of being sent twice.
    idempotency_key: str = ""
    #: Set for a later copy of a story: the ``ts`` of the story's first message (Slack thread).
    thread_ts: str | None = None
    #: ``item`` (a story), ``copy`` (a later copy, in the story's thread), ``spike`` or ``system``;
    #: a spike carries its statistics and top stories in ``details`` (see notifications/spike.py).
    kind: str = "item"
    details: dict[str, Any] = field(default_factory=dict)
    #: The alert decision's reasons, in the office's words (pipeline/decision): why it needs a response.
    reasons: list[str] = field(default_factory=list)

    def local_time(self) -> str:
        if self.published_at is None:
            return "時間不明"
        return self.published_at.astimezone(TAIPEI).strftime("%Y-%m-%d %H:%M")


@dataclass
class Delivery:
    """The result of sending: the platform's message id (Slack ``ts``) and the channel it went to."""

    channel: str
    external_id: str | None = None


class NotifierError(Exception):
    """A failed send, classified so the outbox knows what to do next.

    ``retry_after`` (seconds) is the platform's own hint, if it gave one; ``maybe_sent`` means the
    request may have reached the platform (a timeout), so the next try must look before resending.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, maybe_sent: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.maybe_sent = maybe_sent


class TransientError(NotifierError):
    """Worth retrying later with back-off: rate limits, server errors, timeouts."""


class PermanentError(NotifierError):
    """Retrying cannot help until a person acts (bot not in the channel, message rejected): dead-letter."""


class NotifierUnavailable(NotifierError):
    """The notifier cannot send anything (revoked token): keep every alert and stop this pass."""


class Notifier(Protocol):
    """Sends alerts. ``name`` is stored with each alert; ``send`` raises on failure."""

    name: str

    def send(self, message: AlertMessage, channel: str) -> Delivery: ...


class ConsoleNotifier:
    """Prints one line per alert: the default when no Slack token is set."""

    name = "console"

    def __init__(self, stream: TextIO | None = None) -> None:
        import sys

        self.stream = stream or sys.stdout

    def send(self, message: AlertMessage, channel: str) -> Delivery:
        if message.kind in ("spike", "system"):
            from notifications.spike import plain_text

            self.stream.write(plain_text(message) + "\n")
            self.stream.flush()
            return Delivery(channel=channel)
        agencies = "、".join(message.agencies) or "未分派"
        self.stream.write(
            f"[ALERT] {message.local_time()} {message.outlet} | {message.title} | 需回應 {message.score:.2f}"
            f" | {agencies} | {message.url}\n")
        self.stream.flush()
        return Delivery(channel=channel)


class RecordingNotifier:
    """A fake for tests: records what would have been sent."""

    name = "recording"

    def __init__(self) -> None:
        self.sent: list[tuple[str, AlertMessage]] = []

    def send(self, message: AlertMessage, channel: str) -> Delivery:
        self.sent.append((channel, message))
        return Delivery(channel=channel, external_id=str(len(self.sent)))
