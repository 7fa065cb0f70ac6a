"""Per-channel pacing: Slack allows about one message per second per channel (bursts briefly)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


class ChannelRateLimiter:
    """At most ``per_second`` messages per channel, spaced evenly; ``wait`` says how long until the next.

    The outbox asks before each send and skips a channel that is not ready rather than sleeping, so one
    busy channel never holds up the others.
    """

    def __init__(self, per_second: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        if per_second <= 0:
            raise ValueError("per_second must be positive")
        self.interval = 1.0 / per_second
        self.clock = clock
        self._last: dict[str, float] = {}

    def wait(self, channel: str) -> float:
        """Seconds until ``channel`` may receive another message (0 when it may now)."""
        last = self._last.get(channel)
        return 0.0 if last is None else max(0.0, last + self.interval - self.clock())

    def mark(self, channel: str) -> None:
        """Record a send to ``channel`` now."""
        self._last[channel] = self.clock()

    def penalise(self, channel: str, seconds: float) -> None:
        """The platform asked us to back off (``Retry-After``): hold the channel that long."""
        self._last[channel] = self.clock() + seconds - self.interval


class RedisRateLimiter:
    """The same pacing shared by every worker through Redis (``run --engine celery``).

    ``wait`` reserves the channel's next slot atomically (``SET key NX PX interval``): of two workers
    asking at once exactly one gets 0 and may send; ``mark`` restarts the interval from the end of the
    send; ``penalise`` holds the channel for Slack's ``Retry-After``.
    """

    def __init__(self, client: Any, per_second: float = 1.0, prefix: str = "newsdesk:rate:") -> None:
        if per_second <= 0:
            raise ValueError("per_second must be positive")
        self.client, self.prefix = client, prefix
        self.interval = 1.0 / per_second

    def _key(self, channel: str) -> str:
        return f"{self.prefix}{channel}"

    def wait(self, channel: str) -> float:
        if self.client.set(self._key(channel), "1", nx=True, px=max(1, int(self.interval * 1000))):
            return 0.0
        ttl = self.client.pttl(self._key(channel))
        return max(0.001, ttl / 1000) if ttl and ttl > 0 else 0.001

    def mark(self, channel: str) -> None:
        self.client.set(self._key(channel), "1", px=max(1, int(self.interval * 1000)))

    def penalise(self, channel: str, seconds: float) -> None:
        self.client.set(self._key(channel), "1", px=max(1, int(seconds * 1000)))
