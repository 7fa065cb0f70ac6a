"""Response lifecycle through the stage and the CLI: open → assigned → responded / dismissed, tally."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from newsdesk.cli import main
from pipeline.items import Item, Match
from pipeline.models import Cluster, Release, Response
from pipeline.responses import ResponseError, assign, dismiss, is_overdue, respond, tally, track
from pipeline.settings import Settings
from pipeline.stages import Context

T0 = datetime(2024, 3, 5, 1, 0, tzinfo=UTC)  # 09:00 in Taipei


def flagged(session: Session, title: str, agency: str, priority: str = "high", at: datetime = T0) -> Item:
    cluster = Cluster(title=title, item_count=1, outlets=["cna"], reach=300)
    session.add(cluster)
    session.flush()
    return Item(url=f"https://cna.tw/{cluster.id}", title=title, text="", source="cna", published_at=at,
                matches=[Match(f"agency:{agency}", [agency], [agency])], cluster_id=cluster.id,
                priority=priority, flagged=True)


def test_flagged_story_opens_one_response_with_a_deadline(ctx: Context) -> None:
    item = flagged(ctx.session, "捷運板南線延誤 通勤族怒", "捷運公司")
    track(item, ctx)
    track(item, ctx)  # a second copy of the same story: no second response
    rows = list(ctx.session.scalars(select(Response)))
    assert len(rows) == 1
    r = rows[0]
    assert (r.status, r.agency, r.priority) == ("open", "捷運公司", "high")
    assert r.deadline == T0 + timedelta(hours=ctx.settings.triage.deadlines["high"])
    assert is_overdue(r, T0 + timedelta(hours=9)) and not is_overdue(r, T0 + timedelta(hours=1))
    assert ctx.counts["responses:opened"] == 1 and ctx.counts["responses:existing"] == 1


def test_unflagged_items_open_nothing(ctx: Context) -> None:
    item = flagged(ctx.session, "市府舉辦路跑活動", "體育局")
    item.flagged = False
    track(item, ctx)
    assert ctx.session.scalar(select(Response.id)) is None


def test_lifecycle_rules(ctx: Context, settings: Settings) -> None:
    s = ctx.session
    track(flagged(s, "社宅抽籤爭議", "都發局"), ctx)
    rid = s.scalar(select(Response.id))
    assert rid is not None
    with pytest.raises(ResponseError, match="agency '都市局' is not in the settings"):
        assign(s, settings, rid, agency="都市局")
    assign(s, settings, rid, agency="都發局", officer="王小明")
    with pytest.raises(ResponseError, match="give the statement text, a link or a release"):
        respond(s, rid)
    with pytest.raises(ResponseError, match="release 99: no such press release"):
        respond(s, rid, release_id=99)
    release = Release(title="都發局澄清社宅抽籤作業公開透明", agency="都發局", status="published")
    s.add(release)
    s.flush()
    row = respond(s, rid, text="抽籤全程錄影並公開", release_id=release.id, now=T0 + timedelta(hours=2))
    assert (row.status, row.officer, row.release_id) == ("responded", "王小明", release.id)
    with pytest.raises(ResponseError, match="already responded"):
        dismiss(s, rid, "重複")
    track(flagged(s, "網友謠傳停水", "自來水處"), ctx)
    other = s.scalars(select(Response.id).order_by(Response.id.desc())).first()
    assert other is not None
    with pytest.raises(ResponseError, match="needs a reason"):
        dismiss(s, other, "  ")
    assert dismiss(s, other, "已查證為不實訊息，無需回應").status == "dismissed"


def test_tally_counts_responded_by_agency_and_taipei_month(ctx: Context, settings: Settings) -> None:
    s = ctx.session
    times = [("捷運公司", datetime(2024, 1, 31, 17, 0, tzinfo=UTC)),  # 2024-02-01 01:00 in Taipei
             ("捷運公司", datetime(2024, 1, 10, 3, 0, tzinfo=UTC)),
             ("警察局", datetime(2024, 6, 30, 15, 59, tzinfo=UTC)),  # 23:59 on 30 June in Taipei
             ("警察局", datetime(2024, 6, 30, 16, 0, tzinfo=UTC))]  # 1 July in Taipei: outside H1
    for n, (agency, at) in enumerate(times):
        track(flagged(s, f"新聞{n}", agency), ctx)
        rid = s.scalars(select(Response.id).order_by(Response.id.desc())).first()
        assert rid is not None
        respond(s, rid, link=f"https://www.gov.taipei/{n}", now=at)
    start = datetime(2024, 1, 1, tzinfo=UTC) - timedelta(hours=8)
    end = datetime(2024, 7, 1, tzinfo=UTC) - timedelta(hours=8)
    rows = tally(s, start, end, ["agency", "month"], "Asia/Taipei")
    assert [(r.key, r.count) for r in rows] == [
        (("捷運公司", "2024-01"), 1), (("捷運公司", "2024-02"), 1), (("警察局", "2024-06"), 1)]


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sessions: sessionmaker[Session],
           settings: Settings) -> sessionmaker[Session]:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    return sessions


def test_cli_lifecycle_and_tally(cli_db: sessionmaker[Session], settings: Settings) -> None:
    with cli_db() as s:
        ctx = Context(settings=settings, session=s)
        track(flagged(s, "大巨蛋散場交通大打結", "體育局", priority="critical",
                      at=datetime(2024, 2, 1, 2, 0, tzinfo=UTC)), ctx)
        s.commit()
        rid = s.scalar(select(Response.id))
    runner = CliRunner()
    out = runner.invoke(main, ["responses", "list", "--overdue"])
    assert out.exit_code == 0, out.output
    assert f"#{rid} open" in out.output and "OVERDUE" in out.output and "大巨蛋散場" in out.output
    bad = runner.invoke(main, ["responses", "assign", str(rid), "--agency", "巨蛋局"])
    assert bad.exit_code == 2 and "'巨蛋局' is not in the settings" in bad.output
    assert runner.invoke(main, ["responses", "assign", str(rid), "--officer", "林專員"]).exit_code == 0
    done = runner.invoke(main, ["responses", "respond", str(rid), "--text", "體育局說明已加開接駁車"])
    assert done.exit_code == 0, done.output
    missing = runner.invoke(main, ["responses", "dismiss", "999", "--reason", "x"])
    assert missing.exit_code == 2 and "response 999: no such response" in missing.output
    today = datetime.now(ZoneInfo("Asia/Taipei")).date()  # the office's day, not UTC's
    roc = f"{today.year - 1911}-{today.month:02d}-{today.day:02d}"
    t = runner.invoke(main, ["tally", "responses", "--from", "113-01-01", "--to", roc, "--by", "agency"])
    assert t.exit_code == 0, t.output
    lines = [line.split() for line in t.output.splitlines()]
    assert lines == [["輿情回應則數"], ["機關", "回應則數"], ["體育局", "1"], ["總計", "1"]]
    bad_day = runner.invoke(main, ["tally", "responses", "--from", "113-13-01", "--to", roc])
    assert bad_day.exit_code == 2 and "'113-13-01' is not a date" in bad_day.output


def test_tally_routed_counts_items_once_per_agency(cli_db: sessionmaker[Session]) -> None:
    from pipeline.models import ItemRow, MatchRow

    with cli_db() as s:
        for n, (at, agencies) in enumerate([
            (datetime(2024, 1, 5, 2, 0, tzinfo=UTC), ["捷運公司", "捷運公司", "捷運局"]),  # two rules: once
            (datetime(2024, 1, 31, 16, 30, tzinfo=UTC), ["捷運公司"]),  # 2024-02-01 00:30 in Taipei
            (datetime(2023, 12, 31, 15, 0, tzinfo=UTC), ["警察局"]),  # 2023-12-31 23:00: before the period
        ]):
            row = ItemRow(url=f"https://x.tw/{n}", canonical_url=f"https://x.tw/{n}", content_hash=str(n),
                          source="cna", title="t", text="t", published_at=at)
            row.matches = [MatchRow(agency=a, rule=f"r{i}", terms=[]) for i, a in enumerate(agencies)]
            s.add(row)
        s.commit()
    args = ["tally", "routed", "--from", "113年1月1日", "--to", "2024/6/30", "--format", "csv"]
    out = CliRunner().invoke(main, args)
    assert out.exit_code == 0, out.output
    assert out.stdout_bytes.decode("utf-8-sig").splitlines() == [
        "機關,月份,則數", "捷運公司,113年1月,1", "捷運公司,113年2月,1", "捷運局,113年1月,1", "總計,,3"]
    out = CliRunner().invoke(main, [*args[:-1], "json", "--calendar", "gregorian"])
    doc = json.loads(out.output)
    assert doc["rows"][0] == {"agency": "捷運公司", "month": "2024-01", "count": 1} and doc["total"] == {"count": 3}


def test_primary_agency_prefers_a_topic_then_the_most_terms() -> None:
    from pipeline.items import Item, Match
    from pipeline.responses import primary_agency

    item = Item(url="https://x.tw/1", title="北捷號誌故障", text="", source="t")
    item.matches = [Match("交通局", ["交通局"], ["號誌"]), Match("捷運公司", ["捷運公司"], ["北捷", "列車"]),
                    Match("捷運事故", ["捷運局", "捷運公司"], ["捷運", "故障"], kind="topic")]
    assert primary_agency(item) == "捷運公司"  # topic and the most terms
    item.matches = item.matches[:2]
    assert primary_agency(item) == "捷運公司"  # two terms beat one
    item.matches = [Match("a", ["交通局"], ["號誌"]), Match("b", ["衛生局"], ["疫苗"])]
    assert primary_agency(item) == "交通局"  # a tie keeps the first
    item.matches = []
    assert primary_agency(item) is None
