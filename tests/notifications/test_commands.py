"""The notification commands through click's runner, on the test database."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newsdesk.cli import main
from notifications.outbox import enqueue
from pipeline.models import Alert
from pipeline.settings import Settings
from tests.notifications.factories import stored_item
from tests.notifications.slack_stub import SlackStub


@pytest.fixture
def run(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    return CliRunner()


@pytest.fixture
def dead(sessions: sessionmaker[Session]) -> int:
    with sessions() as s:
        alert = enqueue(s, stored_item(s, title="北捷 <!channel>"), "#press-alerts", "slack")
        assert alert is not None
        alert.status, alert.attempts, alert.last_error = "dead", 12, "PermanentError: not_in_channel"
        s.commit()
        return alert.id


def test_failed_lists_dead_alerts(run: CliRunner, dead: int) -> None:
    result = run.invoke(main, ["alerts", "failed"])
    assert result.exit_code == 0, result.output
    assert f"#{dead} dead slack #press-alerts tries 12: PermanentError: not_in_channel" in result.output
    row = json.loads(run.invoke(main, ["alerts", "failed", "--json"]).output)
    assert row["id"] == dead and row["status"] == "dead"


def test_retry_needs_ids_or_all(run: CliRunner) -> None:
    result = run.invoke(main, ["alerts", "retry"])
    assert result.exit_code == 2 and "--all" in result.output


def test_retry_resends_through_slack(run: CliRunner, dead: int, slack_env: SlackStub,
                                     sessions: sessionmaker[Session]) -> None:
    result = run.invoke(main, ["alerts", "retry", str(dead)])
    assert result.exit_code == 0, result.output
    assert "1 alert(s) queued again" in result.output and "slack: 1 sent, 0 failed" in result.output
    assert len(slack_env.messages("press-alerts")) == 1
    with sessions() as s:
        assert s.scalars(select(Alert)).one().status == "sent"
    assert "no failed alerts" in run.invoke(main, ["alerts", "failed"]).output


def test_retry_with_a_revoked_token_says_so(run: CliRunner, dead: int, slack_env: SlackStub) -> None:
    slack_env.revoked = True
    result = run.invoke(main, ["alerts", "retry", "--all"])
    assert result.exit_code == 1 and "invalid_auth" in result.output and slack_env.token not in result.output


def test_digest_prints_and_writes_the_chart(run: CliRunner, sessions: sessionmaker[Session],
                                            tmp_path: Path) -> None:
    with sessions() as s:
        stored_item(s, agency="交通局", published_at=datetime.now(UTC) - timedelta(hours=1))
        s.commit()
    png = tmp_path / "d.png"
    result = run.invoke(main, ["digest", "--since", "24h", "--png", str(png)])
    assert result.exit_code == 0, result.output
    assert "每日輿情摘要" in result.output and "1. 交通局：1 則報導、1 則新聞事件，負面 1 則" in result.output
    assert png.read_bytes().startswith(b"\x89PNG")
    assert json.loads(run.invoke(main, ["digest", "--json"]).output) == {
        "交通局": {"mentions": 1, "negative": 1, "previous": 0, "stories": 1, "spike": False}}


def test_digest_rejects_a_bad_period(run: CliRunner) -> None:
    result = run.invoke(main, ["digest", "--since", "yesterday"])
    assert result.exit_code == 2 and "--since" in result.output


def test_slack_serve_needs_secrets(run: CliRunner) -> None:
    result = run.invoke(main, ["slack", "serve"])
    assert result.exit_code == 1 and "SLACK_SIGNING_SECRET" in result.output
