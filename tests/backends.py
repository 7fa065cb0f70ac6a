"""Run a test module on SQLite and on PostgreSQL (a throw-away database per test).

``scripts/test.sh`` starts PostgreSQL and sets ``NEWSDESK_TEST_POSTGRES_URL``; without it the
PostgreSQL cases skip with that reason. Use ``backend_url`` as a fixture, or :func:`postgres_db`.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

PG_URL = os.environ.get("NEWSDESK_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgresql"]


@contextmanager
def postgres_db() -> Iterator[str]:
    """A fresh database on the test server, dropped afterwards (its URL with the password kept)."""
    if not PG_URL:
        pytest.skip("NEWSDESK_TEST_POSTGRES_URL is unset (scripts/test.sh starts PostgreSQL and sets it)")
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.engine.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def url_for(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    with postgres_db() as url:
        yield url
