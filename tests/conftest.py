"""Shared fixtures: settings on a temporary SQLite file, sessions, and the ../shared data folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from pipeline.db import open_database
from pipeline.settings import ENVIRONMENT, Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@pytest.fixture(autouse=True)
def _no_user_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see the developer's own config, database or tokens."""
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def shared_data() -> Path:
    """``../shared/data``; tests that need it skip with a reason in a clone that has none."""
    data = SHARED / "data"
    if not data.is_dir():
        pytest.skip(f"{data} is absent (the team's shared data ships beside the checkout, not in it)")
    return data


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(None, {"database_url": f"sqlite:///{tmp_path / 'test.db'}"}, use_env=False)


@pytest.fixture
def sessions(settings: Settings) -> Iterator[sessionmaker[Session]]:
    factory = open_database(settings.database_url)
    yield factory
    factory.kw["bind"].dispose()


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as s:
        yield s


@pytest.fixture(params=["sqlite", "postgresql"])
def backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL on each backend: SQLite, then PostgreSQL (skipped without a server)."""
    from tests.backends import url_for

    yield from url_for(request.param, tmp_path)
