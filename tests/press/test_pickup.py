from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from pipeline.models import Cluster, ItemRow, Release
from pipeline.settings import Settings
from press.pickup import outlets_of, update_pickup

T0 = datetime(2024, 9, 2, 2, 0, tzinfo=UTC)


def _item(
    session: Session, n: int, outlet: str, title: str, text: str, when: datetime, cluster: int | None = None
) -> ItemRow:
    item = ItemRow(
        url=f"https://{outlet}.example/{n}",
        canonical_url=f"https://{outlet}.example/{n}",
        content_hash=str(n),
        source=outlet,
        outlet=outlet,
        title=title,
        text=text,
        published_at=when,
        cluster_id=cluster,
    )
    session.add(item)
    return item


def test_pickup_counts_outlets_that_covered_the_release(session: Session, settings: Settings) -> None:
    release = Release(
        title="臺北市社會住宅明年再增三千戶",
        agency="都發局",
        status="published",
        published_at=T0,
        body="臺北市政府都市發展局今日宣布，明年將在信義區與南港區新增三千戶社會住宅，優先提供青年與弱勢家庭。",
    )
    cluster = Cluster(title="社宅")
    session.add_all([release, cluster])
    session.flush()
    _item(
        session,
        1,
        "cna",
        "台北市社會住宅明年再增3千戶",
        "北市都發局今日宣布，明年將在信義區與南港區新增三千戶社會住宅，優先提供青年與弱勢家庭。",
        T0 + timedelta(hours=2),
        cluster.id,
    )
    _item(
        session,
        2,
        "ltn",
        "社宅增量 住戶怎麼說",
        "記者走訪南港，居民期待。",
        T0 + timedelta(hours=5),
        cluster.id,
    )
    _item(session, 3, "udn", "捷運環狀線北環段動工", "捷運局表示工程順利。", T0 + timedelta(hours=3))
    _item(session, 4, "pts", "臺北市社會住宅明年再增三千戶", "舊聞", T0 - timedelta(days=1))
    _item(
        session,
        5,
        "ettoday",
        "北市社宅明年再增三千戶 優先青年",
        "臺北市政府都市發展局今日宣布新增三千戶社會住宅",
        T0 + timedelta(days=1),
    )
    session.flush()
    assert update_pickup(session, settings, T0 + timedelta(days=1, hours=1)) == 1
    # cna and ettoday repeat the release; ltn is in cna's story cluster; udn is another story; pts came before
    assert outlets_of(release) == ["cna", "ettoday", "ltn"]


def test_tally_pickup_command(session: Session, settings: Settings) -> None:
    from click.testing import CliRunner

    from newsdesk.cli import main

    release = Release(
        title="北市新公園啟用",
        agency="工務局",
        status="published",
        published_at=T0,
        meta={"pickup": {"outlets": ["cna", "ltn"], "items": [1, 2]}},
    )
    session.add(release)
    session.commit()
    result = CliRunner().invoke(
        main,
        ["tally", "pickup", "--from", "2024-09-01", "--to", "2024-09-30", "--format", "csv"],
        env={"DATABASE_URL": settings.database_url},
    )
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes.decode("utf-8-sig").splitlines() == [
        "新聞稿編號,發布日期,機關,標題,刊登媒體,媒體家數",
        f"{release.id},113年9月2日,工務局,北市新公園啟用,中央社、自由時報,2",
        "總計,,,,,2",
    ]
