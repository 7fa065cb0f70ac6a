"""The pipeline tests' fixture: a stage Context on the test database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from pipeline.settings import Settings
from pipeline.stages import Context


@pytest.fixture
def ctx(settings: Settings, session: Session) -> Iterator[Context]:
    yield Context(settings=settings, session=session)
