from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from notifications.digest import Digest, collect, parse_since, render_text, run_digest_if_due
from notifications.outbox import deliver_pending
from notifications.slack import SlackNotifier
from pipeline.models import Alert, Response
from pipeline.settings import Settings
from tests.notifications.factories import cluster, stored_item
from tests.notifications.slack_stub import SlackStub

NOW = datetime(2024, 9, 2, 0, 30, tzinfo=UTC)  # 08:30 Taipei


def _fill(session: Session) -> None:
    hour = timedelta(hours=1)
    mrt = cluster(session, "北捷故障")
    for i, outlet in enumerate(["cna", "ltn", "udn"]):  # one story, three copies
        stored_item(session, title=f"北捷故障 {i}", agency="捷運公司", score=0.6 + i / 10, outlet=outlet,
                    cluster_id=mrt, published_at=NOW - hour)
    stored_item(session, title="北捷又故障", agency="捷運公司", score=0.95, published_at=NOW - 3 * hour)
    stored_item(session, title="<!channel> 垃圾 & 噪音", agency="環保局", published_at=NOW - 2 * hour)
    stored_item(session, title="好消息", agency="環保局", label="not_negative", score=0.1, published_at=NOW - hour)
    stored_item(session, title="昨天的", agency="環保局", published_at=NOW - 30 * hour)  # previous period
    stored_item(session, title="太舊", agency="捷運公司", published_at=NOW - 60 * hour)  # outside both
    # collected in the period but published three days before it: not this period's news
    stored_item(session, title="舊聞重抓", agency="捷運公司", published_at=NOW - 72 * hour, collected_at=NOW - hour)
    session.add_all([Response(status="open", deadline=NOW - hour), Response(status="assigned"),
                     Response(status="responded", deadline=NOW - hour)])
    session.flush()


def _digest(session: Session) -> Digest:
    names = {"cna": "中央社", "ltn": "自由時報"}
    return collect(session, NOW - timedelta(days=1), NOW, outlet_name=lambda code: names.get(code, code))


def test_collect_counts_stories_by_publication_time(session: Session) -> None:
    _fill(session)
    d = _digest(session)
    mrt, env = d.agencies
    assert (mrt.agency, mrt.mentions, mrt.negative, mrt.story_count, mrt.previous) == ("捷運公司", 4, 4, 2, 0)
    first, second = mrt.top  # one line per story, most negative first
    assert (first.title, first.copies, second.copies) == ("北捷又故障", 1, 3)
    assert (second.title, second.outlets) == ("北捷故障 0", ["中央社", "自由時報", "udn"])  # its first copy
    assert (env.agency, env.mentions, env.negative, env.previous) == ("環保局", 2, 1, 1)
    assert d.sentiment == {"negative": 5, "not_negative": 1}
    assert (d.open_responses, d.overdue_responses) == (2, 1)
    assert d.spikes == []  # 0 → 4 is not a spike: `newsdesk spikes` needs at least 5 (and a small p)


def test_a_spike_is_what_spikes_finds(session: Session, settings: Settings) -> None:
    from pipeline.spikes import detect

    for i in range(6):
        stored_item(session, title=f"大巨蛋散場 {i}", agency="體育局", published_at=NOW - timedelta(hours=2))
    d = collect(session, NOW - timedelta(days=1), NOW, spikes=settings.spikes)
    found = {s.name for s in detect(session, settings, NOW, timedelta(days=1)) if s.scope == "agency"}
    assert [a.agency for a in d.spikes] == ["體育局"] == sorted(found)
    assert "激增（至少 5 則且 p < 0.001）：體育局 6 則" in render_text(d)


def test_text_has_no_markup(session: Session) -> None:
    _fill(session)
    text = render_text(_digest(session))
    assert text.startswith("每日輿情摘要（依發布時間）2024-09-01 08:30 至 2024-09-02 08:30")
    assert "<!channel> 垃圾 & 噪音" in text and "&amp;" not in text and "*" not in text and "<http" not in text
    assert "1. 捷運公司：4 則報導、2 則新聞事件，負面 4 則（前期 0 則）" in text
    assert "   - 北捷故障 0｜中央社、自由時報、udn 3 則｜負面 0.80｜https://" in text
    assert "逾期 1 件" in text


def test_slack_gets_block_kit_and_email_gets_html(session: Session) -> None:
    from notifications import digest_render

    _fill(session)
    d = _digest(session)
    blocks = digest_render.blocks(d)
    assert blocks[0]["type"] == "header" and blocks[0]["text"]["text"] == "每日輿情摘要"
    body = json.dumps(blocks, ensure_ascii=False)
    assert "&lt;!channel&gt; 垃圾 &amp; 噪音" in body and "<!channel>" not in body
    assert "<https://news.example.tw/" in body  # stories are links
    html = digest_render.html(d, chart_cid="chart")
    assert "&lt;!channel&gt; 垃圾 &amp; 噪音" in html and '<a href="https://news.example.tw/' in html
    assert 'src="cid:chart"' in html


def test_chart_has_a_readable_title_a_chinese_legend_and_whole_numbers(session: Session) -> None:
    from notifications.digest_render import chart_figure, chart_png, cjk_font

    _fill(session)
    d = _digest(session)
    if cjk_font() is None:
        pytest.skip("no CJK font installed (fonts-noto-cjk): the chart falls back to English labels")
    fig = chart_figure(d)
    ax = fig.axes[0]
    assert ax.get_title() == "各機關報導則數（2024-09-01 08:30 至 2024-09-02 08:30）"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["負面", "其他"]
    fig.canvas.draw()
    ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
    assert ticks and all(float(t).is_integer() for t in ticks)
    assert chart_png(d).startswith(b"\x89PNG\r\n\x1a\n")


def test_the_digest_command_prints_plain_text(session: Session, settings: Settings) -> None:
    from click.testing import CliRunner

    from newsdesk.cli import main

    _fill(session)
    session.commit()
    env = {"DATABASE_URL": settings.database_url}
    out = CliRunner().invoke(main, ["digest", "--until", "2024-09-02 08:30"], env=env)
    assert out.exit_code == 0, out.output
    assert "北捷故障 0｜中央社、自由時報、聯合新聞網 3 則" in out.output and "<http" not in out.output
    slack = CliRunner().invoke(main, ["digest", "--until", "2024-09-02 08:30", "--format", "slack"], env=env)
    assert json.loads(slack.output)["blocks"][0]["type"] == "header"


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
    assert msg.blocks[0]["type"] == "header"  # Block Kit on Slack, checked by the stub with slack-sdk
    assert "1. 捷運公司：4 則報導、2 則新聞事件" in json.dumps(msg.blocks, ensure_ascii=False)
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
    assert out.getvalue().startswith("每日輿情摘要（依發布時間）2024-09-01 08:30 至 2024-09-02 08:30")
    assert "[ALERT]" not in out.getvalue() and "*" not in out.getvalue()  # plain text on the console
