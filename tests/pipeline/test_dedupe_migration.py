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

MINE = {"dedupe_keys", "cluster_members", "lsh_bands", "dedupe_lock", "dedupe_keys_recent", "lsh_bands_recent"}


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


def _alembic(conn: object) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("path_separator", "os")
    cfg.attributes["connection"] = conn
    return cfg


def test_upgrade_gives_existing_bands_their_day_and_downgrade_keeps_recent_rows(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    with engine.begin() as conn:
        command.upgrade(_alembic(conn), "pipeline_001")
        conn.exec_driver_sql("INSERT INTO clusters (id, title, created_at, updated_at, item_count, outlets, reach) "
                             "VALUES (1, 't', '2024-05-01 02:00:00', '2024-05-01 02:00:00', 1, '[]', 1.0)")
        conn.exec_driver_sql("INSERT INTO cluster_members (id, cluster_id, seen_at) "
                             "VALUES (7, 1, '2024-05-01 23:59:59.500000')")
        conn.exec_driver_sql("INSERT INTO lsh_bands (key, member_id) VALUES (-5, 7), (9, 7)")
    with engine.begin() as conn:
        command.upgrade(_alembic(conn), "head")
    with engine.begin() as conn:
        days = conn.exec_driver_sql("SELECT day FROM lsh_bands").scalars().all()
        assert days == [19844, 19844]  # 2024-05-01 is day 19,844 after 1970-01-01
        conn.exec_driver_sql("INSERT INTO lsh_bands_recent (key, member_id, day) VALUES (11, 7, 19845)")
        conn.exec_driver_sql("INSERT INTO dedupe_keys_recent (key, cluster_id, created_at) "
                             "VALUES ('u:x', 1, '2024-05-02 00:00:00')")
    with engine.begin() as conn:
        command.downgrade(_alembic(conn), "pipeline_001")
    with engine.connect() as conn:
        assert sorted(conn.exec_driver_sql("SELECT key FROM lsh_bands").scalars()) == [-5, 9, 11]
        assert conn.exec_driver_sql("SELECT key FROM dedupe_keys").scalars().all() == ["u:x"]
