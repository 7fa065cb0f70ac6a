"""A small HTTP client on the standard library, shared by the publishers, and error classing."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.message import Message
from typing import Any

from press.publishers.base import PublishError


@dataclass
class HttpResult:
    status: int
    headers: Message
    body: bytes
    url: str

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"{}")
        except ValueError:
            return {}


def call(
    method: str,
    url: str,
    *,
    params: dict[str, Any] | None = None,
    json_body: Any = None,
    form: dict[str, Any] | None = None,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
) -> HttpResult:
    """One request; HTTP errors come back as results, network failures raise a retryable error."""
    if params:
        url = f"{url}{'&' if '?' in url else '?'}{urllib.parse.urlencode(params)}"
    hdrs = dict(headers or {})
    if json_body is not None:
        data = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
        hdrs.setdefault("Content-Type", "application/json; charset=UTF-8")
    elif form is not None:
        data = urllib.parse.urlencode({k: v for k, v in form.items() if v is not None}).encode("ascii")
        hdrs.setdefault("Content-Type", "application/x-www-form-urlencoded")
    request = urllib.request.Request(url, data=data, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:  # noqa: S310 - configured API URLs
            return HttpResult(resp.status, resp.headers, resp.read(), url)
    except urllib.error.HTTPError as exc:
        return HttpResult(exc.code, exc.headers, exc.read(), url)
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise PublishError("retryable", "network", f"{method} {_safe(url)}: {reason}") from None


def _safe(url: str) -> str:
    """The URL without its query (which may carry an access token)."""
    return url.split("?", 1)[0]


def retry_after(result: HttpResult) -> float | None:
    value = result.headers.get("Retry-After") if result.headers else None
    try:
        return float(value) if value else None
    except ValueError:
        return None


def http_error(result: HttpResult, message: str = "") -> PublishError:
    """Generic classing: 401 → reconnect, 408/429/5xx → retryable, other 4xx → permanent."""
    text = message or result.body[:300].decode("utf-8", "replace")
    code = f"http-{result.status}"
    if result.status == 401:
        return PublishError("reconnect", code, f"token rejected: {text}")
    if result.status in (408, 425, 429) or result.status >= 500:
        return PublishError("retryable", code, text, retry_after(result))
    return PublishError("permanent", code, text)


#: Graph API error codes (Facebook, Instagram, Threads) that mean "try again later".
GRAPH_RETRYABLE = {1, 2, 4, 9, 17, 32, 341, 368, 613, 9007, 80001, 80002}
GRAPH_RETRYABLE_SUBCODES = {2207052, 2207001, 2207003, 2207020}


def graph_error(result: HttpResult, stage: str) -> PublishError:
    """Meta Graph API errors: 190 = expired or invalid token → reconnect; rate limits, transient
    errors and 'media not ready' (9007) → retryable; the rest permanent."""
    err = result.json().get("error") if isinstance(result.json(), dict) else None
    if not isinstance(err, dict):
        return http_error(result)
    code, sub = err.get("code"), err.get("error_subcode")
    label = f"graph-{code}" + (f"/{sub}" if sub else "")
    message = f"{stage}: {err.get('message', '')}"
    if code == 190 or code == 102:
        return PublishError("reconnect", label, message)
    if (
        code in GRAPH_RETRYABLE
        or sub in GRAPH_RETRYABLE_SUBCODES
        or err.get("is_transient")
        or result.status >= 500
    ):
        return PublishError("retryable", label, message, retry_after(result))
    return PublishError("permanent", label, message)
