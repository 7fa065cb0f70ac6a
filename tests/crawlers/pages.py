"""Builders for test pages and feeds written here (no outlet's real content)."""

from __future__ import annotations

from datetime import datetime
from email.utils import format_datetime

BODY = ("臺北市政府今日表示，捷運環狀線北環段工程進度順利，預計明年完工通車，市長蔣萬安出席記者會說明。"
        "捷運局指出，新路線將串連士林、北投與內湖，每日可服務數萬名通勤旅客。")


def article(title: str = "臺北捷運環狀線進度", body: str = BODY, *,
            published: str = "2024-10-16T10:20:00+08:00", author: str = "王小明",
            charset: str = "utf-8", extra_head: str = "") -> str:
    return f"""<!DOCTYPE html><html lang="zh-Hant"><head><meta charset="{charset}">
<title>{title} - 新聞網</title>
<meta property="og:title" content="{title}"><meta property="og:site_name" content="新聞網">
<meta property="article:published_time" content="{published}"><meta name="author" content="{author}">
{extra_head}</head><body><header><nav><a href="/">首頁</a> <a href="/news">新聞</a></nav></header>
<article><h1>{title}</h1><p>{body}</p><p>第二段：{body}</p></article>
<footer>版權所有 新聞網</footer></body></html>"""


def rss(entries: list[tuple[str, str]], *, when: datetime | None = None) -> bytes:
    """An RSS 2.0 feed of (title, link) entries."""
    date = format_datetime(when) if when else "Wed, 16 Oct 2024 02:20:00 GMT"
    items = "".join(f"<item><title>{t}</title><link>{u}</link><guid>{u}</guid><pubDate>{date}</pubDate>"
                    f"<description>{t}的摘要</description></item>" for t, u in entries)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>測試</title>'
            f"<link>http://127.0.0.1/</link><description>d</description>{items}</channel></rss>").encode()
