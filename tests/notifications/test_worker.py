"""The outbox worker never dies silently; the fallback gets what Slack cannot deliver."""

from __future__ import annotations

import io
import logging
import threading
import time

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from notifications import outbox
from notifications.base import ConsoleNotifier, RecordingNotifier
from notifications.outbox import RetryPolicy, enqueue
from notifications.slack import SlackNotifier
from notifications.worker import run_worker
from pipeline.models import Alert, Worker
from tests.notifications.factories import stored_item
from tests.notifications.slack_stub import SlackStub

CH = "#press-alerts"


def _until(predicate: object, seconds: float = 15) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_an_unexpected_error_is_logged_with_the_alert_and_the_worker_goes_on(
        sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    with sessions() as s:
        alert = enqueue(s, stored_item(s), CH, "recording")
        s.commit()
        assert alert is not None
        alert_id = alert.id
    real = outbox.message_for
    calls = []

    def flaky(session: Session, a: Alert) -> object:
        calls.append(a.id)
        if len(calls) == 1:
            raise RuntimeError("database went away")
        return real(session, a)

    monkeypatch.setattr(outbox, "message_for", flaky)
    rec, stop = RecordingNotifier(), threading.Event()
    worker = threading.Thread(target=run_worker, args=(sessions, rec, stop),
                              kwargs={"policy": RetryPolicy(base=0.01, cap=0.05, lease=0.5), "poll": 0.05})
    with caplog.at_level(logging.ERROR):
        worker.start()
        try:
            assert _until(lambda: len(rec.sent) == 1), "the worker did not go on after the error"
            assert worker.is_alive()
        finally:
            stop.set()
            worker.join(10)
    assert any(f"alert {alert_id}" in r.getMessage() for r in caplog.records)
    with sessions() as s:
        [row] = s.scalars(select(Worker).where(Worker.kind == "outbox")).all()
        assert row.errors == 1 and f"alert {alert_id}" in str(row.last_error) and row.state == "stopped"


def test_when_slack_cannot_deliver_the_fallback_gets_it_and_slack_still_does_later(
        sessions: sessionmaker[Session], notifier: SlackNotifier, stub: SlackStub) -> None:
    with sessions() as s:
        for _ in range(2):
            enqueue(s, stored_item(s, title="北市停水 市民怒"), CH, "slack")
        s.commit()
    stub.revoked = True  # the token stopped working: nothing can go to Slack
    out, stop = io.StringIO(), threading.Event()
    policy = RetryPolicy(base=0.05, cap=0.2, lease=5)
    threads = [threading.Thread(target=run_worker, args=(sessions, notifier, stop), kwargs={"policy": policy}),
               threading.Thread(target=run_worker, args=(sessions, ConsoleNotifier(out), stop),
                                kwargs={"policy": policy, "fallback_after": 0.0, "poll": 0.05})]
    for t in threads:
        t.start()
    try:
        assert _until(lambda: out.getvalue().count("[ALERT]") == 2), out.getvalue()
        with sessions() as s:
            assert "sent" not in {a.status for a in s.scalars(select(Alert).where(Alert.notifier == "slack"))}
        stub.revoked = False  # the office fixed the token: Slack gets them too, once
        assert _until(lambda: len(stub.messages()) == 2, 20)
    finally:
        stop.set()
        for t in threads:
            t.join(10)
    assert out.getvalue().count("北市停水 市民怒") == 2  # the fallback copy was made once per alert
