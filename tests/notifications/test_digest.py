from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from notifications.digest import chart_png, collect, parse_since, render_text, run_digest_if_due
from notifications.outbox import deliver_pending
from notifications.slack import SlackNotifier
from pipeline.models import Alert, Response
from pipeline.settings import Settings
from tests.notifications.factories import stored_item
from tests.notifications.slack_stub import SlackStub

NOW = datetime(2024, 9, 2, 0, 30, tzinfo=UTC)  # 08:30 Taipei


def _fill(session: Session) -> None:
    hour = timedelta(hours=1)
    for i in range(4):
        stored_item(session, title=f"北捷故障 {i}", agency="捷運公司", score=0.6 + i / 10,
                    collected_at=NOW - hour)
    stored_item(session, title="<!channel> 垃圾 & 噪音", agency="環保局", collected_at=NOW - 2 * hour)
    stored_item(session, title="好消息", agency="環保局", label="not_negative", score=0.1,
                collected_at=NOW - hour)
    stored_item(session, title="昨天的", agency="環保局", collected_at=NOW - 30 * hour)  # previous period
    stored_item(session, title="太舊", agency="捷運公司", collected_at=NOW - 60 * hour)  # outside both
    session.add_all([Response(status="open", deadline=NOW - hour), Response(status="assigned"),
                     Response(status="responded", deadline=NOW - hour)])
    session.flush()


def test_collect_counts_agencies_sentiment_responses_and_spikes(session: Session) -> None:
    _fill(session)
    d = collect(session, NOW - timedelta(days=1), NOW)
    mrt, env = d.agencies
    assert (mrt.agency, mrt.mentions, mrt.negative, mrt.previous) == ("捷運公司", 4, 4, 0)
    assert [s.title for s in mrt.top] == ["北捷故障 3", "北捷故障 2", "北捷故障 1"]
    assert (env.agency, env.mentions, env.negative, env.previous) == ("環保局", 2, 1, 1)
    assert d.sentiment == {"negative": 5, "not_negative": 1}
    assert (d.open_responses, d.overdue_responses) == (2, 1)
    assert [a.agency for a in d.spikes] == ["捷運公司"]


def test_text_is_escaped_and_in_office_time(session: Session) -> None:
    _fill(session)
    text = render_text(collect(session, NOW - timedelta(days=1), NOW))
    assert "<!channel>" not in text and "&lt;!channel&gt; 垃圾 &amp; 噪音" in text
    assert "2024-09-01 08:30 – 2024-09-02 08:30" in text and "*激增*：捷運公司 0→4" in text
    assert "逾期 1" in text


def test_chart_is_a_png(session: Session) -> None:
    _fill(session)
    png = chart_png(collect(session, NOW - timedelta(days=1), NOW))
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000


@pytest.mark.parametrize(("text", "expected"), [("24h", timedelta(hours=24)), ("7d", timedelta(days=7)),
                                                ("90m", timedelta(minutes=90))])
def test_parse_since(text: str, expected: timedelta) -> None:
    assert parse_since(text) == expected


def test_parse_since_names_the_option() -> None:
    with pytest.raises(ValueError, match="--since 'yesterday'"):
        parse_since("yesterday")


def test_daily_digest_once_after_its_time_retried_through_the_outbox(
        session: Session, settings: Settings, notifier: SlackNotifier, stub: SlackStub) -> None:
    _fill(session)
    assert run_digest_if_due(session, settings, NOW - timedelta(hours=1), ["slack"]) == 0  # 07:30 Taipei
    assert run_digest_if_due(session, settings, NOW, ["slack"]) == 1
    assert run_digest_if_due(session, settings, NOW + timedelta(minutes=5), ["slack"]) == 0  # queued once
    stub.fail_next("500")  # Slack down: the digest is a failed digest, not an "alert"
    assert deliver_pending(session, notifier, now=NOW) == (0, 1)
    digest = session.scalars(select(Alert).where(Alert.kind == "digest")).one()
    assert digest.status == "failed" and stub.messages() == []
    assert deliver_pending(session, notifier, now=NOW + timedelta(hours=1)) == (1, 0)
    [msg] = stub.messages("press-alerts")
    assert "每日輿情摘要" in msg.text and "ALERT" not in msg.text and "item removed" not in msg.text
    assert msg.metadata and msg.metadata["event_payload"]["key"] == "digest:slack:2024-09-02"
    [upload] = stub.uploads.values()
    assert upload.content is not None and upload.content.startswith(b"\x89PNG")
    assert upload.channel == stub.channel_named("press-alerts").id
    session.refresh(digest)
    assert digest.status == "sent" and digest.idempotency_key == "digest:slack:2024-09-02"
    assert deliver_pending(session, notifier, now=NOW + timedelta(hours=3)) == (0, 0)


def test_digest_posted_then_answer_lost_is_not_posted_again(session: Session, settings: Settings,
                                                            notifier: SlackNotifier, stub: SlackStub) -> None:
    _fill(session)
    run_digest_if_due(session, settings, NOW, ["slack"])
    stub.fail_next("500_after")  # Slack posted the digest, then answered 500
    assert deliver_pending(session, notifier, now=NOW) == (0, 1)
    assert deliver_pending(session, notifier, now=NOW + timedelta(hours=1)) == (1, 0)
    assert len(stub.messages("press-alerts")) == 1


def test_console_digest_goes_through_the_outbox(session: Session, settings: Settings) -> None:
    import io

    from notifications.base import ConsoleNotifier

    _fill(session)
    assert run_digest_if_due(session, settings, NOW) == 1  # the settings' notifiers: the console
    out = io.StringIO()
    assert deliver_pending(session, ConsoleNotifier(out), now=NOW) == (1, 0)
    assert out.getvalue().startswith("*每日輿情摘要*") and "[ALERT]" not in out.getvalue()
