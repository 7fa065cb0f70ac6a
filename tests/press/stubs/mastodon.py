"""Mastodon REST API stand-in: posting statuses, the account, its statuses and their source.

Written from docs.joinmastodon.org and the Mastodon issue tracker:

* ``POST /api/v1/statuses`` (form: ``status``, ``visibility``, ``language``; ``Authorization: Bearer``;
  methods/statuses): the Status entity (``id``, ``created_at`` like ``2024-09-02T02:30:00.000Z``,
  ``content`` as HTML, ``url``, ``account``). A blank or too long status →
  ``422 {"error": "Validation failed: ..."}``; rate limited → ``429`` with ``X-RateLimit-Reset``.
* ``Idempotency-Key``: "prevent duplicate submissions of the same status ... Idempotency keys are
  stored for up to 1 hour": within the hour the same key returns the first status; after it, the key
  is forgotten and the same request makes a new status. The key is stored only once its status is
  written (mastodon/mastodon#21840).
* ``GET /api/v1/accounts/verify_credentials`` → the token's Account (``id``, ``acct``).
* ``GET /api/v1/accounts/:id/statuses`` (``limit`` up to 40, ``exclude_reblogs``) → newest first.
* ``GET /api/v1/statuses/:id/source`` → ``{"id", "text", "spoiler_text"}``: the plain text as posted
  (Mastodon 3.5+), where ``content`` is rendered HTML.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

from tests.press.stubs import Platforms, Reject, Request, Result, bearer, json_body

KEY_LIFETIME = timedelta(hours=1)
ACCOUNT = {"id": "109", "username": "taipei", "acct": "taipei", "display_name": "臺北市政府"}


def route(state: Platforms, request: Request) -> Result | None:
    if not request.path.startswith("/api/v1/"):
        return None
    bearer(request, state, "mastodon", {"error": "The access token is invalid"})
    if request.path == "/api/v1/statuses" and request.method == "POST":
        return _create(state, request)
    if request.path == "/api/v1/accounts/verify_credentials":
        return 200, ACCOUNT, {}
    if request.path == f"/api/v1/accounts/{ACCOUNT['id']}/statuses":
        limit = min(int(request.query.get("limit") or 20), 40)
        return 200, [_public(s) for s in _statuses(state)[:limit]], {}
    m = re.fullmatch(r"/api/v1/statuses/(\w+)/source", request.path)
    if m:
        found = next((s for s in _statuses(state) if s["id"] == m.group(1)), None)
        if found is None:
            raise Reject(404, {"error": "Record not found"})
        return 200, {"id": found["id"], "text": found["source"], "spoiler_text": ""}, {}
    raise Reject(404, {"error": "Record not found"})


def _statuses(state: Platforms) -> list[dict[str, Any]]:
    return state.mastodon.setdefault("statuses", [])


def _create(state: Platforms, request: Request) -> Result:
    form = json_body(request)
    text = str(form.get("status") or "")
    if not text.strip():
        raise Reject(422, {"error": "Validation failed: Text can't be blank"})
    if len(text) > 500:
        raise Reject(422, {"error": "Validation failed: Text character limit of 500 exceeded"})
    key = request.headers.get("Idempotency-Key")
    keys = state.mastodon.setdefault("keys", {})
    if key and key in keys and state.clock() - keys[key]["at"] < KEY_LIFETIME:
        return 200, _public(keys[key]["status"]), {}
    state.injected("mastodon:statuses", request.pending)
    sid = str(110_000_000_000_000_000 + int(state.next_id()))
    status = {"id": sid, "source": text, "created_at": state.clock(),
              "url": f"https://mastodon.example/@taipei/{sid}"}
    _statuses(state).insert(0, status)
    state.published("mastodon", text)
    if key:
        keys[key] = {"at": state.clock(), "status": status}  # after the write (mastodon#21840)
    return 200, _public(status), {}


def _public(status: dict[str, Any]) -> dict[str, Any]:
    content = "".join(f"<p>{html.escape(p)}</p>" for p in status["source"].split("\n\n"))
    return {"id": status["id"], "created_at": status["created_at"].strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "content": content.replace("\n", "<br />"), "url": status["url"], "visibility": "public",
            "account": ACCOUNT, "reblog": None}
