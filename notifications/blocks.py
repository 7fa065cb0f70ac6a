"""Block Kit for an alert, built from slack-sdk's block models and validated before it is sent.

Every piece of text that comes from outside (headlines, outlet and agency names, matched terms, URLs)
goes through :func:`escape`, so no outlet can ping ``@channel``, mention a user or hide a link.
Long text is clipped with an ellipsis to Block Kit's limits rather than having Slack reject it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
    UserSelectElement,
)

from notifications.base import AlertMessage

SECTION_TEXT = 3000  # Block Kit: section text
FIELD_TEXT = 2000  # Block Kit: each section field
CONTEXT_TEXT = 3000
FALLBACK_TEXT = 4000  # Slack truncates top-level text beyond this; the 40,000 hard limit is far off
ELLIPSIS = "…"

#: action_id of each control on an alert; the Bolt app handles these.
ACK, ASSIGN = "newsdesk_ack", "newsdesk_assign"
NOT_NEGATIVE, DRAFT = "newsdesk_not_negative", "newsdesk_draft"
#: The decision stage stores "negative" for an item that needs a response (pipeline/stages/decide.py).
LABELS = {"negative": "需回應", "not_negative": "不需回應", "neutral": "中性"}

_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def escape(text: str) -> str:
    """Slack's three control characters, escaped as Slack documents (``&amp;``, ``&lt;``, ``&gt;``)."""
    return "".join(_ESCAPES.get(c, c) for c in text)


def clip(text: str, limit: int) -> str:
    """``escape(text)`` cut to at most ``limit`` characters, never inside an entity, ending in an ellipsis."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    out: list[str] = []
    size = 0
    for c in text:
        piece = _ESCAPES.get(c, c)
        if size + len(piece) > limit - len(ELLIPSIS):
            break
        out.append(piece)
        size += len(piece)
    return "".join(out) + ELLIPSIS


def safe_url(url: str) -> str | None:
    """An http(s) URL made safe inside ``<url|label>``, or None for anything else (``javascript:``...)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    # '|', '<', '>' and spaces would end the link early; '&' is escaped the way Slack expects.
    return escape(quote(url.strip(), safe=":/?#[]@!$&'()*+,;=%~"))


def link(url: str, label: str, limit: int) -> str:
    target = safe_url(url)
    if target is None:
        return clip(label, limit)
    room = max(20, limit - len(target) - 3)
    return f"<{target}|{clip(label, room)}>" if len(target) + 3 < limit else clip(label, limit)


def sentiment_text(message: AlertMessage) -> str:
    label = LABELS.get(message.label, message.label)
    return f"{escape(label)} {message.score:.2f}"


def _fields(message: AlertMessage) -> list[MarkdownTextObject]:
    pairs = [
        ("媒體", clip(message.outlet or "—", FIELD_TEXT - 10)),
        ("時間", message.local_time()),
        ("需回應", sentiment_text(message)),
        ("優先", clip(message.priority or "—", FIELD_TEXT - 10)),
        ("機關", clip("、".join(message.agencies) or "未分派", FIELD_TEXT - 10)),
        ("關鍵詞", clip("、".join(message.terms) or "—", FIELD_TEXT - 10)),
        ("報導家數", f"{message.outlets_count}"),
        ("觸及", f"{message.reach:,}"),
    ]
    return [MarkdownTextObject(text=f"*{name}*\n{value}") for name, value in pairs]


def _actions(message: AlertMessage) -> ActionsBlock:
    value = str(message.alert_id)
    return ActionsBlock(block_id=f"actions:{value}", elements=[
        ButtonElement(text="已讀 Acknowledge", action_id=ACK, value=value, style="primary"),
        UserSelectElement(placeholder="指派 Assign", action_id=ASSIGN),
        ButtonElement(text="不需回應 No response needed", action_id=NOT_NEGATIVE, value=value),
        ButtonElement(text="草擬回應 Draft response", action_id=DRAFT, value=value),
    ])


def alert_blocks(message: AlertMessage) -> list[Block]:
    """The first message of a story: headline link, the facts as fields, the model, the buttons."""
    headline = f":rotating_light: *{link(message.url, message.title or '(無標題)', SECTION_TEXT - 40)}*"
    blocks: list[Block] = [
        SectionBlock(block_id=f"headline:{message.alert_id}", text=MarkdownTextObject(text=headline)),
        SectionBlock(block_id=f"facts:{message.alert_id}", fields=_fields(message)),
        ContextBlock(elements=[MarkdownTextObject(text=clip(
            " · ".join([*(escape(r) for r in message.reasons), f"newsdesk alert #{message.alert_id}", message.model]),
            CONTEXT_TEXT))]),
        _actions(message),
    ]
    return validated(blocks)


def reply_blocks(message: AlertMessage) -> list[Block]:
    """A later copy of a story, posted in the story's thread."""
    facts = f"{clip(message.outlet or '—', 200)} · {message.local_time()} · {sentiment_text(message)}"
    text = f"又一則報導 · {facts}\n{link(message.url, message.title or '(無標題)', SECTION_TEXT - 300)}"
    return validated([SectionBlock(block_id=f"copy:{message.alert_id}", text=MarkdownTextObject(text=text))])


def fallback_text(message: AlertMessage) -> str:
    """The notification text (shown in pushes and screen readers): escaped like the blocks."""
    prefix = "又一則報導" if message.thread_ts else "需回應報導"
    return clip(f"{prefix}：{message.outlet} | {message.title}", FALLBACK_TEXT)


def validated(blocks: list[Block]) -> list[Block]:
    """Run slack-sdk's own checks (lengths, counts); raises ``SlackObjectFormationError``."""
    if len(blocks) > 50:
        raise ValueError("a message holds at most 50 blocks")
    for block in blocks:
        block.validate_json()
    return blocks


def as_dicts(blocks: list[Block]) -> list[dict[str, Any]]:
    return [b.to_dict() for b in blocks]
