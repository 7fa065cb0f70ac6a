"""The :class:`Notifier` protocol, the message an alert carries, and the console and recording notifiers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, TextIO
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

    def local_time(self) -> str:
        return self.published_at.astimezone(TAIPEI).strftime("%Y-%m-%d %H:%M") if self.published_at else "時間不明"


@dataclass
class Delivery:
    """The result of sending: the platform's message id (Slack ``ts``) and the channel it went to."""

    channel: str
    external_id: str | None = None


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
        agencies = "、".join(message.agencies) or "未分派"
        self.stream.write(
            f"[ALERT] {message.local_time()} {message.outlet} | {message.title} | 負面 {message.score:.2f}"
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
