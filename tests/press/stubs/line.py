"""LINE Messaging API stand-in: broadcast and push, with a retry key.

Written from developers.line.biz:

* "Send push message" (reference/messaging-api/#send-push-message): ``POST /v2/bot/message/push`` with
  ``{"to": user id, "messages": [...]}``, the same message rules as broadcast; a ``to`` that is no user
  id of a friend answers 400 ``{"message": "The property, 'to', in the request body is invalid (line:
  -, column: -)"}`` (the answer people report for a wrong id, e.g. teratail.com/questions/339844). A
  user id is ``U`` and 32 hex digits ("Get user IDs"). The retry key works for push as for broadcast
  ("Retry failed API requests" lists push, multicast, narrowcast and broadcast).

* "Send broadcast message" (reference/messaging-api/#send-broadcast-message): ``POST
  /v2/bot/message/broadcast`` with ``Authorization: Bearer {channel access token}`` and
  ``{"messages": [...]}`` (1 to 5 message objects; a text message's ``text`` up to 5,000 characters)
  → ``200 {}`` with ``X-Line-Request-Id``.
* "Retry failed API requests" (docs/messaging-api/retrying-api-request): ``X-Line-Retry-Key`` is a
  UUID (anything else → 400). A 5xx or a timeout may still have delivered the message. A request
  whose key was already accepted is not carried out again: ``409 {"message": "The retry key is already
  accepted", "sentMessages": [...]}`` with ``X-Line-Accepted-Request-Id``. The key is valid for 24
  hours after the first request; after that the same key is a new request (this stub forgets it).
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from tests.press.stubs import Platforms, Reject, Request, Result, bearer, json_body

KEY_LIFETIME = timedelta(hours=24)
USER_ID = re.compile(r"^U[0-9a-f]{32}$")


def route(state: Platforms, request: Request) -> Result | None:
    if request.path not in ("/v2/bot/message/broadcast", "/v2/bot/message/push"):
        return None
    push = request.path.endswith("/push")
    if request.method != "POST":
        raise Reject(405, {"message": "Method Not Allowed"})
    bearer(request, state, "line", {"message": "Authentication failed. Confirm that the access token in the "
                                             "authorization header is valid."})
    key = request.headers.get("X-Line-Retry-Key")
    keys = state.line.setdefault("keys", {})
    if key is not None:
        try:
            uuid.UUID(key)
        except ValueError:
            raise Reject(400, {"message": "The value for the 'X-Line-Retry-Key' header is invalid"}) from None
        accepted = keys.get(key)
        if accepted and state.clock() - accepted["at"] < KEY_LIFETIME:
            return (409, {"message": "The retry key is already accepted", "sentMessages": accepted["sent"]},
                    {"X-Line-Accepted-Request-Id": accepted["request_id"]})
    body = json_body(request)
    to = body.get("to")
    if push and (not isinstance(to, str) or not USER_ID.match(to) or to in state.line.get("blocked", ())):
        raise Reject(400, {"message": "The property, 'to', in the request body is invalid (line: -, column: -)"})
    messages = body.get("messages")
    if not isinstance(messages, list) or not 1 <= len(messages) <= 5 or any(
            not isinstance(m, dict) or m.get("type") != "text" or not m.get("text") for m in messages):
        raise Reject(400, {"message": "The request body has 1 error(s)",
                           "details": [{"message": "must be specified", "property": "messages"}]})
    if any(len(m["text"]) > 5000 for m in messages):
        raise Reject(400, {"message": "The request body has 1 error(s)",
                           "details": [{"message": "Length must be between 0 and 5000",
                                        "property": "messages[0].text"}]})
    state.injected("line:push" if push else "line:broadcast", request.pending)
    request_id = uuid.uuid4().hex
    sent = [{"id": state.next_id(), "quoteToken": uuid.uuid4().hex} for _ in messages]
    if key:
        keys[key] = {"at": state.clock(), "request_id": request_id, "sent": sent}
    for m in messages:
        if push:
            state.line.setdefault("pushed", []).append((to, m["text"]))
        state.published("line-push" if push else "line", m["text"])
    return 200, {}, {"X-Line-Request-Id": request_id}
