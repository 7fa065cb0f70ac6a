"""Triage: an item alerts when the decision says it needs a response; velocity, reach and sensitivity
raise the priority."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from pipeline.db import open_database
from pipeline.decision import Decision
from pipeline.items import Item
from pipeline.models import Cluster
from pipeline.settings import Settings, load_settings
from pipeline.stages import Context, run_item
from pipeline.stages.dedupe import dedupe
from pipeline.stages.match import match
from pipeline.stages.normalize import normalize
from pipeline.stages.triage import triage

MRT = ("臺北捷運板南線今天上午7時許因號誌系統異常，南港展覽館至頂埔間列車延誤約20分鐘，"
       "大批通勤族受影響，北捷表示將全面檢查號誌設備並向旅客致歉。")
WEATHER = "中央氣象署表示，明天鋒面通過，北部及東北部有短暫陣雨，氣溫略降，請民眾外出攜帶雨具。"
T0 = datetime(2024, 5, 1, 1, 0, tzinfo=UTC)


def with_settings(tmp_path: Path, **overrides: Any) -> tuple[Settings, Session]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{tmp_path / 't.db'}"
    settings = load_settings(None, {"database_url": url, **overrides}, use_env=False)
    return settings, open_database(settings.database_url)()


def decided(p: float, government: str = "TPE", agency: str | None = None) -> Decision:
    return Decision(government, 0.9, 0.9 if government == "TPE" else 0.05, p, p >= 0.4, agency, 0.5)


def run(ctx: Context, text: str, p: float | None, url: str, outlet: str = "cna",
        at: datetime = T0, government: str = "TPE", agency: str | None = None, **kw: Any) -> Item:
    item = Item(url=url, title="", text=text, source=outlet, outlet=outlet, published_at=at, **kw)
    out = run_item(item, [normalize, dedupe, match], ctx)
    assert out is not None
    out.decision = None if p is None else decided(p, government, agency)
    return triage(out, ctx)


@pytest.mark.parametrize(("text", "p", "government", "priority", "flagged"), [
    (MRT, 0.8, "TPE", "high", True),  # needs a response from the office: alerts
    (MRT, 0.3, "TPE", "normal", False),  # about the office's government, no response needed: digest
    (MRT, None, "TPE", "low", False),  # not decided: never alerts
    (WEATHER, 0.05, "CENTRAL", "low", False),  # another government's news: stored only
])
def test_default_rules_follow_the_decision(ctx: Context, text: str, p: float | None, government: str,
                                           priority: str, flagged: bool) -> None:
    item = run(ctx, text, p, "https://a.tw/1", government=government)
    assert (item.priority, item.flagged) == (priority, flagged)
    action = "alert" if flagged else "digest" if priority == "normal" else "store"
    assert item.meta["triage"]["action"] == action


def test_the_threshold_and_the_watchlist_condition_change_the_default_rule(tmp_path: Path) -> None:
    settings, session = with_settings(tmp_path, decision={"threshold": 0.9})
    ctx = Context(settings=settings, session=session)
    assert not run(ctx, MRT, 0.8, "https://a.tw/1").flagged  # below the raised threshold
    assert run(ctx, WEATHER, 0.95, "https://b.tw/1").flagged  # the model may alert off the watchlist
    settings, session = with_settings(tmp_path / "b", decision={"threshold": 0.9}, alerts={"only_relevant": True})
    ctx = Context(settings=settings, session=session)
    assert not run(ctx, WEATHER, 0.95, "https://b.tw/1").flagged  # only_relevant narrows to the watchlist
    assert run(ctx, MRT, 0.95, "https://a.tw/1").flagged


def test_sensitivity_follows_the_routed_bureau(ctx: Context) -> None:
    item = run(ctx, WEATHER, 0.8, "https://a.tw/2", agency="消防局")
    assert item.meta["triage"]["sensitivity"] == 1.2  # 消防局's, though the watchlist matched nothing


def test_a_fast_spreading_story_becomes_critical(ctx: Context) -> None:
    outlets = ["cna", "ltn", "udn", "tvbs", "setn", "ettoday", "yahoo"]
    first = run(ctx, MRT, 0.9, "https://cna.tw/1", outlet="cna")
    assert first.priority == "high"
    last = first
    for n, outlet in enumerate(outlets[1:], 1):
        last = run(ctx, f"【{outlet}】{MRT}", 0.9, f"https://{outlet}.tw/1", outlet=outlet,
                   at=T0 + timedelta(minutes=5 * n))
    assert last.cluster_id == first.cluster_id
    assert last.meta["triage"]["velocity"] == len(outlets)
    assert last.priority == "critical" and last.flagged
    cluster = ctx.session.get(Cluster, first.cluster_id)
    assert cluster is not None and cluster.priority == "critical"
    # hours later a copy finds the story cooled down: only its own copy in the last hour
    late = run(ctx, f"【晚報】{MRT}", 0.9, "https://late.tw/1", outlet="pts", at=T0 + timedelta(hours=3))
    assert late.meta["triage"]["velocity"] == 1
    assert late.meta["triage"]["urgency"] < last.meta["triage"]["urgency"]


def test_custom_rules_by_agency_and_engagement(tmp_path: Path) -> None:
    rules = [{"name": "mrt-any", "priority": "critical", "action": "alert", "min_score": 0.2,
              "agencies": ["捷運公司"]},
             {"name": "viral", "priority": "high", "action": "alert", "min_score": 0, "min_reach": 5000},
             {"name": "rest", "priority": "low", "action": "store", "min_score": 0, "relevant": False}]
    settings, session = with_settings(tmp_path, triage={"rules": rules})
    ctx = Context(settings=settings, session=session)
    assert run(ctx, MRT, 0.25, "https://a.tw/1").priority == "critical"
    viral = run(ctx, "蔣萬安今天出席市政會議，網友熱烈討論市府施政滿意度調查結果，留言破萬。", 0.1,
                "https://www.facebook.com/1", outlet="facebook", engagement={"likes": 4000, "shares": 1200})
    assert (viral.priority, viral.flagged) == ("high", True)
    assert run(ctx, WEATHER, 0.9, "https://c.tw/1").priority == "low"
