"""LINE Messaging API push: a text message to one user (a journalist who added the office's account).

``POST {base}/v2/bot/message/push`` with ``Authorization: Bearer {channel access token}``, ``{"to":
user id, "messages": [{"type": "text", "text": ...}]}`` (text up to 5,000 characters) and
``X-Line-Retry-Key`` (a UUID fixed per notice): LINE carries a request with a given key out once; a
retry of an accepted one answers 409 and is not delivered again (developers.line.biz, "Send push
message" and "Retry failed API requests"). 401/403: the token is wrong (nothing can be sent);
429 and 5xx: try later; other 4xx: this notice cannot be sent (a bad user id, a blocked account).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid

from notifications.base import NotifierUnavailable, PermanentError, TransientError

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_DNS, "line-push.newsdesk")  # retry keys: uuid5(NAMESPACE, delivery key)
TEXT_MAX = 5000


class LinePush:
    """Sends one text to one LINE user; ``send`` returns LINE's request id."""

    channel = "line"

    def __init__(self, base_url: str, token: str, timeout: float = 15) -> None:
        if not token:
            raise NotifierUnavailable("LINE_CHANNEL_ACCESS_TOKEN is not set: no LINE notices")
        self.base, self.token, self.timeout = base_url.rstrip("/"), token, timeout

    def send(self, to: str, message: dict[str, str], key: str) -> str:
        text = message["text"] if len(message["text"]) <= TEXT_MAX else message["text"][: TEXT_MAX - 1] + "…"
        body = json.dumps({"to": to, "messages": [{"type": "text", "text": text}]}, ensure_ascii=False).encode()
        retry_key = str(uuid.uuid5(NAMESPACE, key))
        request = urllib.request.Request(f"{self.base}/v2/bot/message/push", data=body, method="POST", headers={
            "Authorization": f"Bearer {self.token}", "Content-Type": "application/json; charset=UTF-8",
            "X-Line-Retry-Key": retry_key})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as resp:  # noqa: S310 - configured API URL
                return str(resp.headers.get("X-Line-Request-Id") or retry_key)
        except urllib.error.HTTPError as exc:
            return self._refused(exc, retry_key)
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise TransientError(f"LINE push: {getattr(exc, 'reason', exc)}",
                                 maybe_sent=isinstance(exc, TimeoutError)) from None

    def _refused(self, exc: urllib.error.HTTPError, retry_key: str) -> str:
        if exc.code == 409:  # accepted earlier with this retry key: delivered then, not again now
            return str(exc.headers.get("X-Line-Accepted-Request-Id") or retry_key)
        try:
            detail = json.loads(exc.read() or b"{}")
        except ValueError:
            detail = {}
        message = detail.get("message", "") if isinstance(detail, dict) else ""
        if isinstance(detail, dict) and detail.get("details"):
            message += f" {detail['details']}"
        if exc.code in (401, 403):
            raise NotifierUnavailable(f"LINE refused the channel token ({exc.code}): {message}") from None
        if exc.code == 429 or exc.code >= 500:
            after = exc.headers.get("Retry-After")
            raise TransientError(f"LINE push {exc.code}: {message}",
                                 retry_after=float(after) if after and after.isdigit() else None) from None
        raise PermanentError(f"LINE push {exc.code}: {message}") from None
