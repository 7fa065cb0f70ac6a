from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsdesk.cli import main
from pipeline.settings import Settings


def test_draft_review_approve_schedule_publish_through_the_cli(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the feed (press.feed.path, relative) is written here
    env = {"DATABASE_URL": settings.database_url}
    run = CliRunner().invoke
    for name, role in (("amy", "officer"), ("boss", "reviewer")):
        assert run(main, ["users", "add", name, "--role", role, "--no-password"], env=env).exit_code == 0
    body = tmp_path / "body.txt"
    body.write_text("臺北市今日啟用新社宅。\n共 300 戶。", encoding="utf-8")
    r = run(
        main,
        ["press", "draft", "--title", "新社宅啟用", "--agency", "都發局", "--body", str(body), "--as", "amy"],
        env=env,
    )
    assert r.exit_code == 0, r.output
    assert r.output.startswith("draft 1: 新社宅啟用 (都發局)") and "臺北市政府都市發展局新聞稿" in r.output
    assert run(main, ["press", "review", "1", "--as", "amy"], env=env).exit_code == 0
    r = run(main, ["press", "approve", "1", "--as", "amy"], env=env)
    assert r.exit_code == 1 and "amy wrote it and cannot approve it" in r.output
    assert run(main, ["press", "approve", "1", "--as", "boss"], env=env).exit_code == 0
    r = run(main, ["press", "schedule", "1", "--at", "2020-01-01 10:00", "--as", "amy"], env=env)
    assert r.exit_code == 1 and "is in the past" in r.output
    at = (datetime.now(UTC) + timedelta(minutes=5)).astimezone().strftime("%Y-%m-%dT%H:%M%z")
    r = run(
        main,
        [
            "press",
            "schedule",
            "1",
            "--at",
            at,
            "--platform",
            "facebook",
            "--platform",
            "threads",
            "--as",
            "amy",
        ],
        env=env,
    )
    assert r.exit_code == 0, r.output
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    r = run(main, ["press", "publish", "--now", later], env=env)
    assert r.exit_code == 0 and "releases 1, simulated 2" in r.output, r.output  # no tokens: dry run
    assert "新社宅啟用" in (tmp_path / "releases.xml").read_text(encoding="utf-8")
    r = run(main, ["press", "history", "1"], env=env)
    assert [line.split("  ")[2] for line in r.output.splitlines()] == [
        "- → draft",
        "draft → review",
        "review → approved",
        "approved → scheduled",
        "scheduled → published",
    ]
    r = run(main, ["press", "show", "1", "--format", "md"], env=env)
    assert r.output.startswith("# 新社宅啟用")
    r = run(
        main, ["press", "draft", "--kind", "advisory", "--title", "記者會", "--set", "place=市府", "--as", "amy"],
        env=env,
    )
    assert r.exit_code == 1 and "advisory.html.j2, line 4: missing field 'when'" in r.output


def test_every_press_setting_is_documented_in_default_toml() -> None:
    from pipeline.settings import (
        DEFAULT_CONFIG,
        ContactSettings,
        FeedSettings,
        PlatformSettings,
        PressSettings,
    )

    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    for model in (PressSettings, PlatformSettings, FeedSettings, ContactSettings):
        for name in model.model_fields:
            assert f"{name} =" in text or f".{name}]" in text or f".{name}." in text, (
                f"{model.__name__}.{name} is not in default.toml"
            )


def test_draft_opens_the_editor_without_a_body(settings: Settings, tmp_path: Path) -> None:
    # $EDITOR is run on a temporary file; this one replaces the hint line with the body text
    CliRunner().invoke(main, ["users", "add", "amy", "--role", "officer", "--no-password"],
                       env={"DATABASE_URL": settings.database_url})
    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\nprintf "編輯器寫的內文\\n" > "$1"\n', encoding="utf-8")
    editor.chmod(0o755)
    result = CliRunner().invoke(
        main,
        ["press", "draft", "--title", "測試", "--as", "amy"],
        env={"DATABASE_URL": settings.database_url, "EDITOR": str(editor)},
    )
    assert result.exit_code == 0, result.output
    assert "編輯器寫的內文" in result.output
