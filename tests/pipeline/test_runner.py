"""The monitoring pass: order of stages, counted drops, and all-or-nothing chunks."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from pipeline.items import Drop, Item
from pipeline.models import ItemRow
from pipeline.runner import process
from pipeline.settings import Settings
from pipeline.stages import Context

CALLS: list[str] = []


def drop_english(item: Item, ctx: Context) -> Item:
    if item.language == "en":
        raise Drop("not-chinese")
    return item


def interrupt_on_third(item: Item, ctx: Context) -> Item:
    CALLS.append(item.url)
    if len(CALLS) == 3:
        raise KeyboardInterrupt  # what Ctrl-C does in the middle of a batch
    return item


def _items(n: int) -> list[Item]:
    return [Item(url=f"https://news.example.tw/{i}", title=f"標題{i}", text="內文", source="t",
                 language="en" if i % 4 == 0 else "zh-Hant") for i in range(n)]


def test_drops_are_counted_by_reason(settings: Settings, sessions: sessionmaker[Session]) -> None:
    counts = process(_items(8), settings, sessions, before=(f"{__name__}:drop_english",), batch=None,
                     after=("pipeline.stages.store:store",))
    assert counts["collected"] == 8
    assert counts["dropped:not-chinese"] == 2
    assert counts["stored"] == 6
    with sessions() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(ItemRow)) == 6


def test_interrupted_chunk_leaves_no_half_written_item(settings: Settings,
                                                       sessions: sessionmaker[Session]) -> None:
    CALLS.clear()
    with pytest.raises(KeyboardInterrupt):
        process(_items(5), settings, sessions, before=(), batch=None,
                after=("pipeline.stages.store:store", f"{__name__}:interrupt_on_third"))
    with sessions() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(ItemRow)) == 0
    # The next pass stores everything: nothing was lost, nothing is duplicated.
    counts = process(_items(5), settings, sessions, before=(), batch=None, after=("pipeline.stages.store:store",))
    assert counts["stored"] == 5
