"""Mastodon: ``POST /api/v1/statuses`` (status, visibility, language) with a Bearer token and an
``Idempotency-Key``.

Mastodon keeps idempotency keys "for up to 1 hour" (docs.joinmastodon.org/methods/statuses), and
stores a key only once its status is written (mastodon/mastodon#21840: a retry racing a slow write
posted twice). newsdesk's retries (5, 10, 20, 40 minutes) and a restart can outlast that hour, so the
key protects only while :data:`KEY_WINDOW` has not passed since it was first sent. After that, before
sending again, newsdesk looks for its own post: the account's statuses
(``GET /api/v1/accounts/verify_credentials``, ``GET /api/v1/accounts/{id}/statuses``) created since
the first try whose source text (``GET /api/v1/statuses/{id}/source``) is exactly the text newsdesk
wrote. That text, with the time window, is the marker newsdesk controls (Mastodon keeps no hidden
field a client could set). Found → published; not found → sent again under a fresh key.

Why not Mastodon.py: ``status_post(idempotency_key=...)`` is this one call; the window rule and the
search are newsdesk's either way, and its requests session is outside the outbound policy.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from press.publishers.base import (
    Confirmation,
    Limits,
    Outgoing,
    Progress,
    Published,
    PublishError,
    Validating,
    since,
    stamp,
)
from press.publishers.http import Api, HttpResult, http_error, retry_after
from press.publishers.meta import CLOCK_SLACK, same_text

LIMITS = Limits(text_max=500)
#: Mastodon keeps a key up to an hour; ten minutes are kept in hand for clocks and slow writes
KEY_WINDOW = 50 * 60


class MastodonPublisher(Validating):
    name = "mastodon"
    limits = LIMITS

    def __init__(self, api: Api, token: str) -> None:
        self.api, self.token = api, token

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def publish(self, post: Outgoing, progress: Progress) -> Published:
        age, rounds = since(post, "key_since"), int(post.state.get("key_round") or 0)
        if age is None:
            progress({"key_since": stamp(post), "key_round": 0})
        elif age >= KEY_WINDOW:
            found = self._find_own(post)  # the key may be forgotten: is the post already there?
            if found is not None:
                return found
            rounds += 1
            progress({"key_since": stamp(post), "key_round": rounds})
        key = post.key if not rounds else f"{post.key}.{rounds}"  # a fresh key once the old may be gone
        result = self.api.call(
            "POST", self.api.url("api/v1/statuses"),
            form={"status": post.text, "visibility": "public", "language": "zh"},
            headers={**self._auth(), "Idempotency-Key": key}, creates=True)
        body = result.json()
        if result.status == 200 and isinstance(body, dict) and "id" in body:
            return Published(str(body["id"]), body.get("url"))
        raise _error(result, body)

    def confirm(self, post: Outgoing) -> Confirmation:
        age = since(post, "key_since")
        if age is None:
            return None  # never sent
        if age < KEY_WINDOW:
            return None  # the same key gets the same status back: resending is safe
        return self._find_own(post)

    def _find_own(self, post: Outgoing) -> Published | None:
        """Our status, by its exact source text, among the account's statuses since the first try."""
        first = datetime.fromisoformat(str(post.state["key_since"])) - CLOCK_SLACK
        me = self._get("api/v1/accounts/verify_credentials", {})
        statuses = self._get(f"api/v1/accounts/{me['id']}/statuses", {"limit": 40, "exclude_reblogs": "true"})
        for status in statuses if isinstance(statuses, list) else []:
            created = datetime.fromisoformat(str(status.get("created_at", "")).replace("Z", "+00:00"))
            if created < first:
                break  # newest first: the rest are older
            source = self._get(f"api/v1/statuses/{status['id']}/source", {})
            if same_text(str(source.get("text", "")), post.text):
                return Published(str(status["id"]), status.get("url"))
        return None

    def _get(self, path: str, params: dict[str, Any]) -> Any:
        result = self.api.call("GET", self.api.url(path), params=params, headers=self._auth())
        if result.status != 200:
            raise _error(result, result.json(), creates=False)
        return result.json()


def _error(result: HttpResult, body: Any, *, creates: bool = True) -> PublishError:
    message = str(body.get("error", "")) if isinstance(body, dict) else ""
    if result.status == 429:
        return PublishError("retryable", "http-429", message or "rate limited", retry_after(result))
    return http_error(result, message, creates=creates)
