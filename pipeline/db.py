"""Engine and sessions. SQLite (WAL) by default; any SQLAlchemy URL through ``DATABASE_URL``."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).with_name("migrations")


class DatabaseError(Exception):
    """The database cannot be opened or written; the message names it (password masked)."""


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINTs (a RELEASE outside BEGIN commits):
    # let SQLAlchemy emit BEGIN itself (the recipe in SQLAlchemy's SQLite dialect docs).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    try:
        cur.execute("PRAGMA journal_mode=WAL")
    except sqlite3.OperationalError:
        pass  # a read-only file keeps its journal mode; writes fail later with a clear message
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    # A transaction that reads, then writes after another connection committed fails at once with
    # "database is locked" (SQLite cannot upgrade a stale snapshot). Writers that read first open
    # their transaction with BEGIN IMMEDIATE (see :func:`writer`): they wait for the lock instead.
    immediate = conn.get_execution_options().get("sqlite_immediate")
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def writer(factory: sessionmaker[Session]) -> sessionmaker[Session]:
    """Sessions whose transactions take the write lock when they begin (SQLite: BEGIN IMMEDIATE,
    waiting up to the busy timeout); elsewhere the same sessions. For short read-then-write units:
    claims, leases, outbox bookkeeping."""
    engine = factory.kw["bind"]
    if engine.dialect.name != "sqlite" or engine.get_execution_options().get("sqlite_immediate"):
        return factory
    return sessionmaker(engine.execution_options(sqlite_immediate=True), expire_on_commit=False)


def masked(url: str) -> str:
    """The URL with any password hidden, even when it does not parse."""
    return re.sub(r"(://[^/:@]*:)[^@/]*@", r"\1***@", url)


def check_url(url: str) -> URL:
    """Parse a database URL and check what SQLAlchemy would only find when connecting.

    Raises :class:`DatabaseError` naming the problem: not a URL, a port that is not a number, an
    unknown dialect or a driver that is not installed, a SQLite URL with a user, password, host or port.
    """
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise DatabaseError(f"{masked(url)} is not a database URL ({exc}); "
                            "use e.g. sqlite:///newsdesk.db or postgresql+psycopg://user@host:5432/db") from None
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise DatabaseError(f"{masked(url)}: port {parsed.port} is not 1-65535")
    try:
        dialect = parsed.get_dialect()
        dialect.import_dbapi()
    except NoSuchModuleError:
        raise DatabaseError(f"{masked(url)}: unknown database {parsed.drivername!r} "
                            "(newsdesk runs on sqlite and postgresql+psycopg)") from None
    except ImportError as exc:
        raise DatabaseError(f"{masked(url)}: the driver for {parsed.drivername!r} is not installed ({exc.name}); "
                            "newsdesk runs on sqlite and postgresql+psycopg") from None
    if parsed.get_backend_name() == "sqlite" and (parsed.username or parsed.password or parsed.host or parsed.port):
        raise DatabaseError(f"{masked(url)}: a SQLite URL names a file and takes no user, password, host or port "
                            "(sqlite:///relative.db or sqlite:////absolute/path.db)")
    return parsed


def make_engine(url: str) -> Engine:
    parsed = check_url(url)
    if parsed.get_backend_name() == "sqlite":
        # Wait up to 10 s for another writer (a second `run`), unless the URL says ?timeout=N.
        engine = create_engine(url, connect_args={} if "timeout" in parsed.query else {"timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True)


def describe(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def migrate(engine: Engine) -> None:
    """Apply Alembic migrations up to head (run on every start; cheap when up to date)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("path_separator", "os")
    # Several processes may start at once on a new database (a scheduler and its workers): one
    # migrates, the others wait for it and then find nothing to do.
    if engine.dialect.name == "sqlite":
        engine = engine.execution_options(sqlite_immediate=True)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("SELECT pg_advisory_xact_lock(74201714)")
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except OperationalError as exc:
        raise DatabaseError(f"cannot migrate database {describe(engine)}: {exc.orig}") from None


class MissingDatabase(DatabaseError):
    """A command that only reads found no newsdesk database where the settings point."""


def open_existing(url: str) -> sessionmaker[Session]:
    """Like :func:`open_database`, but never creates one: a SQLite file must exist and a server
    database must already hold newsdesk's tables (:class:`MissingDatabase` otherwise)."""
    from sqlalchemy import inspect

    parsed = check_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(parsed.database)
        if not path.is_file():
            raise MissingDatabase(f"no newsdesk database at {path.resolve()}")
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            has_schema = inspect(conn).has_table("alembic_version")
    except OperationalError as exc:
        raise DatabaseError(f"cannot open database {describe(engine)}: {exc.orig}") from None
    if not has_schema:
        raise MissingDatabase(f"database {describe(engine)} has no newsdesk tables yet")
    migrate(engine)  # an older schema is brought up to date; nothing new is created
    return sessionmaker(engine, expire_on_commit=False)


def open_database(url: str) -> sessionmaker[Session]:
    """Create the engine, apply migrations and return a session factory."""
    engine = make_engine(url)
    migrate(engine)
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error (so no half-written item)."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
