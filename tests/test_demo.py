"""`newsdesk demo` end to end: the sample site, the real crawler stack, the shipped model, Slack."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from slack_sdk.models.blocks import Block

from newsdesk.cli import main
from tests.notifications.slack_stub import TOKEN, SlackStub


def _flagged_titles(db: Path) -> list[str]:
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT title, text FROM items WHERE flagged")).all()
    engine.dispose()
    return [title or text for title, text in rows]


def test_demo_alerts_to_slack_with_valid_block_kit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "demo.db"
    with SlackStub(channels=("press-alerts",)) as stub:
        monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
        monkeypatch.setenv("SLACK_API_URL", stub.url)
        result = CliRunner().invoke(main, ["demo", "--database", str(db)], catch_exceptions=False)
        messages = stub.messages("press-alerts")
    assert result.exit_code == 0, result.output
    assert re.search(r"items collected:\s+13\b", result.output)
    assert re.search(r"second pass:\s+0 new items", result.output)
    flagged = _flagged_titles(db)
    assert flagged, "the demo's sample site has negative stories about the city: some must be flagged"
    top_level = [m for m in messages if m.thread_ts is None]
    assert len(top_level) >= 1
    for message in messages:
        assert message.blocks, "every alert is a Block Kit message"
        for block in message.blocks:
            Block.parse(block).validate_json()  # raises on a block Slack would reject
    shown = " ".join(m.text for m in messages)
    assert any(title[:10] in shown for title in flagged)
    assert f"alerts queued / sent: {len(messages)} / {len(messages)} via slack" in result.output


def test_demo_alerts_to_console_without_a_token(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["demo", "--database", str(tmp_path / "d.db")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "sentiment model:" in result.output
    assert result.output.count("[ALERT]") == len(_flagged_titles(tmp_path / "d.db"))
