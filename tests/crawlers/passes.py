"""A crawl pass as its callers run it: collect, store (here: nothing to do), then save feed state."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from crawlers.collect import Collected, collect


def collect_and_commit(settings: Any, sources: Any, sessions: sessionmaker[Session], **kw: Any) -> Collected:
    items = collect(settings, sources, sessions, **kw)
    items.commit_state(sessions)
    return items
