"""Storage on both backends: SQLite (always) and PostgreSQL (started by scripts/test.sh)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from pipeline.db import DatabaseError, make_engine, migrate, open_database
from pipeline.items import Item, Match, Sentiment
from pipeline.models import Alert, Base, ItemRow
from pipeline.settings import Settings
from pipeline.stages import Context
from pipeline.stages.store import store
from tests.backends import BACKENDS, url_for


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from url_for(request.param, tmp_path)


@pytest.fixture
def factory(db_url: str) -> Iterator[sessionmaker[Session]]:
    factory = open_database(db_url)
    yield factory
    factory.kw["bind"].dispose()


def _item(url: str = "https://news.example.tw/a/1?utm_source=fb", **kw: object) -> Item:
    item = Item(url=url, title="北捷板南線號誌故障 列車延誤", text="臺北捷運今天上午發生號誌故障。", source="cna",
                outlet="cna", published_at=datetime(2024, 9, 2, 9, 30, tzinfo=timezone(timedelta(hours=8))),
                authors=["王小明"], language="zh-Hant", engagement={"likes": 3})
    item.matches = [Match(rule="捷運事故", agencies=["捷運公司", "捷運局"], terms=["捷運", "故障"], kind="topic")]
    item.sentiment = Sentiment("negative", 0.91, "test-model", "1")
    item.flagged = True
    for k, v in kw.items():
        setattr(item, k, v)
    return item


def test_migrations_create_every_table_and_are_idempotent(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate(engine)
    migrate(engine)  # a second start is a no-op
    tables = set(sa.inspect(engine).get_table_names())
    engine.dispose()
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_item_round_trip_keeps_zone_text_and_matches(factory: sessionmaker[Session], settings: Settings) -> None:
    with factory() as session:
        item = store(_item(), Context(settings, session))
        session.commit()
        assert item.id is not None
    with factory() as session:
        row = session.get(ItemRow, item.id)
        assert row is not None
        assert row.published_at == datetime(2024, 9, 2, 1, 30, tzinfo=UTC)
        assert row.published_at.tzinfo is not None
        assert row.canonical_url == "https://news.example.tw/a/1"
        assert row.authors == ["王小明"] and row.engagement == {"likes": 3}
        assert sorted(m.agency for m in row.matches) == ["捷運公司", "捷運局"]
        assert row.scores[0].model == "test-model" and row.scores[0].score == pytest.approx(0.91)
        assert row.flagged


def test_same_canonical_url_is_dropped_not_duplicated(factory: sessionmaker[Session], settings: Settings) -> None:
    with factory() as session:
        ctx = Context(settings, session)
        store(_item(), ctx)
        from pipeline.items import Drop

        with pytest.raises(Drop) as drop:
            store(_item(url="https://www.news.example.tw/a/1/"), ctx)
        assert drop.value.reason == "duplicate-url"
        session.commit()  # the first item survives the second's failure
        assert session.scalar(sa.select(sa.func.count()).select_from(ItemRow)) == 1


def test_naive_datetime_is_refused(factory: sessionmaker[Session], settings: Settings) -> None:
    with factory() as session, pytest.raises(Exception, match="naive datetime"):
        store(_item(published_at=datetime(2024, 1, 1, 8, 0)), Context(settings, session))
        session.flush()


def test_alert_idempotency_key_is_unique(factory: sessionmaker[Session]) -> None:
    with factory() as session:
        session.add(Alert(channel="#a", notifier="slack", idempotency_key="k1"))
        session.commit()
        session.add(Alert(channel="#a", notifier="slack", idempotency_key="k1"))
        with pytest.raises(sa.exc.IntegrityError):
            session.commit()


def test_read_only_database_is_named_and_loses_nothing(tmp_path: Path, settings: Settings) -> None:
    path = tmp_path / "ro.db"
    factory = open_database(f"sqlite:///{path}")
    with factory() as session:
        store(_item(), Context(settings, session))
        session.commit()
    factory.kw["bind"].dispose()
    # mode=ro makes the file read-only even for root, who ignores file permissions.
    ro = open_database(f"sqlite:///file:{path}?mode=ro&uri=true")
    from pipeline.runner import process

    with pytest.raises(DatabaseError, match="ro.db"):
        process([_item(url="https://news.example.tw/a/2")], settings, ro, batch=None, before=(),
                after=("pipeline.stages.store:store",))
    ro.kw["bind"].dispose()
    check = open_database(f"sqlite:///{path}")
    with check() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(ItemRow)) == 1
    check.kw["bind"].dispose()


def test_locked_database_is_named_and_the_batch_is_kept_for_later(tmp_path: Path, settings: Settings) -> None:
    import sqlite3

    from pipeline.runner import process

    path = tmp_path / "locked.db"
    factory = open_database(f"sqlite:///{path}?timeout=0.2")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process in the middle of a write
    try:
        with pytest.raises(DatabaseError, match=r"locked\.db.*locked"):
            process([_item()], settings, factory, batch=None, before=(), after=("pipeline.stages.store:store",))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    counts = process([_item()], settings, factory, batch=None, before=(), after=("pipeline.stages.store:store",))
    assert counts["stored"] == 1
    factory.kw["bind"].dispose()


def test_a_post_without_title_is_shown_by_its_first_words() -> None:
    post = ItemRow(title="", text="我們巷子的垃圾車已經三天沒來了，\n環保局可以管一下嗎？" * 5)
    assert post.headline.startswith("我們巷子的垃圾車已經三天沒來了， 環保局")
    assert len(post.headline) == 80 and post.headline.endswith("…")
    assert ItemRow(title="標題", text="內文").headline == "標題"


def test_dedupe_merges_and_prunes_its_recent_tables_on_both_backends(
        factory: sessionmaker[Session], settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.models import DedupeKey, LshBand, RecentLshBand
    from pipeline.stages import dedupe as stage
    from pipeline.stages import run_item
    from pipeline.stages.normalize import normalize

    monkeypatch.setattr(stage, "MERGE_EVERY", 1)
    wire = ("臺北捷運板南線今天上午7時許因號誌系統異常，南港展覽館至頂埔間列車延誤約20分鐘，大批通勤族受影響。"
            "北捷表示，工程人員緊急搶修後於8時10分恢復正常營運，將全面檢查號誌設備並向旅客致歉。")
    day0 = datetime(2024, 9, 2, 1, 0, tzinfo=UTC)
    clusters = []
    for url, text, when in [("https://a.tw/1", wire, day0),
                            ("https://b.tw/1", "【快訊】" + wire, day0 + timedelta(hours=3)),  # merged, then found
                            ("https://c.tw/1", wire + "（更新）", day0 + timedelta(days=40)),
                            ("https://d.tw/1", "市府今天公布明年度預算案，社會福利支出增加一成，教育經費持平。" * 2,
                             day0 + timedelta(days=40))]:  # the merge before it moves the clock and prunes
        with factory() as session:
            item = run_item(Item(url=url, title="捷運延誤", text=text, source="cna", outlet="cna", published_at=when),
                            [normalize, stage.dedupe], Context(settings, session))
            session.commit()
            assert item is not None
            clusters.append(item.cluster_id)
    assert clusters[1] == clusters[0] and clusters[2] != clusters[0] and clusters[3] != clusters[2]
    with factory() as session:
        cutoff = stage.day_number(day0 + timedelta(days=40)) - 16
        days = session.scalars(sa.select(LshBand.day)).all()
        assert days and min(days) == cutoff + 16  # day0's rows pruned, the third item's merged
        assert session.scalar(sa.select(sa.func.count()).select_from(RecentLshBand)) > 0  # the last item's
        oldest = session.scalar(sa.select(sa.func.min(DedupeKey.created_at)))
        assert oldest is None or oldest >= stage.EPOCH + timedelta(days=cutoff)
