"""X API v2 stand-in: posts, the authenticated user, and the user's posts.

Written from the X API v2 reference and issue trackers:

* ``POST /2/tweets`` with ``Authorization: Bearer`` (OAuth 2.0 user token) and JSON ``{"text"}`` →
  ``201 {"data": {"id", "text", "edit_history_tweet_ids"}}``. No retry key.
* A text identical to one of the account's recent posts is refused:
  ``403 {"detail": "You are not allowed to create a Tweet with duplicate content.", "type":
  "about:blank", "title": "Forbidden", "status": 403}`` (akrherz/iembot#163, sferik/x-ruby#24); the
  answer does not say which post it matched (plhery/node-twitter-api-v2#469), and the check is not a
  promise: resends after timeouts have made duplicates (cezarsa/silver_bird#204).
* Rate limits: ``429`` with ``x-rate-limit-reset`` (epoch seconds).
* ``GET /2/users/me`` → ``{"data": {"id", "name", "username"}}``.
* ``GET /2/users/{id}/tweets`` (``start_time``, ``max_results`` 5-100, ``tweet.fields``) → newest first,
  with each text as X stores it: links shortened to ``https://t.co/...`` and ``&``, ``<``, ``>`` as HTML
  entities. Reading is not on every access tier (the free tier cannot read an account's posts:
  node-twitter-api-v2#469): ``state.x["read"] = False`` answers
  ``403 {"title": "Client Forbidden", "reason": "client-not-enrolled"}``.
* Weighted length 280 (twitter-text: CJK counts 2, a URL 23).
"""

from __future__ import annotations

import html
import re
from datetime import datetime

from tests.press.stubs import Platforms, Reject, Request, Result, bearer, json_body

_URL = re.compile(r"https?://\S+")
UNAUTHORIZED = {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}


def route(state: Platforms, request: Request) -> Result | None:
    if not request.path.startswith("/2/"):
        return None
    bearer(request, state, "x", UNAUTHORIZED)
    if request.path == "/2/tweets" and request.method == "POST":
        return _create(state, request)
    if request.path == "/2/users/me" and request.method == "GET":
        return 200, {"data": {"id": "2244994945", "name": "臺北市政府", "username": "taipei"}}, {}
    m = re.fullmatch(r"/2/users/(\d+)/tweets", request.path)
    if m and request.method == "GET":
        return _timeline(state, request)
    raise Reject(404, {"title": "Not Found Error", "status": 404})


def _weight(text: str) -> int:
    from press.publishers.base import x_weighted_length  # twitter-text's documented weights, shared

    return x_weighted_length(text)


def _create(state: Platforms, request: Request) -> Result:
    text = json_body(request).get("text")
    if not text:
        raise Reject(400, {"title": "Invalid Request", "detail": "One or more parameters to your request was invalid."})
    if _weight(text) > 280:
        raise Reject(403, {"title": "Forbidden", "detail": "Your Tweet text is too long.", "status": 403})
    posts = state.x.setdefault("posts", [])
    if any(p["source"] == text for p in posts):
        raise Reject(403, {"detail": "You are not allowed to create a Tweet with duplicate content.",
                           "type": "about:blank", "title": "Forbidden", "status": 403})
    state.injected("x:tweets", request.pending)
    tid = str(1_830_000_000_000_000_000 + int(state.next_id()))
    posts.insert(0, {"id": tid, "source": text, "created_at": state.clock()})
    state.published("x", text)
    return 201, {"data": {"id": tid, "text": text, "edit_history_tweet_ids": [tid]}}, {}


def _stored(text: str, n: int) -> str:
    """The text as X gives it back: links to t.co, entities escaped."""
    return html.escape(_URL.sub(lambda m: f"https://t.co/a{n}b", text), quote=False)


def _timeline(state: Platforms, request: Request) -> Result:
    if state.x.get("read") is False:
        raise Reject(403, {"title": "Client Forbidden", "type": "https://api.twitter.com/2/problems/client-forbidden",
                           "reason": "client-not-enrolled", "detail": "When authenticating requests to the Twitter "
                           "API v2 endpoints, you must use keys and tokens from a Twitter developer App that is "
                           "attached to a Project."})
    state.injected("x:timeline", request.pending)
    start = request.query.get("start_time")
    since = datetime.fromisoformat(start.replace("Z", "+00:00")) if start else None
    limit = int(request.query.get("max_results") or 10)
    rows = [p for p in state.x.get("posts", []) if since is None or p["created_at"] >= since][:limit]
    data = [{"id": p["id"], "text": _stored(p["source"], i), "created_at": p["created_at"].strftime(
        "%Y-%m-%dT%H:%M:%S.000Z")} for i, p in enumerate(rows)]
    return 200, {"data": data, "meta": {"result_count": len(data)}} if data else {"meta": {"result_count": 0}}, {}
