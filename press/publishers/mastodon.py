"""Mastodon: ``POST /api/v1/statuses`` (status, visibility, language) with a Bearer token and an
``Idempotency-Key`` fixed per post, so a retry returns the same status instead of a second one."""

from __future__ import annotations

from press.publishers.base import Limits, Outgoing, Progress, Published, TokenPublisher
from press.publishers.http import call, http_error

LIMITS = Limits(text_max=500)


class MastodonPublisher(TokenPublisher):
    name = "mastodon"
    limits = LIMITS

    def publish(self, post: Outgoing, progress: Progress) -> Published:
        result = call(
            "POST",
            f"{self.base}/api/v1/statuses",
            form={"status": post.text, "visibility": "public", "language": "zh"},
            headers={"Authorization": f"Bearer {self.token}", "Idempotency-Key": post.key},
        )
        body = result.json()
        if result.status == 200 and isinstance(body, dict) and "id" in body:
            return Published(str(body["id"]), body.get("url"))
        raise http_error(result, str(body.get("error", "")) if isinstance(body, dict) else "")
