"""The Slack Bolt app behind the alert buttons (HTTP mode, every request's signature verified).

Buttons on an alert (see :mod:`notifications.blocks`) carry the alert id; each handler records what
the officer did and says so in the story's thread:

* acknowledge → an open :class:`~pipeline.models.Response` for the story, with the officer;
* assign (user picker) → the response is ``assigned`` to the chosen person;
* not negative → a :class:`~pipeline.models.Correction` (feeds ``sentiment train``), response dismissed;
* draft response → a draft text on the response, for the press team to finish.

Bolt refuses unsigned requests and requests older than five minutes (HTTP 401) before any handler runs.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from notifications.base import NotifierUnavailable
from notifications.blocks import ACK, ASSIGN, DRAFT, NOT_NEGATIVE, escape
from notifications.slack import SLACK_API, default_retry_handlers
from pipeline.db import transaction
from pipeline.models import Alert, Correction, ItemRow, Response, utcnow
from pipeline.settings import Settings

log = logging.getLogger(__name__)


def _alert_id(body: dict[str, Any]) -> int | None:
    """The alert an action belongs to: the button's value, or the actions block id (user picker)."""
    action = (body.get("actions") or [{}])[0]
    raw = action.get("value") or str(action.get("block_id", "")).removeprefix("actions:")
    return int(raw) if str(raw).isdigit() else None


def _response_for(session: Session, alert: Alert) -> Response:
    """The story's response row, created on first use (one per cluster, else per item)."""
    query = select(Response).where(Response.cluster_id == alert.cluster_id) if alert.cluster_id else \
        select(Response).where(Response.item_id == alert.item_id)
    found = session.scalars(query.order_by(Response.id)).first()
    if found is not None:
        return found
    item = session.get(ItemRow, alert.item_id) if alert.item_id else None
    agency = item.matches[0].agency if item and item.matches else None
    response = Response(cluster_id=alert.cluster_id, item_id=alert.item_id, agency=agency, status="open",
                        priority=item.priority if item else None,
                        link=item.url if item else None)
    session.add(response)
    session.flush()
    return response


def draft_text(item: ItemRow | None, agency: str | None) -> str:
    """A first draft for the press team: who answers, about which story; they write the substance."""
    if item is None:
        return "（草稿）"
    return (f"有關{item.outlet or item.source}報導「{item.title}」，{agency or '本府'}說明如下：\n"
            "一、（事實說明）\n二、（已採取措施）\n三、（後續處理）")


class Handlers:
    """The button handlers, each one database transaction; thread notes go through ``client``."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def _note(self, client: WebClient, body: dict[str, Any], text: str) -> None:
        channel = (body.get("channel") or {}).get("id")
        ts = (body.get("message") or {}).get("ts") or (body.get("container") or {}).get("message_ts")
        if channel and ts:
            client.chat_postMessage(channel=channel, thread_ts=ts, text=text)

    def _apply(self, body: dict[str, Any], client: WebClient, verb: str, change: Any) -> None:
        user = (body.get("user") or {}).get("id", "unknown")
        alert_id = _alert_id(body)
        with transaction(self.sessions) as session:
            alert = session.get(Alert, alert_id) if alert_id else None
            if alert is None:
                log.warning("%s for unknown alert %r", verb, alert_id)
                return
            response = _response_for(session, alert)
            note = change(session, alert, response, user)
            response.updated_at = utcnow()
        self._note(client, body, note)

    def acknowledge(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()

        def change(session: Session, alert: Alert, response: Response, user: str) -> str:
            response.officer = response.officer or user
            alert.payload = {**(alert.payload or {}), "acknowledged_by": user}
            return f":white_check_mark: <@{escape(user)}> 已讀"

        self._apply(body, client, "acknowledge", change)

    def assign(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        chosen = (body.get("actions") or [{}])[0].get("selected_user")

        def change(session: Session, alert: Alert, response: Response, user: str) -> str:
            response.officer, response.status = chosen or user, "assigned"
            return f":bust_in_silhouette: <@{escape(user)}> 指派給 <@{escape(chosen or user)}>"

        self._apply(body, client, "assign", change)

    def not_negative(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()

        def change(session: Session, alert: Alert, response: Response, user: str) -> str:
            if alert.item_id:
                session.add(Correction(item_id=alert.item_id, label="not_negative", who=user))
            response.status, response.reason = "dismissed", "not negative (officer's correction)"
            return f":heavy_minus_sign: <@{escape(user)}> 標記為不需回應（已記錄更正）"

        self._apply(body, client, "not negative", change)

    def draft(self, ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()

        def change(session: Session, alert: Alert, response: Response, user: str) -> str:
            item = session.get(ItemRow, alert.item_id) if alert.item_id else None
            response.text = response.text or draft_text(item, response.agency)
            response.officer = response.officer or user
            return f":memo: <@{escape(user)}> 已建立回應草稿 #{response.id}"

        self._apply(body, client, "draft", change)


def build_app(settings: Settings, sessions: sessionmaker[Session], *, client: WebClient | None = None) -> App:
    """The Bolt app; the signing secret and token come from the environment."""
    secret = settings.secret("SLACK_SIGNING_SECRET")
    token = settings.secret("SLACK_BOT_TOKEN")
    if secret is None or token is None:
        raise NotifierUnavailable("`slack serve` needs SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN "
                                  "in the environment")
    if client is None:
        base = (settings.env("SLACK_API_URL") or SLACK_API).rstrip("/") + "/"
        client = WebClient(token=token.get_secret_value(), base_url=base,
                           retry_handlers=default_retry_handlers())
    app = App(signing_secret=secret.get_secret_value(), token=token.get_secret_value(), client=client,
              process_before_response=True, request_verification_enabled=True)
    handlers = Handlers(sessions)
    app.action(ACK)(handlers.acknowledge)
    app.action(ASSIGN)(handlers.assign)
    app.action(NOT_NEGATIVE)(handlers.not_negative)
    app.action(DRAFT)(handlers.draft)
    return app
