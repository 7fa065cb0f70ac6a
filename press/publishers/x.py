"""X API v2: ``POST /2/tweets`` with JSON ``{"text": ...}`` and an OAuth 2.0 user token; 201 with
``{"data": {"id", "text"}}``. 280 weighted characters (CJK counts 2).

Not idempotent: v2 takes no retry key. X refuses a text identical to a recent post of the account
(403 "You are not allowed to create a Tweet with duplicate content."), but that check is not a
promise: clients that resent after a timeout posted twice when it was bypassed (cezarsa/silver_bird#204),
and the 403 does not say which post it matched (plhery/node-twitter-api-v2#469). So an unknown
outcome is settled by :meth:`XPublisher.confirm`: ``GET /2/users/me``, then the account's posts since
the try (``GET /2/users/{id}/tweets?start_time=``), matched by text (X returns links as t.co and
``&`` as ``&amp;``). Not found, or not readable on the account's API tier → UNKNOWN: held for a person.
"""

from __future__ import annotations

import html
import re
from datetime import datetime
from typing import Any

from press.publishers.base import (
    UNKNOWN,
    Confirmation,
    Limits,
    Outgoing,
    Progress,
    Published,
    PublishError,
    Validating,
    stamp,
)
from press.publishers.http import Api, HttpResult, http_error
from press.publishers.meta import CLOCK_SLACK

LIMITS = Limits(text_max=280, weighted=True)
_URL = re.compile(r"https?://\S+")


def comparable(text: str) -> str:
    """A post's text as X gives it back: links replaced by t.co, entities escaped, spaces folded."""
    return " ".join(_URL.sub("<link>", html.unescape(text)).split())


class XPublisher(Validating):
    name = "x"
    limits = LIMITS
    idempotent = False

    def __init__(self, api: Api, token: str) -> None:
        self.api, self.token = api, token

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def publish(self, post: Outgoing, progress: Progress) -> Published:
        earlier = post.state.get("sent_at")
        progress({"sent_at": earlier or stamp(post)})
        result = self.api.call("POST", self.api.url("2/tweets"), json_body={"text": post.text},
                               headers=self._auth(), creates=True)
        body = result.json()
        if result.status in (200, 201) and isinstance(body, dict) and isinstance(body.get("data"), dict):
            tweet = str(body["data"]["id"])
            return Published(tweet, f"https://x.com/i/web/status/{tweet}")
        raise _error(result, body, duplicate_may_be_ours=bool(earlier))

    def confirm(self, post: Outgoing) -> Confirmation:
        sent = post.state.get("sent_at")
        if not sent:
            return None  # never sent
        try:
            me = self._get("2/users/me", {})
            user = str(me["data"]["id"])
            since = (datetime.fromisoformat(sent) - CLOCK_SLACK).strftime("%Y-%m-%dT%H:%M:%SZ")
            found = self._get(f"2/users/{user}/tweets",
                              {"start_time": since, "max_results": 20, "tweet.fields": "created_at"})
        except (PublishError, KeyError, TypeError):
            return UNKNOWN  # the account's posts cannot be read (free tier, rate limit): a person checks
        want = comparable(post.text)
        for tweet in found.get("data") or []:
            if comparable(str(tweet.get("text", ""))) == want:
                return Published(str(tweet["id"]), f"https://x.com/i/web/status/{tweet['id']}")
        return UNKNOWN

    def _get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        result = self.api.call("GET", self.api.url(path), params=params, headers=self._auth())
        body = result.json()
        if result.status != 200 or not isinstance(body, dict):
            raise _error(result, body, duplicate_may_be_ours=False)
        return body


def _error(result: HttpResult, body: Any, *, duplicate_may_be_ours: bool) -> PublishError:
    detail = str((body.get("detail") or body.get("title") or "") if isinstance(body, dict) else "")
    if result.status == 403 and "duplicate" in detail.lower():
        if duplicate_may_be_ours:  # an earlier try of this very post may be the duplicate
            return PublishError("unknown", "x-duplicate", detail)
        return PublishError("permanent", "x-duplicate", detail)
    if result.status == 429:
        reset = result.headers.get("x-rate-limit-reset")
        wait = None
        if reset and reset.isdigit():
            wait = max(1.0, float(reset) - datetime.now().timestamp())
        return PublishError("retryable", "http-429", "rate limited", wait)
    return http_error(result, detail, creates=True)
