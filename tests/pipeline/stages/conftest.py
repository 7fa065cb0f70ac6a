"""Helpers for the stage tests: a Context on the test database and an item factory."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from pipeline.items import Item
from pipeline.settings import Settings
from pipeline.stages import Context


@pytest.fixture
def ctx(settings: Settings, session: Session) -> Iterator[Context]:
    yield Context(settings=settings, session=session)


def make_item(url: str, text: str, title: str = "", outlet: str = "cna", **kw: object) -> Item:
    kw.setdefault("published_at", datetime(2024, 5, 1, 2, 0, tzinfo=UTC))
    return Item(url=url, title=title, text=text, source=outlet, outlet=outlet, **kw)  # type: ignore[arg-type]
