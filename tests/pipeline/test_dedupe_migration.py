"""The dedupe migration matches the models and can be undone."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from pipeline.db import MIGRATIONS, make_engine, migrate
from pipeline.models import Base

MINE = {"dedupe_keys", "cluster_members", "lsh_bands", "dedupe_lock"}


def test_migration_matches_models_and_downgrades(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    migrate(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    mine = [d for d in diff if any(t in repr(d) for t in MINE)]
    assert mine == []
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT n FROM dedupe_lock WHERE id = 1").scalar() == 0
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("path_separator", "os")
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0001")
    assert not MINE & set(inspect(engine).get_table_names())
