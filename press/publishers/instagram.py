"""Instagram through the Graph API: create a media container (``POST /{ig-user-id}/media`` with
``image_url`` or ``video_url`` + ``media_type=REELS``, and ``caption``), poll it
(``GET /{container}?fields=status_code``) until FINISHED, then ``POST /{ig-user-id}/media_publish``
with ``creation_id``. The container id is stored before publishing, so a restart publishes that
container (or finds it already PUBLISHED) instead of making a second post."""

from __future__ import annotations

from press.publishers.base import Limits, Outgoing, Progress, Published, PublishError, check_limits
from press.publishers.meta import GraphClient

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


class InstagramPublisher:
    name = "instagram"
    idempotent = True
    daily_limit: int | None = 50  # content publishing limit per 24 hours

    def __init__(
        self, base_url: str, version: str, user_id: str, token: str, polls: int = 10, interval: float = 3.0
    ) -> None:
        self.graph, self.user_id = GraphClient(base_url, version, token), user_id
        self.polls, self.interval = polls, interval

    def validate(self, post: Outgoing) -> list[str]:
        video = bool(post.media) and str(post.media[0].get("type", "")).startswith("video/")
        limits = LIMITS if not video else Limits(**{**LIMITS.__dict__, "media_bytes": VIDEO_BYTES})
        return check_limits(self.name, limits, post)

    def publish(self, post: Outgoing, progress: Progress) -> Published:
        container = post.state.get("container_id")
        if container:
            body = self.graph.get(container, {"fields": "status_code"}, "container status")
            if str(body.get("status_code")).upper() == "PUBLISHED":
                return Published(str(post.state.get("media_id") or f"container:{container}"))
        else:
            media = post.media[0]
            form = {"caption": post.text}
            if str(media.get("type", "")).startswith("video/"):
                form.update(media_type="REELS", video_url=media["url"])
            else:
                form["image_url"] = media["url"]
            container = str(self.graph.post(f"{self.user_id}/media", form, "container")["id"])
            progress({"container_id": container})
        try:
            self.graph.wait_until_ready(container, "status_code", self.polls, self.interval)
        except PublishError as exc:
            if exc.code in ("container-expired", "container-error"):
                progress({"container_id": None})
            raise
        body = self.graph.post(f"{self.user_id}/media_publish", {"creation_id": container}, "publish")
        progress({"media_id": str(body["id"])})
        return Published(str(body["id"]))
