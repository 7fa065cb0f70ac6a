"""Press fixtures: stub platform servers on 127.0.0.1 and settings pointing every platform at them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from pipeline.db import open_database
from pipeline.models import Release
from pipeline.settings import Settings, load_settings
from press.workflow import approve, submit
from tests.press.stubs import TOKEN, Platforms, serve

TOKENS = (
    "META_ACCESS_TOKEN",
    "THREADS_ACCESS_TOKEN",
    "YOUTUBE_ACCESS_TOKEN",
    "X_ACCESS_TOKEN",
    "LINE_CHANNEL_ACCESS_TOKEN",
    "BLUESKY_APP_PASSWORD",
    "MASTODON_ACCESS_TOKEN",
)
ACCOUNTS = {
    "facebook": "1000",
    "instagram": "1780",
    "threads": "2900",
    "youtube": "",
    "x": "",
    "line": "",
    "bluesky": "taipei.example",
    "mastodon": "",
}


@pytest.fixture(autouse=True)
def _no_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in TOKENS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def stub() -> Iterator[tuple[str, Platforms]]:
    with serve() as running:
        yield running


def live_overrides(base: str, tmp_path: Path, **press: Any) -> dict[str, Any]:
    platforms = {
        name: {
            "enabled": True,
            "dry_run": False,
            "base_url": base,
            "allow_private_hosts": True,  # the stub platforms listen on 127.0.0.1
            "account": account,
            "slots": [],
            "poll_interval": 0.01,
        }
        for name, account in ACCOUNTS.items()
    }
    return {
        "database_url": f"sqlite:///{tmp_path / 'press.db'}",
        "press": {
            "platforms": platforms,
            "feed": {"path": str(tmp_path / "releases.xml")},
            "media_base_url": "https://media.example.gov.taipei/",
            **press,
        },
    }


@pytest.fixture
def live_settings(tmp_path: Path, stub: tuple[str, Platforms], monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name in TOKENS:
        monkeypatch.setenv(name, TOKEN)
    return load_settings(None, live_overrides(stub[0], tmp_path), use_env=False)


@pytest.fixture
def live_sessions(live_settings: Settings) -> Iterator[sessionmaker[Session]]:
    factory = open_database(live_settings.database_url)
    yield factory
    factory.kw["bind"].dispose()


def approved_release(
    session: Session,
    settings: Settings,
    title: str = "北市社宅新進度",
    body: str = "",
    author: str = "amy",
    url: str | None = "https://www.gov.taipei/News_Content.aspx?n=1",
) -> Release:
    from press.drafting import draft

    release = draft(
        session,
        settings,
        kind="release",
        author=author,
        title=title,
        agency="都發局",
        body=body or "臺北市政府今日宣布社會住宅新進度。\n第二段說明。",
    )
    release.url = url
    submit(session, release, author)
    approve(session, release, "boss", settings)
    session.flush()
    return release
