"""The ``newsdesk`` command: the only module that wires all packages together.

Each package keeps its commands in its own ``commands.py`` and they are attached to the groups here
(``register``), so ``newsdesk --help`` lists everything.
"""

from __future__ import annotations

import logging
import sys

import click

from pipeline.app import App
from pipeline.db import DatabaseError
from pipeline.sentiment import ModelError
from pipeline.settings import ConfigError


class NewsdeskGroup(click.Group):
    """Turns newsdesk's own errors into one clear line and exit status 2, without a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (ConfigError, DatabaseError, ModelError) as exc:
            click.echo(f"newsdesk: {exc}", err=True)
            sys.exit(2)


@click.group(cls=NewsdeskGroup)
@click.option("--config", "config", type=click.Path(dir_okay=False), envvar="NEWSDESK_CONFIG",
              help="settings file (TOML); default ./newsdesk.toml if present, else the shipped defaults")
@click.option("-v", "--verbose", count=True, help="more logging (-v info, -vv debug)")
@click.option("-q", "--quiet", is_flag=True, help="only errors")
@click.pass_context
def main(ctx: click.Context, config: str | None, verbose: int, quiet: bool) -> None:
    """newsdesk: media monitoring and press releases for a city government's press office."""
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    ctx.obj = App(config=config)


@main.group()
def config() -> None:
    """Inspect the settings."""


@main.group()
def alerts() -> None:
    """Alerts: list, failed, retry, corrections."""


@main.group()
def sentiment() -> None:
    """The sentiment model: score, train, eval."""


@main.group()
def tally() -> None:
    """Counts for the office's report: releases, posts, responses."""


@main.group()
def sources() -> None:
    """Crawl sources and their state."""


def register() -> None:
    """Attach the commands that live in each package."""
    from pipeline import commands as core
    from pipeline.sentiment import commands as sentiment_commands

    core.register(main, config=config, alerts=alerts, sentiment=sentiment, tally=tally, sources=sources)
    sentiment_commands.register(main, alerts=alerts, sentiment=sentiment)


register()
