from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session

from newsdesk.cli import main
from pipeline.settings import Settings
from press.roc import roc_date


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
    later = (datetime.now(UTC) + timedelta(days=1)).astimezone(ZoneInfo("Asia/Taipei")).strftime("%Y-%m-%d %H:%M")
    r = run(main, ["press", "publish", "--dry-run", "--at", later], env=env)
    assert r.exit_code == 0, r.output
    assert "3 step(s) due; nothing was changed" in r.output and "release 1: would be published" in r.output
    assert "(facebook, due" in r.output and "would be simulated (dry run" in r.output
    assert run(main, ["press", "publish", "--at", later], env=env).exit_code == 2  # no pretend time for real
    assert len(run(main, ["press", "history", "1"], env=env).output.splitlines()) == 4  # nothing written
    _make_due(settings.database_url)  # time passes: the embargo is over
    r = run(main, ["press", "publish"], env=env)
    assert r.exit_code == 0 and "releases 1, simulated 2" in r.output, r.output  # no tokens: dry run
    assert "新社宅啟用" in (tmp_path / "releases.xml").read_text(encoding="utf-8")
    r = run(main, ["press", "history", "1"], env=env)
    published_at = r.output.splitlines()[-1].split("  ")[0]
    assert published_at.startswith(roc_date(datetime.now(UTC)))  # the real time, not a pretend one
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


def _make_due(url: str) -> None:
    """Move the scheduled times an hour into the past (instead of pretending it is later)."""
    import sqlalchemy as sa

    from pipeline.models import Post, Release

    engine = sa.create_engine(url)
    past = datetime.now(UTC) - timedelta(minutes=1)
    with Session(engine) as s:
        for row in [*s.scalars(sa.select(Release)), *s.scalars(sa.select(Post))]:
            row.scheduled_at = past
        s.commit()
    engine.dispose()


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


def test_draft_opens_the_editor_only_on_a_terminal(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # $EDITOR is run on a temporary file; this one replaces the hint line with the body text
    CliRunner().invoke(main, ["users", "add", "amy", "--role", "officer", "--no-password"],
                       env={"DATABASE_URL": settings.database_url})
    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\nprintf "編輯器寫的內文\\n" > "$1"\n', encoding="utf-8")
    editor.chmod(0o755)
    env = {"DATABASE_URL": settings.database_url, "EDITOR": str(editor)}
    piped = CliRunner().invoke(main, ["press", "draft", "--title", "測試", "--as", "amy"], env=env)
    assert piped.exit_code == 2, piped.output
    assert "no 內文 given, and there is no terminal to open $EDITOR in: give --body FILE" in piped.output
    import newsdesk.commands.press as press_commands

    monkeypatch.setattr(press_commands, "has_terminal", lambda: True)  # CliRunner's streams are no terminal
    on_tty = CliRunner().invoke(main, ["press", "draft", "--title", "測試", "--as", "amy"], env=env)
    assert on_tty.exit_code == 0, on_tty.output
    assert "編輯器寫的內文" in on_tty.output


def test_an_empty_body_cannot_go_to_review(settings: Settings) -> None:
    env = {"DATABASE_URL": settings.database_url}
    run = CliRunner().invoke
    assert run(main, ["users", "add", "amy", "--role", "officer", "--no-password"], env=env).exit_code == 0
    r = run(main, ["press", "draft", "--title", "空白", "--set", "body=", "--no-edit", "--as", "amy"], env=env)
    assert r.exit_code == 0, r.output
    assert "no press contact is configured for 秘書處" in r.stderr  # said, not a placeholder printed
    r = run(main, ["press", "review", "1", "--as", "amy"], env=env)
    assert r.exit_code == 1 and "release 1 has an empty body: write it first" in r.output
