"""The daily digest in each medium: plain text (terminal, console, e-mail text part), Block Kit (Slack),
HTML (e-mail) and a chart. Each shows one line per story with its copies counted, the period by
publication time, and the spikes found by the same rule as ``newsdesk spikes``.

Plain text carries no markup (no ``*bold*``, ``<url|title>`` or ``&amp;``); Slack text is escaped as
Slack documents; HTML is autoescaped by Jinja2.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from slack_sdk.models.blocks import Block, ContextBlock, DividerBlock, HeaderBlock, MarkdownTextObject, SectionBlock

from notifications.blocks import SECTION_TEXT, as_dicts, clip, escape, link, validated
from notifications.digest import AgencyLine, Digest, Story

_env = Environment(loader=FileSystemLoader(Path(__file__).with_name("templates")),
                   autoescape=select_autoescape(["html", "html.j2"]), keep_trailing_newline=True)
TITLE = "每日輿情摘要"
MAX_AGENCIES = 40  # Block Kit allows 50 blocks a message; the rest are counted in a last line


def period(d: Digest) -> str:
    z = ZoneInfo(d.zone)
    return f"{d.since.astimezone(z):%Y-%m-%d %H:%M} 至 {d.until.astimezone(z):%Y-%m-%d %H:%M}"


def summary(d: Digest) -> str:
    return (f"情緒：負面 {d.sentiment['negative']:,} 則、非負面 {d.sentiment['not_negative']:,} 則、"
            f"未評分 {d.sentiment['unscored']:,} 則｜待處理回應 {d.open_responses:,} 件"
            f"（逾期 {d.overdue_responses:,} 件）")


def spike_line(d: Digest) -> str | None:
    if not d.spikes:
        return None
    parts = [f"{a.agency} {a.spike.count:,} 則，平常約 {a.spike.expected:.1f} 則" for a in d.spikes if a.spike]
    return f"激增（{d.spike_rule}）：" + "；".join(parts)


def agency_head(i: int, a: AgencyLine) -> str:
    return (f"{i}. {a.agency}：{a.mentions:,} 則報導、{a.story_count:,} 則新聞事件，負面 {a.negative:,} 則"
            f"（前期 {a.previous:,} 則）")


def outlets(s: Story) -> str:
    shown = "、".join(s.outlets[:3])
    more = f"等 {len(s.outlets)} 家" if len(s.outlets) > 3 else ""
    return f"{shown}{more} {s.copies:,} 則" if s.copies > 1 else shown


def story_facts(s: Story) -> str:
    return f"{outlets(s)}｜負面 {s.score:.2f}"


def text(d: Digest) -> str:
    """Plain text: no markup, one line per story."""
    lines = [f"{TITLE}（依發布時間）{period(d)}", summary(d)]
    if spike := spike_line(d):
        lines.append(spike)
    for i, a in enumerate(d.agencies, 1):
        lines.append(agency_head(i, a))
        lines += [f"   - {s.title}｜{story_facts(s)}｜{s.url}" for s in a.top]
    if not d.agencies:
        lines.append("期間內沒有與本府相關的報導。")
    return "\n".join(lines)


def fallback(d: Digest) -> str:
    """The notification text of the Slack message (pushes, screen readers): escaped, short."""
    return clip(f"{TITLE} {period(d)}：{len(d.agencies)} 個機關，負面 {d.sentiment['negative']:,} 則", 300)


def _agency_block(i: int, a: AgencyLine) -> SectionBlock:
    rows = [f"*{escape(agency_head(i, a))}*"]
    rows += [f"• {link(s.url, s.title, 300)}　{escape(story_facts(s))}" for s in a.top]
    return SectionBlock(text=MarkdownTextObject(text=clip_join(rows, SECTION_TEXT)))


def clip_join(rows: list[str], limit: int) -> str:
    """Whole lines up to ``limit`` characters (a cut link would break the markup)."""
    out = ""
    for row in rows:
        if len(out) + len(row) + 1 > limit:
            return out + "…"
        out += ("\n" if out else "") + row
    return out


def blocks(d: Digest) -> list[dict[str, Any]]:
    """Block Kit: a header, the period and the mix, spikes, one section per agency (validated)."""
    out: list[Block] = [HeaderBlock(text=TITLE),
                        SectionBlock(text=MarkdownTextObject(text=escape(f"依發布時間 {period(d)}\n{summary(d)}")))]
    if spike := spike_line(d):
        out.append(SectionBlock(text=MarkdownTextObject(text=f":chart_with_upwards_trend: {escape(spike)}")))
    out.append(DividerBlock())
    out += [_agency_block(i, a) for i, a in enumerate(d.agencies[:MAX_AGENCIES], 1)]
    rest = len(d.agencies) - MAX_AGENCIES
    note = f"另有 {rest} 個機關，見圖表" if rest > 0 else ("期間內沒有與本府相關的報導。" if not d.agencies else "")
    if note:
        out.append(ContextBlock(elements=[MarkdownTextObject(text=note)]))
    return as_dicts(validated(out))


def html(d: Digest, chart_cid: str | None = None) -> str:
    """An HTML page for e-mail (autoescaped), the chart inline when ``chart_cid`` is given."""
    return _env.get_template("digest_report.html.j2").render(
        d=d, title=TITLE, period=period(d), summary=summary(d), spike=spike_line(d), head=agency_head,
        facts=story_facts, chart_cid=chart_cid, chart_title=chart_title(d, cjk=True))


def chart_title(d: Digest, cjk: bool = True) -> str:
    z = ZoneInfo(d.zone)
    since, until = d.since.astimezone(z), d.until.astimezone(z)
    if cjk:
        return f"各機關報導則數（{since:%Y-%m-%d %H:%M} 至 {until:%Y-%m-%d %H:%M}）"
    return f"Items per agency, {since:%Y-%m-%d %H:%M} to {until:%Y-%m-%d %H:%M} (Taipei time)"


def cjk_font() -> str | None:
    from matplotlib import font_manager

    wanted = ("Noto Sans CJK TC", "Noto Sans TC", "Noto Sans CJK JP", "Microsoft JhengHei", "PingFang TC",
              "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "AR PL UMing TW", "Heiti TC")
    names = {f.name for f in font_manager.fontManager.ttflist}
    return next((w for w in wanted if w in names), None)


def chart_figure(d: Digest, limit: int = 15, font: str | None = None) -> Any:
    """Bars per agency (negative and other copies), a readable title, a Chinese legend and whole
    numbers on the axis. Without a CJK font, English labels and agencies numbered as in the text."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.ticker import MaxNLocator

    font = font if font is not None else cjk_font()
    prop = FontProperties(family=font) if font else None
    lines = d.agencies[:limit]
    labels = [a.agency if font else f"#{i}" for i, a in enumerate(lines, 1)]
    fig = Figure(figsize=(8, 0.4 * max(3, len(lines)) + 1.4), dpi=100)
    ax = fig.add_subplot()
    neg = [a.negative for a in lines]
    ax.barh(labels, neg, color="#c0392b", label="負面" if font else "negative")
    ax.barh(labels, [a.mentions - a.negative for a in lines], left=neg, color="#95a5a6",
            label="其他" if font else "other")
    if prop is not None:
        for tick in ax.get_yticklabels():
            tick.set_fontproperties(prop)
    ax.invert_yaxis()
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # copies are counted: never 0.5 of one
    ax.set_xlabel("則數" if font else "items", fontproperties=prop)
    ax.set_title(chart_title(d, cjk=bool(font)), fontproperties=prop)
    ax.legend(loc="lower right", prop=prop)
    fig.tight_layout()
    return fig


def chart_png(d: Digest, limit: int = 15) -> bytes:
    buf = io.BytesIO()
    chart_figure(d, limit).savefig(buf, format="png")
    return buf.getvalue()
