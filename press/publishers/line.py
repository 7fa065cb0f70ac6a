"""LINE Messaging API broadcast: ``POST /v2/bot/message/broadcast`` with ``{"messages": [{"type":
"text", "text": ...}]}`` and ``X-Line-Retry-Key`` (a UUID fixed per post): a retry of an accepted
request gets 409 and is not delivered twice, so this publisher is idempotent."""

from __future__ import annotations

import uuid

from press.publishers.base import Limits, Outgoing, Progress, Published, TokenPublisher
from press.publishers.http import call, http_error

LIMITS = Limits(text_max=5_000)
NAMESPACE = uuid.UUID("6f1c1f5e-7a55-4f1e-9a2b-4e6577736465")


class LinePublisher(TokenPublisher):
    name = "line"
    limits = LIMITS

    def publish(self, post: Outgoing, progress: Progress) -> Published:
        key = str(uuid.uuid5(NAMESPACE, post.key))
        result = call(
            "POST",
            f"{self.base}/v2/bot/message/broadcast",
            json_body={"messages": [{"type": "text", "text": post.text}]},
            headers={"Authorization": f"Bearer {self.token}", "X-Line-Retry-Key": key},
        )
        if result.status == 200:
            return Published(result.headers.get("x-line-request-id") or key)
        if result.status == 409:  # accepted earlier with this retry key: already broadcast
            return Published(result.headers.get("x-line-accepted-request-id") or key)
        message = result.json().get("message", "") if isinstance(result.json(), dict) else ""
        raise http_error(result, message)
