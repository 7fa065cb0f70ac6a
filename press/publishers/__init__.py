"""One module per platform behind the :class:`~press.publishers.base.Publisher` protocol.

:data:`REGISTRY` maps a platform name to a factory that builds its publisher from its settings and
token; :func:`build` returns the enabled ones, each wrapped in :class:`DryRun` when the platform is
in dry-run mode (the default until its token is in the environment).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pipeline.settings import PlatformSettings, Settings
from press.publishers.base import Confirmation, Outgoing, Progress, Published, Publisher
from press.publishers.bluesky import BlueskyPublisher
from press.publishers.facebook import FacebookPublisher
from press.publishers.http import Api
from press.publishers.instagram import InstagramPublisher
from press.publishers.line import LinePublisher
from press.publishers.mastodon import MastodonPublisher
from press.publishers.threads import ThreadsPublisher
from press.publishers.x import XPublisher
from press.publishers.youtube import YouTubePublisher

Factory = Callable[[PlatformSettings, str], Publisher]

def api(platform: PlatformSettings) -> Api:
    """The platform's endpoint under the outbound policy (its own origin only; no internal
    addresses unless ``allow_private_hosts``)."""
    return Api(platform.base_url, allow_private=platform.allow_private_hosts)


REGISTRY: dict[str, Factory] = {
    "facebook": lambda p, t: FacebookPublisher(api(p), p.api_version, p.account, t),
    "instagram": lambda p, t: InstagramPublisher(api(p), p.api_version, p.account, t, interval=p.poll_interval),
    "threads": lambda p, t: ThreadsPublisher(api(p), p.api_version, p.account, t, interval=p.poll_interval),
    "youtube": lambda p, t: YouTubePublisher(api(p), t),
    "x": lambda p, t: XPublisher(api(p), t),
    "line": lambda p, t: LinePublisher(api(p), t),
    "bluesky": lambda p, t: BlueskyPublisher(api(p), p.account, t),
    "mastodon": lambda p, t: MastodonPublisher(api(p), t),
}


@dataclass
class DryRun:
    """Validates like the real publisher and records the post, but sends nothing."""

    inner: Publisher

    @property
    def name(self) -> str:
        return self.inner.name

    idempotent = True
    daily_limit: int | None = None
    dry_run = True

    def validate(self, post: Outgoing) -> list[str]:
        return self.inner.validate(post)

    def publish(self, post: Outgoing, progress: Progress) -> Published:
        return Published(f"dry-run:{self.inner.name}:{post.post_id}")

    def confirm(self, post: Outgoing) -> Confirmation:
        return None  # nothing was ever sent


def is_dry_run(platform: PlatformSettings, token: str | None) -> bool:
    return platform.dry_run is True or (platform.dry_run == "auto" and not token)


def build(settings: Settings) -> dict[str, Publisher]:
    """The enabled platforms' publishers (dry-run wrapped where configured or without a token)."""
    out: dict[str, Publisher] = {}
    for name, platform in settings.press.platforms.items():
        if not platform.enabled:
            continue
        secret = settings.secret(platform.token_env) if platform.token_env else None
        token = secret.get_secret_value() if secret else ""
        publisher = REGISTRY[name](platform, token)
        if platform.daily_limit is not None:
            publisher.daily_limit = platform.daily_limit
        out[name] = DryRun(publisher) if is_dry_run(platform, token) else publisher  # type: ignore[assignment]
    return out
