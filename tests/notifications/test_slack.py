"""SlackNotifier through the real WebClient against the local stub."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from notifications.base import NotifierUnavailable, PermanentError, TransientError
from notifications.slack import SlackNotifier
from pipeline.settings import Settings
from tests.notifications.conftest import make_message
from tests.notifications.slack_stub import SlackStub


def test_send_posts_validated_blocks_and_returns_ts(notifier: SlackNotifier, stub: SlackStub) -> None:
    delivery = notifier.send(make_message(title="<!channel> 北捷 & 乘客"), "#press-alerts")
    [msg] = stub.messages("press-alerts")
    assert delivery.external_id == msg.ts and delivery.channel == stub.channel_named("press-alerts").id
    assert msg.metadata == {"event_type": "newsdesk_alert",
                            "event_payload": {"key": "slack:#press-alerts:item:1", "alert_id": 1}}
    assert "<!channel>" not in msg.text and "&lt;!channel&gt; 北捷 &amp; 乘客" in msg.text
    assert msg.blocks[-1]["type"] == "actions"
    assert stub.violations == []


def test_from_settings_needs_a_token(settings: Settings) -> None:
    with pytest.raises(NotifierUnavailable, match="SLACK_BOT_TOKEN is not set"):
        SlackNotifier.from_settings(settings)


def test_thread_reply_and_parent_update(notifier: SlackNotifier, stub: SlackStub) -> None:
    parent = notifier.send(make_message(1), "#press-alerts")
    notifier.send(make_message(2, outlet="ltn", thread_ts=parent.external_id), "#press-alerts")
    notifier.update(make_message(1, outlets_count=2, reach=5000), "#press-alerts", str(parent.external_id))
    first, reply = stub.messages("press-alerts")
    assert reply.thread_ts == first.ts and "又一則報導" in reply.text
    assert len(first.updates) == 1 and "5,000" in str(first.blocks)


def test_reply_to_unknown_thread_is_permanent(notifier: SlackNotifier) -> None:
    with pytest.raises(PermanentError, match="thread_not_found"):
        notifier.send(make_message(thread_ts="123.000001"), "#press-alerts")


def test_revoked_token_is_a_clear_error_without_the_token(notifier: SlackNotifier, stub: SlackStub) -> None:
    stub.revoked = True
    with pytest.raises(NotifierUnavailable, match="invalid_auth") as err:
        notifier.send(make_message(), "#press-alerts")
    assert stub.token not in str(err.value) and "kept" in str(err.value)


def test_bot_not_in_channel(notifier: SlackNotifier, stub: SlackStub) -> None:
    stub.add_channel("secret-room", member=False)
    with pytest.raises(PermanentError, match="not in #secret-room.*invite"):
        notifier.send(make_message(), "#secret-room")
    with pytest.raises(PermanentError, match="channel_not_found"):
        notifier.send(make_message(), "#nowhere")


def test_429_is_retried_by_slack_sdk_but_a_500_is_not(notifier: SlackNotifier, stub: SlackStub) -> None:
    stub.fail_next("429")
    start = time.monotonic()
    notifier.send(make_message(), "#press-alerts")
    assert time.monotonic() - start >= 1.0  # Retry-After: 1 was honoured
    assert len(stub.messages("press-alerts")) == 1
    # Slack: internal_error means "some aspect of the operation" may have succeeded. Resending blindly
    # (slack-sdk's ServerErrorRetryHandler) posted it up to three times; the outbox looks it up instead.
    stub.fail_next("500_after")
    with pytest.raises(TransientError) as err:
        notifier.send(make_message(2), "#press-alerts")
    assert err.value.maybe_sent
    assert len(stub.messages("press-alerts")) == 2 and stub.injected == {"429": 1, "500_after": 1}


def test_dropped_connection_after_posting_is_maybe_sent(notifier: SlackNotifier, stub: SlackStub) -> None:
    stub.fail_next("drop_after")
    with pytest.raises(TransientError) as err:
        notifier.send(make_message(3), "#press-alerts")
    assert err.value.maybe_sent and len(stub.messages("press-alerts")) == 1


def test_scopes_are_checked_at_start_and_named(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.notifications.slack_stub import TOKEN

    with SlackStub(scopes=("chat:write", "channels:read")) as stub:
        monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
        monkeypatch.setenv("SLACK_API_URL", stub.url)
        n = SlackNotifier.from_settings(settings, timeout=1)
        with pytest.raises(NotifierUnavailable) as err:
            n.check_scopes()
        assert "channels:history" in str(err.value) and "files:write" in str(err.value)
        assert "chat:write" not in str(err.value).split("lacks")[1].split(";")[0]
        assert TOKEN not in str(err.value)
        stub.scopes |= {"channels:history", "files:write"}
        assert "chat:write" in n.check_scopes()
        with pytest.raises(NotifierUnavailable, match="groups:history"):
            n.check_scopes(private=True)


def test_a_missing_history_scope_is_a_counted_error_naming_it(notifier: SlackNotifier, stub: SlackStub) -> None:
    stub.scopes.discard("channels:history")
    with pytest.raises(TransientError, match="channels:history") as err:
        notifier.find_sent(make_message(), "#press-alerts", datetime.now(UTC))
    assert not isinstance(err.value, NotifierUnavailable)
    stub.scopes.discard("chat:write")
    with pytest.raises(NotifierUnavailable, match="chat:write"):
        notifier.send(make_message(), "#press-alerts")


def test_persistent_429_becomes_transient_with_retry_after(notifier: SlackNotifier, stub: SlackStub) -> None:
    notifier.client.retry_handlers = []
    stub.fail_next("429")
    with pytest.raises(TransientError) as err:
        notifier.send(make_message(), "#press-alerts")
    assert err.value.retry_after == 1.0 and not err.value.maybe_sent


def test_timeout_after_posting_is_found_again(notifier: SlackNotifier, stub: SlackStub) -> None:
    since = datetime.now(UTC) - timedelta(seconds=5)
    stub.fail_next("timeout_after")
    msg = make_message(5)
    with pytest.raises(TransientError) as err:
        notifier.send(msg, "#press-alerts")
    assert err.value.maybe_sent
    found = notifier.find_sent(msg, "#press-alerts", since)
    assert found is not None and found.external_id == stub.messages("press-alerts")[0].ts
    assert notifier.find_sent(make_message(6), "#press-alerts", since) is None


def test_find_sent_in_a_thread_and_across_pages(notifier: SlackNotifier, stub: SlackStub) -> None:
    stub.page_size = 2
    since = datetime.now(UTC) - timedelta(seconds=5)
    parent = notifier.send(make_message(1), "#press-alerts")
    for i in range(2, 7):
        notifier.send(make_message(i), "#press-alerts")
    reply = make_message(9, thread_ts=parent.external_id)
    notifier.send(reply, "#press-alerts")
    assert notifier.find_sent(make_message(1), "#press-alerts", since) is not None  # last page
    assert notifier.find_sent(reply, "#press-alerts", since) is not None
    assert notifier.channel_id("#mrt-alerts") == stub.channel_named("mrt-alerts").id


def test_upload_with_files_upload_v2(notifier: SlackNotifier, stub: SlackStub) -> None:
    notifier.upload("#press-alerts", content=b"\x89PNG fake", filename="digest.png", title="每日摘要",
                    comment="digest")
    [up] = stub.uploads.values()
    assert up.content == b"\x89PNG fake" and up.channel == stub.channel_named("press-alerts").id
    assert up.title == "每日摘要"
