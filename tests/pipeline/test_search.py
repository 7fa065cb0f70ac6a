"""The archive's full-text index on both backends: two-character Chinese words, English, the query
language, filters and paging."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from pipeline.db import open_database
from pipeline.items import Item
from pipeline.models import ItemRow
from pipeline.search import Filters, SearchError, catch_up, index, rebuild, search, tokens
from pipeline.settings import load_settings
from pipeline.stages import Context
from tests.pipeline.test_storage import db_url  # noqa: F401 - the two-backend fixture

T0 = datetime(2024, 9, 2, 1, 0, tzinfo=UTC)
DOCS = [
    ("北捷板南線號誌故障 列車延誤", "臺北捷運今天上午發生號誌故障，通勤族抱怨。", "cna", "捷運公司"),
    ("都更案爭議 居民抗議", "士林都市更新案居民到市府陳情。", "udn", "都發局"),
    ("Taipei MRT delays", "The Taipei Metro said a signal fault delayed trains.", "focustw", "捷運公司"),
    ("市長出席活動", "市長今天出席運動會開幕。", "cna", None),
    ("台北捷運新路線動工", "捷運局表示萬大線進度順利。", "ltn", "捷運局"),
]


@pytest.fixture
def factory(db_url: str) -> Iterator[sessionmaker[Session]]:  # noqa: F811
    f = open_database(db_url)
    yield f
    f.kw["bind"].dispose()


@pytest.fixture
def session(factory: sessionmaker[Session]) -> Iterator[Session]:
    with factory() as s:
        for i, (title, text, outlet, agency) in enumerate(DOCS):
            s.add(ItemRow(url=f"https://x.example/{i}", canonical_url=f"https://x.example/{i}", content_hash=str(i),
                          source=outlet, outlet=outlet, title=title, text=text, agency=agency,
                          published_at=T0 + timedelta(hours=i), flagged=agency is not None))
        s.flush()
        assert catch_up(s) == len(DOCS)
        s.commit()
        yield s


def titles(s: Session, query: str, **kw: object) -> list[str]:
    rows, _ = search(s, query, **kw)  # type: ignore[arg-type]
    return [r.title for r in rows]


def test_tokens_are_bigrams_for_chinese_and_words_for_english() -> None:
    assert tokens("臺北捷運 MRT-2") == ["台北", "北捷", "捷运", "mrt", "2"]
    assert tokens("運") == ["运"]


def test_two_character_words_spellings_and_english(session: Session) -> None:
    assert titles(session, "捷運") == ["台北捷運新路線動工", "北捷板南線號誌故障 列車延誤"]
    assert titles(session, "都更") == ["都更案爭議 居民抗議"]
    assert titles(session, "台北捷運") == titles(session, "臺北捷運") == ["台北捷運新路線動工",
                                                                  "北捷板南線號誌故障 列車延誤"]
    assert titles(session, "mrt") == titles(session, "MRT") == ["Taipei MRT delays"]
    assert titles(session, "運捷") == []
    assert titles(session, '"signal fault"') == ["Taipei MRT delays"]


def test_boolean_queries(session: Session) -> None:
    assert titles(session, "捷運 NOT 故障") == ["台北捷運新路線動工"]
    assert titles(session, "都更 OR 運動會") == ["市長出席活動", "都更案爭議 居民抗議"]
    assert titles(session, "捷運 故障") == ["北捷板南線號誌故障 列車延誤"]
    for bad in ("NOT 捷運", "(捷運", '"', "!!!"):
        with pytest.raises(SearchError):
            search(session, bad)


def test_filters_and_pages(session: Session) -> None:
    assert titles(session, "捷運", filters=Filters(agency="捷運局")) == ["台北捷運新路線動工"]
    assert titles(session, "捷運", filters=Filters(outlet="cna")) == ["北捷板南線號誌故障 列車延誤"]
    assert titles(session, "捷運", filters=Filters(since=T0 + timedelta(hours=3))) == ["台北捷運新路線動工"]
    first, more = search(session, "捷運", limit=1, chunk=1)
    second, again = search(session, "捷運", limit=1, offset=1, chunk=1)
    assert [r.title for r in first + second] == titles(session, "捷運") and more and not again


def test_the_stage_indexes_in_the_storing_transaction_and_rebuild_starts_over(session: Session) -> None:
    row = ItemRow(url="https://x.example/new", canonical_url="https://x.example/new", content_hash="n",
                  source="cna", title="都更新案", text="")
    session.add(row)
    session.flush()
    ctx = Context(load_settings(None, {"database_url": "sqlite://"}, use_env=False), session)
    index(Item(url=row.url, title=row.title, text="", source="cna", id=row.id), ctx)
    assert titles(session, "都更")[0] == "都更新案"
    assert rebuild(session) == len(DOCS) + 1
    assert len(titles(session, "都更")) == 2
