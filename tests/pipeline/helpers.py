"""An item factory for the stage tests."""

from __future__ import annotations

from datetime import UTC, datetime

from pipeline.items import Item


def make_item(url: str, text: str, title: str = "", outlet: str = "cna", **kw: object) -> Item:
    kw.setdefault("published_at", datetime(2024, 5, 1, 2, 0, tzinfo=UTC))
    return Item(url=url, title=title, text=text, source=outlet, outlet=outlet, **kw)  # type: ignore[arg-type]
