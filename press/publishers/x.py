"""X API v2: ``POST /2/tweets`` with JSON ``{"text": ...}`` and an OAuth 2.0 user token; 201 with
``{"data": {"id", "text"}}``. 280 weighted characters (CJK counts 2). Not idempotent."""

from __future__ import annotations

from press.publishers.base import Limits, Outgoing, Progress, Published, PublishError, TokenPublisher
from press.publishers.http import call, http_error

LIMITS = Limits(text_max=280, weighted=True)


class XPublisher(TokenPublisher):
    name = "x"
    limits = LIMITS
    idempotent = False

    def publish(self, post: Outgoing, progress: Progress) -> Published:
        result = call(
            "POST",
            f"{self.base}/2/tweets",
            json_body={"text": post.text},
            headers={"Authorization": f"Bearer {self.token}"},
        )
        body = result.json()
        if result.status in (200, 201) and isinstance(body, dict) and "data" in body:
            tweet = str(body["data"]["id"])
            return Published(tweet, f"https://x.com/i/web/status/{tweet}")
        detail = body.get("detail") or body.get("title") or "" if isinstance(body, dict) else ""
        if result.status == 403 and "duplicate" in str(detail).lower():
            raise PublishError("permanent", "x-duplicate", str(detail))
        if result.status == 429:
            reset = result.headers.get("x-rate-limit-reset") if result.headers else None
            raise PublishError("retryable", "http-429", "rate limited", None if reset is None else 60.0)
        raise http_error(result, str(detail))
