"""Threads: ``POST /{threads-user-id}/threads`` (media_type TEXT or IMAGE, text, image_url) makes a
container; after it is FINISHED (``GET /{container}?fields=status``), ``POST /{threads-user-id}/
threads_publish`` with ``creation_id``. Text up to 500 characters, one topic tag, at most 5 links;
250 API posts per profile per rolling 24 hours (the scheduler defers beyond that)."""

from __future__ import annotations

from press.publishers.base import Limits, Outgoing, Progress, Published, PublishError, Validating
from press.publishers.meta import GraphClient

LIMITS = Limits(
    text_max=500,
    media_max=1,
    media_types=("image/jpeg", "image/png"),
    media_bytes=8_000_000,
    hashtags_max=1,
    links_max=5,
    public_media=True,
)


class ThreadsPublisher(Validating):
    name = "threads"
    limits = LIMITS
    daily_limit: int | None = 250

    def __init__(
        self, base_url: str, version: str, user_id: str, token: str, polls: int = 10, interval: float = 3.0
    ) -> None:
        self.graph, self.user_id = GraphClient(base_url, version, token), user_id
        self.polls, self.interval = polls, interval

    def publish(self, post: Outgoing, progress: Progress) -> Published:
        container = post.state.get("container_id")
        if container:
            body = self.graph.get(container, {"fields": "status"}, "container status")
            if str(body.get("status")).upper() == "PUBLISHED":
                return Published(str(post.state.get("media_id") or f"container:{container}"))
        else:
            form = {"media_type": "IMAGE" if post.media else "TEXT", "text": post.text}
            if post.media:
                form["image_url"] = post.media[0]["url"]
            container = str(self.graph.post(f"{self.user_id}/threads", form, "container")["id"])
            progress({"container_id": container})
        try:
            self.graph.wait_until_ready(container, "status", self.polls, self.interval)
        except PublishError as exc:
            if exc.code in ("container-expired", "container-error"):
                progress({"container_id": None})
            raise
        body = self.graph.post(f"{self.user_id}/threads_publish", {"creation_id": container}, "publish")
        progress({"media_id": str(body["id"])})
        return Published(str(body["id"]))
