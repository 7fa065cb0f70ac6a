from __future__ import annotations

import pytest
from slack_sdk.models.blocks import Block

from notifications.blocks import alert_blocks, as_dicts, clip, escape, fallback_text, reply_blocks, safe_url
from tests.notifications.conftest import make_message


def _all_text(blocks: list[dict]) -> str:
    import json

    return json.dumps(blocks, ensure_ascii=False)


HOSTILE = ["<!channel> 快看", "<@U123> 你好", "<http://evil|click> 這裡", "A & B > C"]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_untrusted_text_is_escaped_everywhere(hostile: str) -> None:
    msg = make_message(title=hostile, outlet=hostile, agencies=[hostile], terms=[hostile], priority=hostile)
    text = _all_text(as_dicts(alert_blocks(msg))) + fallback_text(msg)
    for raw in ("<!channel>", "<@U123>", "<http://evil|", "A & B"):
        assert raw not in text
    assert escape(hostile) in text


def test_escape_and_clip() -> None:
    assert escape("<&>") == "&lt;&amp;&gt;"
    clipped = clip("&" * 100, 10)
    assert clipped.endswith("…") and len(clipped) <= 10 and "&amp;" in clipped
    assert "&am…" not in clipped  # never cut inside an entity
    assert clip("短", 10) == "短"


def test_long_text_is_clipped_to_block_kit_limits_not_rejected() -> None:
    msg = make_message(title="長" * 4000, outlet="媒" * 4000, terms=["詞" * 3000])
    blocks = as_dicts(alert_blocks(msg))  # validate_json ran inside
    for b in blocks:
        Block.parse(b).validate_json()  # type: ignore[union-attr]
        if b.get("text"):
            assert len(b["text"]["text"]) <= 3000
        for f in b.get("fields", []):
            assert len(f["text"]) <= 2000
    assert "…" in blocks[0]["text"]["text"]
    assert len(fallback_text(msg)) <= 4000
    reply = as_dicts(reply_blocks(make_message(title="長" * 4000, thread_ts="1.1")))
    assert len(reply[0]["text"]["text"]) <= 3000


def test_urls_are_made_safe() -> None:
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("https://x.tw/a?b=1&c=<2>|d") == "https://x.tw/a?b=1&amp;c=%3C2%3E%7Cd"
    msg = make_message(url="javascript:alert(1)")
    assert "javascript" not in _all_text(as_dicts(alert_blocks(msg)))


def test_alert_carries_the_facts_and_buttons() -> None:
    blocks = as_dicts(alert_blocks(make_message(alert_id=7, outlets_count=3, reach=12000)))
    text = _all_text(blocks)
    facts = ("cna", "2024-09-02 09:30", "需回應 0.91", "high", "捷運公司", "北捷", "12,000", "*報導家數*\\n3")
    for fact in facts:
        assert fact in text
    actions = blocks[-1]["elements"]
    assert [a["action_id"] for a in actions] == ["newsdesk_ack", "newsdesk_assign", "newsdesk_not_negative",
                                                 "newsdesk_draft"]
    assert actions[0]["value"] == "7"
