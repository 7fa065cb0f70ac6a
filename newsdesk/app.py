"""The command-line application object: settings and the database, opened on first use.

Every ``newsdesk`` command receives it (``@click.pass_obj``); packages that add commands
(``newsdesk.commands.crawl``, ``newsdesk.commands.press``, ...) use it rather than reading settings themselves.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from pipeline.db import MissingDatabase, describe, open_database, open_existing, transaction, writer
from pipeline.settings import Settings, load_settings

log = logging.getLogger("newsdesk")


@dataclass
class App:
    config: str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    _settings: Settings | None = None
    _factory: sessionmaker[Session] | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config, self.overrides or None)
        return self._settings

    def override(self, overrides: dict[str, Any]) -> Settings:
        """Replace the command-line overrides (the demo points newsdesk at its own site and database)."""
        self.overrides, self._settings, self._factory = dict(overrides), None, None
        return self.settings

    @property
    def sessions(self) -> sessionmaker[Session]:
        """The session factory; migrations are applied the first time the database is opened."""
        if self._factory is None:
            self._factory = open_database(self.settings.database_url)
            log.debug("database %s", describe(self._factory.kw["bind"]))
        return self._factory

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One short unit of work that may read, then write: on SQLite it takes the write lock when
        it begins (BEGIN IMMEDIATE), so a second process never makes it fail half-way."""
        with transaction(writer(self.sessions)) as s:
            yield s

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A session for a command that only reads: it never creates a database, and where there is
        none it says where it looked and how to start (exit status 2, no traceback)."""
        if self._factory is None:
            try:
                self._factory = open_existing(self.settings.database_url)
            except MissingDatabase as exc:
                raise MissingDatabase(f"{exc} (database_url from {self.database_origin()}). Nothing has been "
                                      "collected here yet: start with `newsdesk crawl --once`, `newsdesk run` or "
                                      "`newsdesk demo`, or point DATABASE_URL at your database.") from None
        with transaction(self._factory) as s:
            yield s

    def database_origin(self) -> str:
        """Where ``database_url`` came from: the command line, DATABASE_URL, a settings file or the defaults."""
        import os

        if "database_url" in self.overrides:
            return "the command line"
        if os.environ.get("DATABASE_URL"):
            return "DATABASE_URL"
        return self.settings.config_path or "the shipped defaults"

    def database_label(self) -> str:
        return describe(self.sessions.kw["bind"])
