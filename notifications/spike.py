"""A spike and a system notice as messages of their own (not dressed up as a story alert).

A spike message names the agency or topic, the count in the window against the count expected from
its baseline, and the top stories, with links. The facts come from the alert's payload, written by
:func:`pipeline.spikes.write_alerts`; every outside string is escaped for Slack.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject, SectionBlock

from notifications.base import AlertMessage
from notifications.blocks import SECTION_TEXT, clip, escape, link, validated

SCOPES = {"agency": "機關", "topic": "議題"}
KINDS = {"article": "新聞", "post": "社群貼文"}


def headline(details: dict[str, Any]) -> str:
    """``激增：捷運公司（機關，新聞）12 則，預期 1.3 則`` (unescaped)."""
    scope = SCOPES.get(str(details.get("scope")), str(details.get("scope") or ""))
    kind = KINDS.get(str(details.get("kind")), str(details.get("kind") or ""))
    expected = float(details.get("expected") or 0)
    return (f"激增：{details.get('name', '?')}（{scope}，{kind}）{details.get('count', '?')} 則，"
            f"預期 {expected:.1f} 則")


def stories(details: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in details.get("top_items") or [] if isinstance(s, dict)]


def plain_text(message: AlertMessage) -> str:
    """One line per fact, for the console and e-mail."""
    if message.kind == "system":
        return f"[NOTICE] {message.title}"
    d = message.details
    lines = [f"[SPIKE] {headline(d)} | p={float(d.get('p_value') or 0):.2g}"]
    terms = "、".join(str(t[0]) for t in d.get("top_terms") or [] if t)
    if terms:
        lines.append(f"  關鍵詞：{terms}")
    for s in stories(d):
        lines.append(f"  • {s.get('title') or '(無標題)'}（{s.get('outlet') or '—'}）{s.get('url') or ''}")
    return "\n".join(lines)


def slack_text(message: AlertMessage) -> str:
    if message.kind == "system":
        return clip(message.title, 3000)
    return clip(headline(message.details), 3000)


def slack_blocks(message: AlertMessage) -> list[Block]:
    """Block Kit: the headline, the top stories as links, the statistics in a context line."""
    if message.kind == "system":
        return validated([SectionBlock(text=MarkdownTextObject(text=clip(message.title, SECTION_TEXT)))])
    d = message.details
    lines = [f":chart_with_upwards_trend: *{escape(headline(d))}*"]
    terms = "、".join(str(t[0]) for t in d.get("top_terms") or [] if t)
    if terms:
        lines.append(f"關鍵詞：{clip(terms, 300)}")
    for s in stories(d):
        lines.append(f"• {link(str(s.get('url') or ''), str(s.get('title') or '(無標題)'), 400)}"
                     f"（{clip(str(s.get('outlet') or '—'), 40)}）")
    stats = (f"newsdesk spike #{message.alert_id} · p={float(d.get('p_value') or 0):.2g} · "
             f"window ending {escape(str(d.get('window_end') or ''))}")
    return validated([SectionBlock(text=MarkdownTextObject(text=_fit(lines, SECTION_TEXT))),
                      ContextBlock(elements=[MarkdownTextObject(text=clip(stats, 3000))])])


def _fit(lines: list[str], limit: int) -> str:
    """Already-escaped lines, as many as fit in ``limit`` characters (a link is never cut)."""
    out = ""
    for line in lines:
        if len(out) + len(line) + 1 > limit:
            break
        out += line + "\n"
    return out.rstrip("\n")
