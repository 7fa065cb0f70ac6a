"""The outbox against the Slack stub: threads, order, exactly once, back-off, dead-letter, outages."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from notifications import outbox
from notifications.base import AlertMessage, Delivery, NotifierUnavailable, RecordingNotifier
from notifications.outbox import RetryPolicy, deliver_pending, enqueue
from notifications.slack import SlackNotifier
from pipeline.models import Alert, Cluster, utcnow
from pipeline.settings import Settings, load_settings
from tests.notifications.factories import cluster, stored_item
from tests.notifications.slack_stub import SlackStub

CH = "#press-alerts"


@pytest.fixture
def settings(backend_url: str) -> Settings:
    """Every outbox test runs on SQLite and on PostgreSQL."""
    return load_settings(None, {"database_url": backend_url}, use_env=False)


def test_enqueue_once_per_story_then_copies(session: Session) -> None:
    cid = cluster(session)
    first, again = stored_item(session, cluster_id=cid), stored_item(session, cluster_id=cid, outlet="ltn")
    parent = enqueue(session, first, CH, "slack")
    assert parent is not None and parent.kind == "item"
    assert enqueue(session, first, CH, "slack") is None
    copy = enqueue(session, again, CH, "slack")
    assert copy is not None and copy.kind == "copy" and copy.payload == {"parent_id": parent.id}
    assert enqueue(session, again, CH, "slack") is None
    assert enqueue(session, first, "#other", "slack") is not None


def test_recording_notifier_gets_the_stored_facts(session: Session) -> None:
    item = stored_item(session, title="北捷 & 乘客")
    enqueue(session, item, CH, "recording")
    rec = RecordingNotifier()
    assert deliver_pending(session, rec) == (1, 0)
    [(channel, msg)] = rec.sent
    assert channel == CH and msg.title == "北捷 & 乘客" and msg.agencies == ["捷運公司"] and msg.score == 0.9
    assert msg.idempotency_key == f"recording:{CH}:item:{item.id}"
    assert session.scalars(select(Alert)).one().status == "sent"


def test_copies_go_in_the_thread_and_update_the_count(session: Session, notifier: SlackNotifier,
                                                       stub: SlackStub) -> None:
    cid = cluster(session, outlets=["cna"], reach=100)
    enqueue(session, stored_item(session, cluster_id=cid), CH, "slack")
    assert deliver_pending(session, notifier) == (1, 0)
    session.get(Cluster, cid).outlets, session.get(Cluster, cid).reach = ["cna", "ltn"], 4200  # type: ignore[union-attr]
    enqueue(session, stored_item(session, cluster_id=cid, outlet="ltn"), CH, "slack")
    assert deliver_pending(session, notifier) == (1, 0)
    parent, reply = stub.messages("press-alerts")
    assert reply.thread_ts == parent.ts
    assert len(parent.updates) == 1
    assert "4,200" in str(parent.blocks) and "*報導家數*\\n2" in str(parent.blocks)
    rows = session.scalars(select(Alert).order_by(Alert.id)).all()
    assert [r.thread_id for r in rows] == [parent.ts, parent.ts] and rows[1].external_id == reply.ts


def test_copies_wait_for_their_story_and_keep_order(session: Session, notifier: SlackNotifier,
                                                     stub: SlackStub) -> None:
    notifier.client.retry_handlers = []
    cid = cluster(session)
    for outlet in ("cna", "ltn", "udn", "pts"):
        enqueue(session, stored_item(session, cluster_id=cid, outlet=outlet), CH, "slack")
    stub.fail_next("500")  # the story's first message fails
    assert deliver_pending(session, notifier) == (0, 1)
    assert stub.messages() == []
    statuses = [a.status for a in session.scalars(select(Alert).order_by(Alert.id))]
    assert statuses == ["failed", "pending", "pending", "pending"]
    assert deliver_pending(session, notifier, now=utcnow() + timedelta(hours=1)) == (4, 0)
    msgs = stub.messages("press-alerts")
    assert [m.text.split("：")[1].split(" |")[0] for m in msgs] == ["cna", "ltn", "udn", "pts"]
    assert all(m.thread_ts == msgs[0].ts for m in msgs[1:])


def test_a_failed_copy_holds_back_the_later_ones(session: Session, notifier: SlackNotifier,
                                                  stub: SlackStub) -> None:
    notifier.client.retry_handlers = []
    cid = cluster(session)
    for outlet in ("cna", "ltn", "udn"):
        enqueue(session, stored_item(session, cluster_id=cid, outlet=outlet), CH, "slack")
    stub.fail_next("ok", "500")  # the story goes out, its first copy fails
    assert deliver_pending(session, notifier) == (1, 1)
    assert [a.status for a in session.scalars(select(Alert).order_by(Alert.id))] == ["sent", "failed", "pending"]
    assert deliver_pending(session, notifier, now=utcnow() + timedelta(hours=1)) == (2, 0)
    msgs = stub.messages()
    assert [m.text.split("：")[1].split(" |")[0] for m in msgs] == ["cna", "ltn", "udn"]


def test_killed_between_send_and_commit_sends_exactly_once(session: Session, notifier: SlackNotifier,
                                                            stub: SlackStub) -> None:
    class DiesAfterSending:
        name = "slack"

        def send(self, message: AlertMessage, channel: str) -> Delivery:
            notifier.send(message, channel)
            raise SystemExit("killed")  # not an Exception: nothing after the send runs

        def find_sent(self, *a: object) -> Delivery | None:
            return notifier.find_sent(*a)  # type: ignore[arg-type]

        def update(self, *a: object) -> None:
            raise AssertionError("no update expected")

    enqueue(session, stored_item(session), CH, "slack")
    session.commit()
    with pytest.raises(SystemExit):
        deliver_pending(session, DiesAfterSending())
    session.rollback()
    alert = session.scalars(select(Alert)).one()
    assert alert.status == "sending" and alert.lease_owner  # what the crashed worker left behind
    assert deliver_pending(session, notifier) == (0, 0)  # a live lease is never taken over
    later = utcnow() + timedelta(seconds=outbox.LEASE_SECONDS + 1)
    assert deliver_pending(session, notifier, now=later) == (1, 0)  # expired: looked up, not resent
    [msg] = stub.messages()
    assert alert.status == "sent" and alert.external_id == msg.ts and alert.lease_owner is None


def test_a_dead_process_lease_is_taken_over_at_once(session: Session, notifier: SlackNotifier,
                                                    stub: SlackStub) -> None:
    import subprocess
    import sys

    from pipeline.leases import HOST

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()
    enqueue(session, stored_item(session), CH, "slack")
    alert = session.scalars(select(Alert)).one()
    alert.status, alert.lease_owner = "sending", f"{HOST}:{gone}:abcdef:1"
    alert.lease_until = utcnow() + timedelta(hours=1)
    session.commit()
    assert deliver_pending(session, notifier) == (1, 0)  # the owner is gone: no need to wait an hour
    assert len(stub.messages()) == 1 and alert.status == "sent"


def test_timeout_after_posting_is_not_sent_twice(session: Session, notifier: SlackNotifier,
                                                 stub: SlackStub) -> None:
    enqueue(session, stored_item(session), CH, "slack")
    stub.fail_next("timeout_after")
    assert deliver_pending(session, notifier) == (0, 1)
    alert = session.scalars(select(Alert)).one()
    assert alert.status == "failed" and alert.payload["maybe_sent"]
    assert "did not answer" in str(alert.last_error)
    assert deliver_pending(session, notifier, now=utcnow() + timedelta(minutes=5)) == (1, 0)
    assert len(stub.messages()) == 1 and alert.external_id == stub.messages()[0].ts


def test_revoked_token_keeps_alerts(session: Session, notifier: SlackNotifier, stub: SlackStub) -> None:
    for _ in range(3):
        enqueue(session, stored_item(session), CH, "slack")
    stub.revoked = True
    with pytest.raises(NotifierUnavailable, match="invalid_auth"):
        deliver_pending(session, notifier)
    rows = session.scalars(select(Alert).order_by(Alert.id)).all()
    assert [r.status for r in rows] == ["pending"] * 3 and [r.attempts for r in rows] == [0, 0, 0]
    assert "SLACK_BOT_TOKEN" in str(rows[0].last_error)
    stub.revoked = False
    assert deliver_pending(session, notifier, now=utcnow() + timedelta(hours=1)) == (3, 0)


def test_not_in_channel_is_dead_lettered_then_retried(session: Session, notifier: SlackNotifier,
                                                      stub: SlackStub) -> None:
    cid = stub.add_channel("secret-room", member=False)
    enqueue(session, stored_item(session), "#secret-room", "slack")
    assert deliver_pending(session, notifier) == (0, 1)
    [dead] = outbox.dead_letters(session)
    assert dead.status == "dead" and "invite" in str(dead.last_error)
    stub.channels[cid].member = True
    assert outbox.requeue(session, [dead.id]) == 1
    assert deliver_pending(session, notifier) == (1, 0)
    assert len(stub.messages("secret-room")) == 1


def test_an_hour_long_outage_loses_nothing(session: Session, notifier: SlackNotifier,
                                           stub: SlackStub) -> None:
    notifier.client.retry_handlers = []
    policy = RetryPolicy(max_attempts=12, base=10, cap=900)
    for _ in range(3):
        enqueue(session, stored_item(session), CH, "slack")
    stub.random_faults(p500=1.0)
    start = now = utcnow()
    while now < start + timedelta(hours=1):
        deliver_pending(session, notifier, policy=policy, now=now)
        now += timedelta(minutes=1)
    rows = session.scalars(select(Alert).order_by(Alert.id)).all()
    assert all(r.status == "failed" for r in rows) and max(r.attempts for r in rows) < 12
    stub.random_faults()
    deliver_pending(session, notifier, policy=policy, now=now + timedelta(minutes=15))
    assert [r.status for r in rows] == ["sent"] * 3 and len(stub.messages()) == 3


def test_back_off_grows_and_honours_retry_after() -> None:
    policy = RetryPolicy(base=10, cap=900)
    delays = [policy.delay(n) for n in range(1, 10)]
    assert 8 <= delays[0] <= 10 and delays[-1] <= 900 and delays[5] > delays[2]
    assert policy.delay(1, retry_after=120) == 120


def test_dead_after_max_attempts(session: Session, notifier: SlackNotifier, stub: SlackStub) -> None:
    notifier.client.retry_handlers = []
    enqueue(session, stored_item(session), CH, "slack")
    stub.random_faults(p500=1.0)
    now = utcnow()
    for _ in range(3):
        deliver_pending(session, notifier, policy=RetryPolicy(max_attempts=3), now=now)
        now += timedelta(hours=1)
    assert session.scalars(select(Alert)).one().status == "dead"


def test_rate_per_channel_is_kept_without_holding_other_channels(session: Session, notifier: SlackNotifier,
                                                                  stub: SlackStub) -> None:
    notifier.limiter.interval = 0.25
    for channel in ("#press-alerts", "#mrt-alerts"):
        for _ in range(4):
            enqueue(session, stored_item(session), channel, "slack")
    sent = 0
    passes = 0
    while sent < 8:
        sent += deliver_pending(session, notifier)[0]
        passes += 1
        assert passes < 500
        time.sleep(0.01)
    for name in ("press-alerts", "mrt-alerts"):
        assert stub.max_per_window(name, 0.25) == 1 and len(stub.messages(name)) == 4
    firsts = sorted(m.received for m in stub.messages())[:2]
    assert firsts[1] - firsts[0] < 0.2  # the second channel did not wait for the first one's pace


def test_two_workers_with_a_faulty_slack_send_every_alert_exactly_once(
        sessions: sessionmaker[Session], settings: Settings, slack_env: SlackStub) -> None:
    """429s, 500s after posting, time-outs after posting and dropped connections, two workers at once."""
    import threading

    stub = slack_env
    stub.stall = 0.6
    stub.random_faults(p429=0.1, p500=0.05, ptimeout_after=0.05, p500_after=0.1, pdrop=0.05, pdrop_after=0.1)
    with sessions() as s:
        cid = cluster(s)
        for i in range(24):
            enqueue(s, stored_item(s, cluster_id=cid if i % 4 == 0 else None, outlet=f"o{i}"), CH, "slack")
        s.commit()
    policy = RetryPolicy(max_attempts=50, base=0.05, cap=0.3, lease=30)
    notifiers = []
    for _ in range(2):
        n = SlackNotifier.from_settings(settings, timeout=0.4)
        n.limiter.interval = 0.0
        notifiers.append(n)
    deadline = time.monotonic() + 60

    def work(n: SlackNotifier) -> None:
        while time.monotonic() < deadline:
            with sessions() as s:
                deliver_pending(s, n, policy=policy)
                if not outbox.count_due(s, "slack", utcnow() + timedelta(seconds=1)):
                    return
            time.sleep(0.05)

    workers = [threading.Thread(target=work, args=(n,)) for n in notifiers]
    for w in workers:
        w.start()
    for w in workers:
        w.join(90)
    with sessions() as s:
        rows = s.scalars(select(Alert)).all()
        assert {r.status for r in rows} == {"sent"}, [(r.id, r.status, r.last_error) for r in rows]
    keys = [m.metadata["event_payload"]["key"] for m in stub.messages() if m.metadata]
    assert sorted(keys) == sorted(r.idempotency_key for r in rows)  # each alert once, none twice
    assert sum(stub.injected.values()) >= 5  # the faults did happen
