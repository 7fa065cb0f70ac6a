"""The Bolt app's button handlers, through signed requests (and refusing unsigned or stale ones)."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from urllib.parse import urlencode

import pytest
from slack_bolt import App
from slack_bolt.request import BoltRequest
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from notifications.interactive import build_app
from notifications.outbox import deliver_pending, enqueue
from notifications.slack import SlackNotifier
from pipeline.models import Alert, Correction, Response
from pipeline.settings import Settings
from tests.notifications.factories import cluster, stored_item
from tests.notifications.slack_stub import SlackStub

SECRET = "test-signing-secret"


@pytest.fixture
def app(slack_env: SlackStub, settings: Settings, sessions: sessionmaker[Session],
        monkeypatch: pytest.MonkeyPatch) -> App:
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    return build_app(settings, sessions)


@pytest.fixture
def posted(sessions: sessionmaker[Session], notifier: SlackNotifier) -> Alert:
    with sessions() as s:
        enqueue(s, stored_item(s, cluster_id=cluster(s)), "#press-alerts", "slack")
        s.commit()
        deliver_pending(s, notifier)
        return s.scalars(select(Alert)).one()


def _payload(alert: Alert, action: Mapping[str, object], user: str = "U0OFFICER") -> dict[str, object]:
    return {"type": "block_actions", "user": {"id": user, "name": "officer"}, "team": {"id": "T00000001"},
            "api_app_id": "A1", "token": "legacy", "trigger_id": "1.2.3",
            "channel": {"id": (alert.payload or {})["channel_id"]},
            "container": {"type": "message", "message_ts": alert.external_id},
            "message": {"ts": alert.external_id, "text": "x"},
            "actions": [{"block_id": f"actions:{alert.id}", "action_ts": "1.1", **action}]}


def _request(payload: dict[str, object], *, secret: str = SECRET, age: int = 0,
             sign: bool = True) -> BoltRequest:
    body = urlencode({"payload": json.dumps(payload)})
    ts = str(int(time.time()) - age)
    headers: dict[str, str | Sequence[str]] = {"content-type": "application/x-www-form-urlencoded",
                                               "x-slack-request-timestamp": ts}
    if sign:
        signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
        headers["x-slack-signature"] = str(signature)
    return BoltRequest(body=body, headers=headers)


def _button(alert: Alert, action_id: str) -> dict[str, object]:
    return {"type": "button", "action_id": action_id, "value": str(alert.id)}


def test_acknowledge_opens_a_response_and_notes_it(app: App, posted: Alert, stub: SlackStub,
                                                   session: Session) -> None:
    resp = app.dispatch(_request(_payload(posted, _button(posted, "newsdesk_ack"))))
    assert resp.status == 200
    response = session.scalars(select(Response)).one()
    assert response.status == "open" and response.officer == "U0OFFICER"
    assert response.cluster_id == posted.cluster_id and response.agency == "捷運公司"
    note = stub.messages("press-alerts")[-1]
    assert note.thread_ts == posted.external_id and "<@U0OFFICER>" in note.text


def test_assign_to_the_chosen_user(app: App, posted: Alert, session: Session) -> None:
    action = {"type": "users_select", "action_id": "newsdesk_assign", "selected_user": "U0CHOSEN"}
    assert app.dispatch(_request(_payload(posted, action))).status == 200
    response = session.scalars(select(Response)).one()
    assert (response.status, response.officer) == ("assigned", "U0CHOSEN")


def test_not_negative_writes_a_correction(app: App, posted: Alert, session: Session) -> None:
    assert app.dispatch(_request(_payload(posted, _button(posted, "newsdesk_not_negative")))).status == 200
    correction = session.scalars(select(Correction)).one()
    assert correction.item_id == posted.item_id
    assert (correction.label, correction.who) == ("not_negative", "U0OFFICER")
    assert session.scalars(select(Response)).one().status == "dismissed"


def test_draft_response_writes_a_draft_once(app: App, posted: Alert, session: Session) -> None:
    for _ in range(2):
        assert app.dispatch(_request(_payload(posted, _button(posted, "newsdesk_draft")))).status == 200
    response = session.scalars(select(Response)).one()
    assert response.text is not None and "捷運公司說明如下" in response.text and "北捷" in response.text


@pytest.mark.parametrize("kwargs", [{"sign": False}, {"secret": "wrong"}, {"age": 600}])
def test_unsigned_forged_or_stale_requests_are_refused(app: App, posted: Alert, session: Session,
                                                       kwargs: dict[str, object]) -> None:
    resp = app.dispatch(_request(_payload(posted, _button(posted, "newsdesk_not_negative")), **kwargs))  # type: ignore[arg-type]
    assert resp.status == 401
    assert session.scalars(select(Correction)).all() == [] and session.scalars(select(Response)).all() == []


def test_serve_needs_the_signing_secret(slack_env: SlackStub, settings: Settings,
                                        sessions: sessionmaker[Session]) -> None:
    from notifications.base import NotifierUnavailable

    with pytest.raises(NotifierUnavailable, match="SLACK_SIGNING_SECRET"):
        build_app(settings, sessions)
