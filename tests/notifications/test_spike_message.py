"""A spike is delivered as a spike: the agency or topic, the count against its baseline, the top stories."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from notifications.base import ConsoleNotifier
from notifications.outbox import deliver_pending
from notifications.slack import SlackNotifier
from pipeline.models import Alert
from pipeline.settings import Settings
from pipeline.spikes import Spike, write_alerts
from tests.notifications.factories import stored_item
from tests.notifications.slack_stub import SlackStub

END = datetime(2024, 9, 2, 3, 0, tzinfo=UTC)


def _spike(session: Session) -> Spike:
    first, second = stored_item(session), stored_item(session)
    return Spike("agency", "捷運公司", "article", 12, 1.3, 2e-7, END, top_terms=[("淡水信義線", 9)],
                 top_items=[{"id": first.id, "title": "北捷淡水信義線停駛 <!channel> 通勤族塞爆", "url": "https://n.example/1",
                             "outlet": "cna", "cluster_id": 4},
                            {"id": second.id, "title": "捷運延誤 乘客怒", "url": "https://n.example/2", "outlet": "ltn",
                             "cluster_id": 5}])


def test_a_spike_reaches_slack_as_a_spike(session: Session, settings: Settings, notifier: SlackNotifier,
                                          stub: SlackStub) -> None:
    assert write_alerts(session, settings, [_spike(session)], ["slack"]) == 1
    session.commit()
    assert deliver_pending(session, notifier) == (1, 0)
    [msg] = stub.messages("press-alerts")
    assert "激增：捷運公司（機關，新聞）12 則，預期 1.3 則" in msg.text
    body = str(msg.blocks)
    assert "北捷淡水信義線停駛" in body and "https://n.example/2" in body and "淡水信義線" in body
    assert "<!channel>" not in body and "item removed" not in body and "負面新聞" not in msg.text
    assert session.scalars(select(Alert)).one().status == "sent" and stub.violations == []


def test_a_spike_on_the_console_names_its_stories(session: Session, settings: Settings) -> None:
    write_alerts(session, settings, [_spike(session)], ["console"])
    session.commit()
    out = io.StringIO()
    assert deliver_pending(session, ConsoleNotifier(out)) == (1, 0)
    text = out.getvalue()
    assert text.startswith("[SPIKE] 激增：捷運公司") and "捷運延誤 乘客怒（ltn）https://n.example/2" in text
    assert "[ALERT]" not in text
