"""LINE Messaging API broadcast: ``POST /v2/bot/message/broadcast`` with ``{"messages": [{"type":
"text", "text": ...}]}`` and ``X-Line-Retry-Key`` (a UUID fixed per post).

LINE documents the retry key (developers.line.biz/en/docs/messaging-api/retrying-api-request): a 5xx
or a timeout may still have delivered the message; a request with the same key is carried out only
once, a later one gets 409 (with ``X-Line-Accepted-Request-Id``); and the key is valid for 24 hours
after the first request. So within that window an unknown outcome is settled by sending again with
the same key (:meth:`LinePublisher.confirm` answers None: safe), and after it the post is held for a
person (UNKNOWN): LINE has no way to look a broadcast up.

Why not line-bot-sdk: it is a generated client over urllib3 that takes the retry key as an argument,
the same one call this module makes, outside the outbound policy; it adds nothing to the window rule.
"""

from __future__ import annotations

import uuid

from press.publishers.base import (
    UNKNOWN,
    Confirmation,
    Limits,
    Outgoing,
    Progress,
    Published,
    Validating,
    since,
    stamp,
)
from press.publishers.http import Api, http_error

LIMITS = Limits(text_max=5_000)
NAMESPACE = uuid.UUID("6f1c1f5e-7a55-4f1e-9a2b-4e6577736465")
#: the key is valid 24 h after the first request; an hour is kept in hand for clocks and queues
KEY_WINDOW = 23 * 3600


class LinePublisher(Validating):
    name = "line"
    limits = LIMITS

    def __init__(self, api: Api, token: str) -> None:
        self.api, self.token = api, token

    def publish(self, post: Outgoing, progress: Progress) -> Published:
        key = str(uuid.uuid5(NAMESPACE, post.key))
        if not post.state.get("retry_key_since"):
            progress({"retry_key_since": stamp(post)})
        result = self.api.call(
            "POST",
            self.api.url("v2/bot/message/broadcast"),
            json_body={"messages": [{"type": "text", "text": post.text}]},
            headers={"Authorization": f"Bearer {self.token}", "X-Line-Retry-Key": key},
            creates=True,
        )
        if result.status == 200:
            return Published(result.headers.get("X-Line-Request-Id") or key)
        if result.status == 409:  # accepted earlier with this retry key: already broadcast
            return Published(result.headers.get("X-Line-Accepted-Request-Id") or key)
        body = result.json()
        raise http_error(result, str(body.get("message", "")) if isinstance(body, dict) else "", creates=True)

    def confirm(self, post: Outgoing) -> Confirmation:
        age = since(post, "retry_key_since")
        if age is None:
            return None  # never sent
        return None if age < KEY_WINDOW else UNKNOWN
