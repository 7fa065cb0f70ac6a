"""Jinja2 for the dashboard: autoescaped, ROC dates in the office's zone, outlet and platform names.

Nothing from the data ever goes into a ``<script>``: charts read JSON from a ``data-`` attribute
(``tojson`` escapes quotes and angle brackets) and ``static/app.js`` draws them.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from markupsafe import Markup, escape
from starlette.responses import HTMLResponse

from press import roc
from press.report import PLATFORM_NAMES
from web.security import csrf_token

TEMPLATES = Path(__file__).with_name("templates")
STATUS_NAMES = {"open": "待處理", "assigned": "已分派", "responded": "已回應", "dismissed": "不需回應"}
PRIORITY_NAMES = {"critical": "緊急", "high": "高", "normal": "一般", "low": "低"}
RELEASE_STATUS = {"draft": "草稿", "review": "待審核", "approved": "已核准", "scheduled": "已排程",
                  "published": "已發布", "failed": "發布失敗", "withdrawn": "已撤回"}
POST_STATUS = {"draft": "草稿", "scheduled": "已排程", "publishing": "發布中", "published": "已發布",
               "simulated": "模擬發布", "retrying": "重試中", "waiting": "待重新連結帳號", "held": "暫停待查",
               "failed": "失敗", "withdrawn": "已撤回"}
KIND_NAMES = {"release": "新聞稿", "statement": "聲明稿", "advisory": "採訪通知", "schedule": "市長行程"}
ROLE_NAMES = {"officer": "承辦", "reviewer": "審核", "admin": "管理"}
GOVERNMENTS = {"TPE": "臺北市", "NTPC": "新北市", "KHH": "高雄市", "TXG": "臺中市", "TYN": "桃園市",
               "TNN": "臺南市", "OTHER_LOCAL": "其他縣市", "CENTRAL": "中央", "NONE": "無關政府"}


def outlet_name(code: str | None) -> str:
    """中央社 for ``cna``: the registry's title; unknown codes are shown as they are."""
    from crawlers.outlets import REGISTRY

    if not code:
        return "（不明）"
    outlet = REGISTRY.get(code)
    return outlet.title if outlet else code


def marked(snippet: str) -> Markup:
    """A stored highlight snippet (terms between 【 】) as escaped text with <mark> around the terms."""
    out, rest = Markup(""), str(snippet)
    while "【" in rest and "】" in rest.split("【", 1)[1]:
        before, after = rest.split("【", 1)
        term, rest = after.split("】", 1)
        out += escape(before) + Markup("<mark>") + escape(term) + Markup("</mark>")
    return out + escape(rest)


def highlighted(text: str, terms: list[str]) -> Markup:
    """``text`` escaped, with every occurrence of the (folded) terms marked; 臺 finds 台 and so on."""
    from pipeline.textnorm import fold_table, fold_term, nfkc

    shown = text  # shown as written; the key folds each character alone, so positions line up
    key = "".join(c if len(k := nfkc(c)) != 1 else k for c in shown).translate(fold_table())
    marks = [False] * len(shown)
    for term in {fold_term(t) for t in terms if t.strip()}:
        start = key.find(term)
        while term and start >= 0:
            marks[start:start + len(term)] = [True] * len(term)
            start = key.find(term, start + len(term))
    out, i = Markup(""), 0
    while i < len(shown):
        j = i
        while j < len(shown) and marks[j] == marks[i]:
            j += 1
        part = escape(shown[i:j])
        out += Markup("<mark>") + part + Markup("</mark>") if marks[i] else part
        i = j
    return out


def web_url(url: str | None) -> str:
    """An http(s) link from the data, or "" (a ``javascript:`` or odd URL never becomes a link)."""
    from urllib.parse import urlsplit

    parts = urlsplit((url or "").strip())
    return (url or "").strip() if parts.scheme in ("http", "https") and parts.netloc else ""


def _roc_date(value: datetime | date | None, tz: str) -> str:
    return roc.roc_date(value, tz) if value else "—"


def _roc_datetime(value: datetime | None, tz: str) -> str:
    return f"{roc.roc_date(value, tz)} {roc.taipei_time(value, tz)}" if value else "—"


def environment(tz: str) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters.update(
        roc_date=lambda v: _roc_date(v, tz), roc_datetime=lambda v: _roc_datetime(v, tz),
        outlet=outlet_name, marked=marked, highlighted=highlighted, platform=lambda p: PLATFORM_NAMES.get(p, p),
        status=lambda s: STATUS_NAMES.get(s, s), priority=lambda p: PRIORITY_NAMES.get(p or "", p or "—"),
        release_status=lambda s: RELEASE_STATUS.get(s, s), post_status=lambda s: POST_STATUS.get(s, s),
        kind=lambda k: KIND_NAMES.get(k, k),
        role=lambda r: ROLE_NAMES.get(r, r), government=lambda g: GOVERNMENTS.get(g or "", g or "—"),
        url=web_url, number=lambda n: f"{n:,}", percent=lambda x: f"{100 * x:.0f}%",
        cell=lambda v: f"{v:,}" if isinstance(v, int) else v,
    )
    env.globals.update(STATUS_NAMES=STATUS_NAMES, PRIORITY_NAMES=PRIORITY_NAMES, GOVERNMENTS=GOVERNMENTS,
                       RELEASE_STATUS=RELEASE_STATUS, KIND_NAMES=KIND_NAMES)
    return env


def render(request: Request, template: str, status_code: int = 200, /, **context: Any) -> HTMLResponse:
    """A page or fragment; every template sees the user, the CSRF token, the settings and the path."""
    env: jinja2.Environment = request.app.state.jinja
    user = getattr(request.state, "user", None)
    html = env.get_template(template).render(request=request, user=user, csrf=csrf_token(request),
                                         settings=request.app.state.settings, path=request.url.path, **context)
    return HTMLResponse(html, status_code=status_code)


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"
