"""Spike detection: a burst against a quiet baseline alerts once; a busy steady scope does not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from newsdesk.cli import main
from pipeline.models import Alert, ItemRow, MatchRow, SentimentScore
from pipeline.settings import Settings
from pipeline.spikes import detect, poisson_tail, write_alerts

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def add(session: Session, n: int, at: datetime, agency: str, title: str, *, rule: str | None = None,
        kind: str = "article", label: str | None = None, likes: int = 0) -> None:
    row = ItemRow(url=f"https://x.tw/{n}", canonical_url=f"https://x.tw/{n}", content_hash=f"{n:064d}",
                  source="cna", outlet="cna", kind=kind, title=title, text=title, published_at=at,
                  engagement={"likes": likes}, cluster_id=None)
    row.matches.append(MatchRow(agency=agency, rule=f"agency:{agency}", kind="keyword", terms=[title[:2]]))
    if rule:
        row.matches.append(MatchRow(agency=agency, rule=rule, kind="topic", terms=["捷運", "故障"]))
    if label:
        row.scores.append(SentimentScore(label=label, score=0.9 if label == "negative" else 0.1, model="m",
                                         version="1"))
    session.add(row)


@pytest.fixture
def burst(session: Session) -> Session:
    n = 0
    for day in range(1, 15):  # MRT: one item a day for two weeks
        n += 1
        add(session, n, NOW - timedelta(days=day), "捷運公司", "捷運新聞")
    for hour in range(2, 14 * 24):  # police: about one an hour, all the time
        n += 1
        add(session, n, NOW - timedelta(hours=hour, minutes=30), "警察局", "警方新聞")
    for k in range(8):  # the burst: eight MRT items in the last hour
        n += 1
        add(session, n, NOW - timedelta(minutes=5 + 6 * k), "捷運公司", f"捷運板南線故障{k}",
            rule="topic:捷運事故", label="negative" if k < 6 else "not_negative", likes=100 * k)
    for k in range(5):  # police: five in the last hour is within its normal swing
        n += 1
        add(session, n, NOW - timedelta(minutes=10 * k + 1), "警察局", "警方查獲")
    session.flush()
    return session


def test_poisson_tail() -> None:
    assert poisson_tail(0, 2.0) == 1.0
    assert poisson_tail(1, 2.0) == pytest.approx(1 - 2.718281828 ** -2.0)
    assert poisson_tail(8, 0.5) < 1e-6


def test_burst_is_a_spike_and_steady_volume_is_not(burst: Session, settings: Settings) -> None:
    spikes = {(s.scope, s.name): s for s in detect(burst, settings, NOW)}
    assert set(spikes) == {("agency", "捷運公司"), ("topic", "捷運事故")}
    mrt = spikes[("agency", "捷運公司")]
    assert mrt.count == 8 and mrt.expected == settings.spikes.min_rate  # 14 in 14 days: below the floor
    assert mrt.top_terms == [("捷運", 8), ("故障", 8)]  # items per term, most first
    assert mrt.top_items[0]["title"] == "捷運板南線故障7"  # most engaged first
    assert mrt.sentiment == {"negative": 6, "not_negative": 2}


def test_spike_alerts_are_written_once(burst: Session, settings: Settings) -> None:
    spikes = detect(burst, settings, NOW)
    assert write_alerts(burst, settings, spikes, ["console"]) == 2
    again = detect(burst, settings, NOW + timedelta(minutes=10))  # same hour: the same alerts
    assert write_alerts(burst, settings, again, ["console"]) == 0
    alerts = list(burst.scalars(select(Alert).order_by(Alert.id)))
    assert [a.kind for a in alerts] == ["spike", "spike"]
    assert alerts[0].payload["name"] == "捷運公司" and alerts[0].payload["count"] == 8
    assert alerts[0].status == "pending" and alerts[0].item_id is not None


def test_social_posts_use_the_short_baseline(session: Session, settings: Settings) -> None:
    for k in range(24):  # a busy afternoon yesterday is outside the 12-hour social baseline
        add(session, k, NOW - timedelta(hours=20, minutes=k), "交通局", "公車", kind="post")
    for k in range(6):
        add(session, 100 + k, NOW - timedelta(minutes=5 * k + 1), "交通局", "公車改線", kind="post")
    session.flush()
    found = detect(session, settings, NOW)
    assert [(s.name, s.kind, s.count) for s in found] == [("交通局", "post", 6)]


def test_cli_writes_spike_alerts(burst: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    burst.commit()
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    out = CliRunner().invoke(main, ["spikes", "--at", NOW.isoformat()])
    assert out.exit_code == 0, out.output
    assert "agency:捷運公司 [article] 8 in window" in out.output
    assert "2 spike alert(s) written" in out.output
