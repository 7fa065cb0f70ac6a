"""Instagram through the Graph API (content publishing): create a media container
(``POST /{ig-user-id}/media`` with ``image_url`` or ``video_url`` + ``media_type=REELS``, and
``caption``), poll it (``GET /{container}?fields=status_code``: IN_PROGRESS, FINISHED, PUBLISHED,
ERROR, EXPIRED after 24 h) until FINISHED, then ``POST /{ig-user-id}/media_publish`` with
``creation_id``. Publishing too early is error 9007 "Media ID is not available"; 50 published posts
per 24 hours. See :class:`press.publishers.meta.ContainerPublisher` for restarts and confirmation."""

from __future__ import annotations

from typing import Any

from press.publishers.base import Limits, Outgoing, check_limits
from press.publishers.meta import ContainerPublisher

LIMITS = Limits(
    text_max=2_200,
    media_min=1,
    media_max=1,
    hashtags_max=30,
    media_types=("image/jpeg", "video/mp4", "video/quicktime"),
    media_bytes=8_000_000,
    public_media=True,
)
VIDEO_BYTES = 300_000_000


class InstagramPublisher(ContainerPublisher):
    name = "instagram"
    limits = LIMITS
    daily_limit: int | None = 50  # content publishing limit per 24 hours
    create_path, publish_path, status_field = "media", "media_publish", "status_code"
    own_edge, own_fields, own_text = "media", "id,caption,timestamp,permalink", "caption"

    def validate(self, post: Outgoing) -> list[str]:
        video = bool(post.media) and str(post.media[0].get("type", "")).startswith("video/")
        limits = LIMITS if not video else Limits(**{**LIMITS.__dict__, "media_bytes": VIDEO_BYTES})
        return check_limits(self.name, limits, post)

    def container_form(self, post: Outgoing) -> dict[str, Any]:
        media = post.media[0]
        form = {"caption": post.text}
        if str(media.get("type", "")).startswith("video/"):
            form.update(media_type="REELS", video_url=media["url"])
        else:
            form["image_url"] = media["url"]
        return form
