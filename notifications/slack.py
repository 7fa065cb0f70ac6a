"""Alerts to Slack through slack-sdk's ``WebClient``: Block Kit messages, threads, updates, look-ups.

The token comes from ``SLACK_BOT_TOKEN`` and never appears in a message or a log line; the API base
URL from ``SLACK_API_URL`` (tests and staging point it at a local server).

Scopes the bot token needs (checked at start by :meth:`SlackNotifier.check_scopes`, from the
``x-oauth-scopes`` header Slack returns on every Web API call, here ``auth.test``):

=================== ====================================================================
``chat:write``       ``chat.postMessage`` (alerts, digests) and ``chat.update`` (a story's counts)
``channels:read``    ``conversations.list``: a channel given by name (``#press-alerts``) → its id
``channels:history`` ``conversations.history`` / ``conversations.replies``: after a crash or a
                     time-out, look for the message before sending again (never twice)
``files:write``      ``files.getUploadURLExternal`` / ``completeUploadExternal``: the digest chart
``groups:read``,     the same two look-ups for *private* channels (only if alerts go to one)
``groups:history``
=================== ====================================================================
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from http.client import HTTPException
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackObjectFormationError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

from notifications import spike
from notifications.base import (
    AlertMessage,
    Delivery,
    NotifierError,
    NotifierUnavailable,
    PermanentError,
    TransientError,
)
from notifications.blocks import alert_blocks, as_dicts, fallback_text, reply_blocks
from notifications.ratelimit import ChannelRateLimiter
from pipeline.settings import Settings

log = logging.getLogger(__name__)
SLACK_API = "https://slack.com/api/"
METADATA_EVENT = "newsdesk_alert"

#: Slack error codes meaning "the token is no good": nothing can be sent until a person fixes it.
AUTH_ERRORS = frozenset({"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired",
                         "missing_scope", "no_permission", "team_access_not_granted"})
#: Codes meaning "this message to this channel will not go through until a person acts".
PERMANENT_ERRORS = frozenset({"not_in_channel", "channel_not_found", "is_archived", "invalid_blocks",
                              "invalid_blocks_format", "msg_too_long", "no_text", "too_many_attachments",
                              "restricted_action", "invalid_metadata_format", "thread_not_found",
                              "cant_update_message", "message_not_found", "msg_blocks_too_long"})
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")
#: Scopes without which nothing works, and what each is for (the module docstring has the table).
REQUIRED_SCOPES = {"chat:write": "post alerts", "channels:read": "find channels by name",
                   "channels:history": "check whether a message was already posted (never twice)",
                   "files:write": "upload the digest chart"}
PRIVATE_SCOPES = {"groups:read": "find private channels by name",
                  "groups:history": "check private channels before resending"}
#: Look-ups: without their scope an uncertain alert cannot be checked, but new alerts still go out.
LOOKUPS = frozenset({"conversations_history", "conversations_replies", "conversations_list"})


def default_retry_handlers(max_retries: int = 2) -> list[Any]:
    """slack-sdk's handlers for 429 (sleeps ``Retry-After``) and connections that never got out.

    Both are safe to repeat: a 429 means Slack did not take the message, and connection retries cover
    only ``URLError`` (the request never left). A 500 is *not* retried here: Slack documents that
    "some aspect of the operation" may have succeeded (``internal_error``), so the outbox records it
    as maybe sent and looks the message up before any resend; slack-sdk's ``ServerErrorRetryHandler``
    would post it again blindly (up to three messages). A timeout or dropped connection after sending
    is left to the outbox in the same way.
    """
    return [RateLimitErrorRetryHandler(max_retry_count=max_retries),
            ConnectionErrorRetryHandler(max_retry_count=max_retries, error_types=[URLError])]


def _missing_scope(exc: SlackApiError, method: str) -> NotifierError:
    needed = str(exc.response.get("needed") or "?")
    what = "" if method not in LOOKUPS else " (the look-up that prevents double posts after a crash)"
    text = (f"Slack: the bot token lacks the scope {needed} needed by {method.replace('_', '.')}{what}; "
            f"add it under OAuth & Permissions and reinstall the app (see `newsdesk status`)")
    if method in LOOKUPS:
        return TransientError(text)  # counted: the alert dead-letters rather than freezing every alert
    return NotifierUnavailable(text + "; alerts are kept")


def _describe(exc: SlackApiError, channel: str, method: str = "") -> NotifierError:
    code = str(exc.response.get("error", "") or f"HTTP {exc.response.status_code}")
    if code == "missing_scope":
        return _missing_scope(exc, method)
    if code in AUTH_ERRORS:
        return NotifierUnavailable(
            f"Slack rejected SLACK_BOT_TOKEN ({code}): the token is revoked, wrong or lacks a scope; "
            "alerts are kept and will be sent once a valid token is set")
    if code == "not_in_channel":
        return PermanentError(f"Slack: the bot is not in {channel} (not_in_channel); invite it to the "
                              "channel, then run `newsdesk alerts retry`")
    if code == "channel_not_found":
        return PermanentError(f"Slack: channel {channel} does not exist or is private (channel_not_found); "
                              "fix notifications.slack.channels, then run `newsdesk alerts retry`")
    if code in PERMANENT_ERRORS:
        return PermanentError(f"Slack refused the message for {channel}: {code}")
    retry_after = exc.response.headers.get("Retry-After") or exc.response.headers.get("retry-after")
    wait = float(retry_after[0] if isinstance(retry_after, list) else retry_after) if retry_after else None
    status = exc.response.status_code
    return TransientError(f"Slack {status} {code} for {channel}", retry_after=wait, maybe_sent=status >= 500)


class SlackNotifier:
    """Implements :class:`~notifications.base.Notifier` with ``chat.postMessage``.

    A message carries its idempotency key in Slack's message metadata, so :meth:`find_sent` can tell
    whether a send whose answer was lost actually went out.
    """

    name = "slack"

    def __init__(self, client: WebClient, *, per_second: float = 1.0) -> None:
        self.client = client
        self.limiter = ChannelRateLimiter(per_second)
        self._ids: dict[str, str] = {}

    @classmethod
    def from_settings(cls, settings: Settings, *, timeout: int | None = None) -> SlackNotifier:
        token = settings.secret("SLACK_BOT_TOKEN")
        if token is None:
            raise NotifierUnavailable("SLACK_BOT_TOKEN is not set: Slack alerts need a bot token (xoxb-...)")
        base = settings.env("SLACK_API_URL") or SLACK_API
        timeout = timeout or settings.notifications.slack.timeout
        client = WebClient(token=token.get_secret_value(), base_url=base.rstrip("/") + "/", timeout=timeout,
                           retry_handlers=default_retry_handlers())
        return cls(client, per_second=settings.notifications.slack.per_channel_per_second)

    def _call(self, where: str, method: str, **kwargs: Any) -> Any:
        """Call a WebClient method; turn every failure into a classified :class:`NotifierError`."""
        try:
            return getattr(self.client, method)(**kwargs)
        except SlackApiError as exc:
            raise _describe(exc, where, method) from None
        except SlackObjectFormationError as exc:
            raise PermanentError(f"message for {where} failed Block Kit checks: {exc}") from None
        except (TimeoutError, HTTPException, ConnectionError) as exc:
            raise TransientError(f"Slack did not answer for {where}: {type(exc).__name__}: {exc}",
                                 maybe_sent=True) from None
        except (URLError, OSError) as exc:
            raise TransientError(f"Slack unreachable for {where}: {exc}") from None

    def check_scopes(self, private: bool = False) -> list[str]:
        """Raise :class:`NotifierUnavailable` naming every required scope the token lacks.

        Reads the ``x-oauth-scopes`` header of ``auth.test``; returns the scopes granted. ``private``:
        alerts go to a private channel too, so its scopes are required as well.
        """
        resp = self._call("auth.test", "auth_test")
        header = {k.lower(): v for k, v in (resp.headers or {}).items()}.get("x-oauth-scopes")
        raw = header[0] if isinstance(header, list) else header
        if raw is None:
            log.warning("Slack did not say which scopes the token has (no x-oauth-scopes header)")
            return []
        granted = sorted(s.strip() for s in str(raw).split(",") if s.strip())
        wanted = {**REQUIRED_SCOPES, **(PRIVATE_SCOPES if private else {})}
        missing = [f"{scope} ({why})" for scope, why in wanted.items() if scope not in granted]
        if missing:
            raise NotifierUnavailable("Slack: the bot token lacks the scope(s) " + ", ".join(missing)
                                      + "; add them under OAuth & Permissions and reinstall the app; "
                                      "alerts are kept")
        return granted

    def send(self, message: AlertMessage, channel: str) -> Delivery:
        if message.kind in ("spike", "system"):
            blocks, text = spike.slack_blocks(message), spike.slack_text(message)
        else:
            blocks = reply_blocks(message) if message.thread_ts else alert_blocks(message)
            text = fallback_text(message)
        metadata = {"event_type": METADATA_EVENT,
                    "event_payload": {"key": message.idempotency_key, "alert_id": message.alert_id}}
        resp = self._call(channel, "chat_postMessage", channel=self._ids.get(channel, channel),
                          text=text, blocks=as_dicts(blocks), thread_ts=message.thread_ts,
                          metadata=metadata, unfurl_links=False, unfurl_media=False)
        self._ids.setdefault(channel, resp["channel"])
        return Delivery(channel=resp["channel"], external_id=resp["ts"])

    def update(self, message: AlertMessage, channel: str, ts: str) -> None:
        """Rewrite a story's first message (its count of outlets and reach changed)."""
        self._call(channel, "chat_update", channel=self.channel_id(channel), ts=ts,
                   text=fallback_text(message), blocks=as_dicts(alert_blocks(message)))

    def channel_id(self, channel: str) -> str:
        """Slack's id for a channel given by name (``#press-alerts``) or id; looked up once."""
        if _CHANNEL_ID.match(channel):
            return channel
        if channel not in self._ids:
            wanted = channel.lstrip("#")
            for page in self._call(channel, "conversations_list", types="public_channel,private_channel",
                                   exclude_archived=True, limit=200):
                for conv in page["channels"]:
                    self._ids["#" + conv["name"]] = conv["id"]
                    self._ids[conv["name"]] = conv["id"]
                if wanted in self._ids:
                    break
            if channel not in self._ids:
                raise PermanentError(f"Slack: channel {channel} not found (channel_not_found); "
                                     "fix notifications.slack.channels")
        return self._ids[channel]

    def find_sent(self, message: AlertMessage, channel: str, since: datetime) -> Delivery | None:
        """The message already posted with ``message.idempotency_key`` since ``since``, if any."""
        cid = self.channel_id(channel)
        common = {"channel": cid, "oldest": f"{since.timestamp() - 60:.6f}", "include_all_metadata": True,
                  "limit": 200}
        pages = (self._call(channel, "conversations_replies", ts=message.thread_ts, **common)
                 if message.thread_ts else self._call(channel, "conversations_history", **common))
        for page in pages:
            for m in page.get("messages", []):
                payload = (m.get("metadata") or {}).get("event_payload") or {}
                if payload.get("key") == message.idempotency_key:
                    return Delivery(channel=cid, external_id=m["ts"])
        return None

    def upload(self, channel: str, *, content: bytes, filename: str, title: str, comment: str) -> None:
        """Upload a file (the digest chart) with ``files_upload_v2``."""
        self._call(channel, "files_upload_v2", channel=self.channel_id(channel), content=content,
                   filename=filename, title=title, initial_comment=comment)

    def post(self, channel: str, text: str, blocks: list[dict[str, Any]] | None = None, *,
             key: str | None = None) -> Delivery:
        """A plain message (digests); ``key`` goes into the metadata so :meth:`find_sent` finds it."""
        metadata = {"event_type": METADATA_EVENT, "event_payload": {"key": key}} if key else None
        resp = self._call(channel, "chat_postMessage", channel=self._ids.get(channel, channel), text=text,
                          blocks=blocks, metadata=metadata, unfurl_links=False, unfurl_media=False)
        return Delivery(channel=resp["channel"], external_id=resp["ts"])
