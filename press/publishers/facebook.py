"""Facebook Page posts through the Graph API: ``POST /{page-id}/feed`` (message, link) or
``POST /{page-id}/photos`` (url, caption) for a post with one image.

Not idempotent: the Graph API takes no retry key, so a second call is a second post. When the
outcome of a call is unknown (the connection dropped after it was sent, a timeout, a 5xx or an
"unknown error" code 1/2), :meth:`confirm` looks for the post among the Page's own posts
(``GET /{page-id}/posts``, same text, created since the call) and, when it is not there, answers
UNKNOWN: the post is held for a person, never sent again blindly (a flaky Page API posted twice).
"""

from __future__ import annotations

from press.publishers.base import UNKNOWN, Confirmation, Limits, Outgoing, Progress, Published, Validating, stamp
from press.publishers.http import Api
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

    def __init__(self, api: Api, version: str, page_id: str, token: str) -> None:
        self.graph, self.page_id = GraphClient(api, version, token), page_id

    def publish(self, post: Outgoing, progress: Progress) -> Published:
        progress({"sent_at": stamp(post)})  # where confirm() starts looking
        if post.media:
            body = self.graph.post(f"{self.page_id}/photos", {"url": post.media[0]["url"], "caption": post.text},
                                   "photo", creates=True)
            post_id = str(body.get("post_id") or body["id"])
        else:
            body = self.graph.post(f"{self.page_id}/feed", {"message": post.text, "link": post.link}, "feed",
                                   creates=True)
            post_id = str(body["id"])
        return Published(post_id, f"https://www.facebook.com/{post_id}")

    def confirm(self, post: Outgoing) -> Confirmation:
        sent = post.state.get("sent_at")
        if not sent:
            return None  # the call was never made
        found = self.graph.find_own(f"{self.page_id}/posts", "id,message,created_time,permalink_url", "message",
                                    post, sent)
        # Not found is not proof: the Page API gives no read-after-write promise. A person decides.
        return found or UNKNOWN
