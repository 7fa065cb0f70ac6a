"""Facebook Page posts through the Graph API: ``POST /{page-id}/feed`` (message, link) or
``POST /{page-id}/photos`` (url, caption) for a post with one image. Not idempotent: a post whose
outcome is unknown after a crash is held for a person to check."""

from __future__ import annotations

from press.publishers.base import Limits, Outgoing, Progress, Published, Validating
from press.publishers.meta import GraphClient

LIMITS = Limits(
    text_max=63_206,
    media_max=1,
    media_types=("image/jpeg", "image/png", "image/gif"),
    media_bytes=10_000_000,
    public_media=True,
)


class FacebookPublisher(Validating):
    name = "facebook"
    limits = LIMITS
    idempotent = False

    def __init__(self, base_url: str, version: str, page_id: str, token: str) -> None:
        self.graph, self.page_id = GraphClient(base_url, version, token), page_id

    def publish(self, post: Outgoing, progress: Progress) -> Published:
        if post.media:
            body = self.graph.post(
                f"{self.page_id}/photos", {"url": post.media[0]["url"], "caption": post.text}, "photo"
            )
            post_id = str(body.get("post_id") or body["id"])
        else:
            body = self.graph.post(f"{self.page_id}/feed", {"message": post.text, "link": post.link}, "feed")
            post_id = str(body["id"])
        return Published(post_id, f"https://www.facebook.com/{post_id}")
