"""Threads: ``POST /{threads-user-id}/threads`` (media_type TEXT or IMAGE, text, image_url) makes a
container; after it is FINISHED (``GET /{container}?fields=status``), ``POST /{threads-user-id}/
threads_publish`` with ``creation_id``. Text up to 500 characters, one topic tag, at most 5 links;
250 API posts per profile per rolling 24 hours (the scheduler defers beyond that). Restarts and
confirmation: :class:`press.publishers.meta.ContainerPublisher` (container status PUBLISHED, then the
profile's own ``/threads`` to find the post's id)."""

from __future__ import annotations

from typing import Any

from press.publishers.base import Limits, Outgoing
from press.publishers.meta import ContainerPublisher

LIMITS = Limits(
    text_max=500,
    media_max=1,
    media_types=("image/jpeg", "image/png"),
    media_bytes=8_000_000,
    hashtags_max=1,
    links_max=5,
    public_media=True,
)


class ThreadsPublisher(ContainerPublisher):
    name = "threads"
    limits = LIMITS
    daily_limit: int | None = 250
    create_path, publish_path, status_field = "threads", "threads_publish", "status"
    own_edge, own_fields, own_text = "threads", "id,text,timestamp,permalink", "text"

    def container_form(self, post: Outgoing) -> dict[str, Any]:
        form = {"media_type": "IMAGE" if post.media else "TEXT", "text": post.text}
        if post.media:
            form["image_url"] = post.media[0]["url"]
        return form
