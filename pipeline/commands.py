"""The foundation's commands: run, crawl, demo, config check, alerts list, sentiment score, extract."""

from __future__ import annotations

import click


def register(main: click.Group, **groups: click.Group) -> None:
    """Attach this module's commands to ``main`` and the named groups."""
