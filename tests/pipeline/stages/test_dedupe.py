"""Dedupe with real Chinese wire copy: exact copies drop, edited copies join, other stories do not."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.items import Drop
from pipeline.models import Cluster, ItemRow
from pipeline.stages import Context, run_item
from pipeline.stages.dedupe import dedupe
from pipeline.stages.normalize import normalize
from tests.pipeline.helpers import make_item

WIRE = ("臺北捷運板南線今天上午7時許因號誌系統異常，南港展覽館至頂埔間列車延誤約20分鐘，"
        "大批通勤族受影響。北捷表示，工程人員緊急搶修後於8時10分恢復正常營運，"
        "將全面檢查號誌設備並向旅客致歉，受影響旅客可至各站詢問處申請延誤證明。")
OTHER = ("臺北市政府社會局今天宣布，明年起將擴大長照服務據點，預計新增30處社區照顧關懷據點，"
         "並提高居家服務補助額度，協助家庭照顧者減輕負擔，相關申請可洽各區公所或撥打1999。")
SAME_TOPIC = ("臺北捷運淡水信義線今天傍晚因月台門故障，台北車站往淡水方向列車一度停駛，"
              "北捷派員處理約15分鐘後排除，並說明將追查故障原因，乘客反映車廂擁擠。")
STAGES = [normalize, dedupe]


def run(ctx: Context, url: str, text: str, title: str = "捷運延誤", outlet: str = "cna") -> int | None:
    item = run_item(make_item(url, text, title=title, outlet=outlet), STAGES, ctx)
    return item.cluster_id if item else None


def test_syndicated_and_edited_copies_join_one_story(ctx: Context) -> None:
    first = run(ctx, "https://www.cna.com.tw/news/a1", WIRE)
    assert first is not None
    assert run(ctx, "https://news.ltn.com.tw/news/1", WIRE, outlet="ltn") == first  # same wire copy
    assert run(ctx, "https://udn.com/news/1", "【獨家】通勤族怒了！" + WIRE, outlet="udn") == first
    assert run(ctx, "https://tvbs.com.tw/1", WIRE.replace("20分鐘", "二十分鐘"), title="板南線大延誤",
               outlet="tvbs") == first  # new headline, lightly edited body
    assert run(ctx, "https://www.cna.com.tw/news/b", OTHER, title="長照") != first
    assert run(ctx, "https://www.cna.com.tw/news/c", SAME_TOPIC, title="捷運故障") != first
    cluster = ctx.session.get(Cluster, first)
    assert cluster is not None
    assert cluster.item_count == 4
    assert cluster.outlets == ["cna", "ltn", "udn", "tvbs"]
    weights = ctx.settings.triage.outlet_weights
    assert cluster.reach == sum(weights[o] for o in ["cna", "ltn", "udn", "tvbs"])  # no engagement here
    assert ctx.counts["dedupe:new-story"] == 3


def test_exact_duplicates_drop_by_url_and_content(ctx: Context) -> None:
    run(ctx, "https://www.cna.com.tw/news/a1?utm_source=line", WIRE)
    assert run(ctx, "https://m.cna.com.tw/news/a1/", "完全不同的內文" * 10) is None
    assert run(ctx, "https://www.cna.com.tw/news/other-path", WIRE) is None  # same outlet, same copy
    assert ctx.counts["dropped:duplicate-url"] == 1
    assert ctx.counts["dropped:duplicate-content"] == 1


def test_already_stored_items_are_duplicates(ctx: Context, session: Session) -> None:
    session.add(ItemRow(url="https://x.tw/1", canonical_url="https://x.tw/1", content_hash="0" * 64,
                        source="x", title="t", text="t"))
    session.flush()
    with pytest.raises(Drop) as exc:
        dedupe(normalize(make_item("http://x.tw/1/", WIRE), ctx), ctx)
    assert exc.value.reason == "duplicate-url"


def test_story_outside_the_window_starts_a_new_cluster(ctx: Context) -> None:
    from datetime import UTC, datetime

    long_ago = datetime(2023, 1, 1, tzinfo=UTC)
    old = run_item(make_item("https://a.tw/1", WIRE, published_at=long_ago), STAGES, ctx)
    new = run_item(make_item("https://b.tw/1", WIRE, outlet="ltn"), STAGES, ctx)
    assert old and new and old.cluster_id != new.cluster_id
    assert ctx.session.scalar(select(func.count()).select_from(Cluster)) == 2


def test_very_short_posts_do_not_cluster_by_resemblance(ctx: Context) -> None:
    a = run(ctx, "https://ptt.cc/1", "捷運又誤點了，好扯", title="", outlet="ptt")
    b = run(ctx, "https://ptt.cc/2", "捷運又誤點了，好扯喔", title="", outlet="ptt")
    c = run(ctx, "https://dcard.tw/3", "捷運又誤點了，好扯", title="", outlet="dcard")  # same text elsewhere
    assert a is not None and b is not None and a != b
    assert c == a  # the very same text on another site is the same story


def _rows(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_merged_keys_and_bands_still_find_copies_and_old_ones_are_pruned(
        ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import UTC, datetime, timedelta

    from pipeline.models import DedupeKey, DedupeLock, LshBand, RecentDedupeKey, RecentLshBand
    from pipeline.stages import dedupe as stage

    monkeypatch.setattr(stage, "MERGE_EVERY", 2)
    day0 = datetime(2024, 5, 1, 2, 0, tzinfo=UTC)

    def one(url: str, text: str, when: datetime, outlet: str = "cna") -> int | None:
        item = run_item(make_item(url, text, outlet=outlet, published_at=when), STAGES, ctx)
        ctx.session.commit()  # each item its own transaction: take_lock checks for a merge each time
        return item.cluster_id if item else None

    first = one("https://www.cna.com.tw/news/a1", WIRE, day0)
    one("https://www.cna.com.tw/news/b", OTHER, day0)
    assert _rows(ctx.session, LshBand) == 0 and _rows(ctx.session, RecentLshBand) > 0
    # the third transaction merges first; the edited copy is then found in the big table
    edited = one("https://udn.com/news/1", "【獨家】通勤族怒了！" + WIRE, day0 + timedelta(days=1), "udn")
    assert edited == first
    assert _rows(ctx.session, LshBand) > 0
    assert _rows(ctx.session, DedupeKey) == 6  # u:, c: and h: of both first items, merged
    assert one("https://m.cna.com.tw/news/a1/", "另一段內文" * 10, day0 + timedelta(days=1)) is None  # URL claim
    assert ctx.counts["dropped:duplicate-url"] == 1

    # a month later: the next merge moves the clock and prunes what no item can match any more
    late = day0 + timedelta(days=30)
    one("https://www.cna.com.tw/news/c", SAME_TOPIC, late)
    one("https://www.cna.com.tw/news/d", OTHER.replace("30處", "40處") + "再補充說明。", late)
    lock = ctx.session.get(DedupeLock, 1)
    assert lock is not None and lock.pending == 1  # merged before the last item, which waits in recent
    cutoff = stage.day_number(late) - 14 - 2
    assert lock.clock_day == stage.day_number(late) and lock.pruned_day == cutoff
    days = ctx.session.scalars(select(LshBand.day)).all()
    assert days and min(days) >= cutoff
    assert ctx.session.scalar(select(func.min(DedupeKey.created_at))) >= stage.EPOCH + timedelta(days=cutoff)
    assert _rows(ctx.session, RecentDedupeKey) == 3  # the last item's u:, c: and h:


def test_a_date_far_in_the_future_does_not_wipe_the_index(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import UTC, datetime

    from pipeline.models import DedupeLock, LshBand
    from pipeline.models import utcnow as now
    from pipeline.stages import dedupe as stage

    monkeypatch.setattr(stage, "MERGE_EVERY", 1)
    today = now()
    run_item(make_item("https://a.tw/1", WIRE, published_at=today), STAGES, ctx)
    ctx.session.commit()
    run_item(make_item("https://b.tw/1", OTHER, published_at=datetime(2099, 1, 1, tzinfo=UTC)), STAGES, ctx)
    ctx.session.commit()
    again = run_item(make_item("https://c.tw/1", "【快訊】" + WIRE, outlet="ltn", published_at=today), STAGES, ctx)
    ctx.session.commit()
    lock = ctx.session.get(DedupeLock, 1)
    assert lock is not None and lock.clock_day <= stage.day_number(today) + 1  # the clock stops at tomorrow
    assert _rows(ctx.session, LshBand) > 0
    assert again is not None and again.meta["cluster"]["new"] is False


def test_undated_items_in_an_import_of_old_news_do_not_prune_it(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import UTC, datetime, timedelta

    from pipeline.models import DedupeLock
    from pipeline.stages import dedupe as stage

    monkeypatch.setattr(stage, "MERGE_EVERY", 3)
    day0 = datetime(2024, 5, 1, 2, 0, tzinfo=UTC)
    filler = "高雄市政府今天舉辦港灣音樂節記者會，邀請多組樂團演出，並規劃接駁車與周邊交通管制措施。"
    items = [make_item("https://a.tw/1", WIRE, published_at=day0),
             make_item("https://a.tw/2", OTHER, published_at=None),  # undated: stamped with today
             make_item("https://a.tw/3", filler, published_at=day0),
             make_item("https://b.tw/1", "【更新】" + WIRE, outlet="ltn", published_at=day0 + timedelta(hours=5))]
    done = []
    for item in items:  # one transaction each: the fourth merges the first three first
        done.append(run_item(item, STAGES, ctx))
        ctx.session.commit()
    assert done[3] is not None and done[0] is not None and done[3].cluster_id == done[0].cluster_id
    lock = ctx.session.get(DedupeLock, 1)
    assert lock is not None and lock.clock_day == stage.day_number(day0)
