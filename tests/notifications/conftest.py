"""Fixtures: a Slack stub on 127.0.0.1 and a SlackNotifier pointed at it through the environment."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from notifications.base import AlertMessage
from notifications.slack import SlackNotifier
from pipeline.settings import Settings
from tests.notifications.slack_stub import TOKEN, SlackStub


@pytest.fixture
def stub() -> Iterator[SlackStub]:
    with SlackStub(channels=("press-alerts", "mrt-alerts", "critical"), stall=2.0) as s:
        yield s


@pytest.fixture
def slack_env(stub: SlackStub, monkeypatch: pytest.MonkeyPatch) -> SlackStub:
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("SLACK_API_URL", stub.url)
    return stub


@pytest.fixture
def notifier(slack_env: SlackStub, settings: Settings) -> SlackNotifier:
    n = SlackNotifier.from_settings(settings, timeout=1)
    n.limiter.interval = 0.0  # pacing has its own tests; these check payloads
    return n


def make_message(alert_id: int = 1, **kw: object) -> AlertMessage:
    base: dict[str, object] = dict(
        alert_id=alert_id, title="北捷板南線列車故障 乘客受困車廂", url="https://news.example.tw/a/1",
        outlet="cna", published_at=datetime(2024, 9, 2, 1, 30, tzinfo=UTC), score=0.91, label="negative",
        model="builtin@1", agencies=["捷運公司"], terms=["北捷", "列車"], priority="high",
        idempotency_key=f"slack:#press-alerts:item:{alert_id}")
    base.update(kw)
    return AlertMessage(**base)  # type: ignore[arg-type]
