"""Bluesky PDS stand-in (atproto XRPC): sessions, createRecord, getRecord.

Written from the atproto lexicons (docs.bsky.app) and the PDS issue trackers:

* ``com.atproto.server.createSession`` (``identifier``, ``password``: an app password) →
  ``{"did", "handle", "accessJwt", "refreshJwt"}``; wrong → ``401 {"error": "AuthenticationRequired",
  "message": "Invalid identifier or password"}``. Calls with an expired access token answer
  ``400 {"error": "ExpiredToken"}`` (``state.bluesky["expire_sessions"] = True`` expires them all).
* ``com.atproto.repo.createRecord`` (``repo``, ``collection``, ``rkey``, ``record``; ``Authorization:
  Bearer accessJwt``): the record must be a valid ``app.bsky.feed.post`` (``text`` up to 300 graphemes,
  ``createdAt``; facets with UTF-8 byte ranges), the rkey a TID → ``{"uri", "cid"}``.
* **A record key that already exists answers HTTP 500** ``{"error": "InternalServerError", "message":
  "Internal Server Error"}`` on a real PDS, not a "duplicate" error (bluesky-social/atproto#3718,
  bluesky-social/indigo#873; an explicit error is only proposed in atproto#4728).
* ``com.atproto.repo.getRecord`` (``repo``, ``collection``, ``rkey``; no auth needed) →
  ``{"uri", "cid", "value"}``; a missing record → ``400 {"error": "RecordNotFound", "message":
  "Could not locate record: at://..."}`` (reference PDS behaviour, see ascorbic/cirrus#189 and
  haileyok/cocoon#110; older PDSes used ``InvalidRequest`` with the same message, atproto#1712).
"""

from __future__ import annotations

import re
from typing import Any

from tests.press.stubs import Platforms, Reject, Request, Result, json_body

DID, HANDLE = "did:plc:taipei", "taipei.example"
TID = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
COLLECTION = "app.bsky.feed.post"


def route(state: Platforms, request: Request) -> Result | None:
    if not request.path.startswith("/xrpc/"):
        return None
    method = request.path.removeprefix("/xrpc/")
    if method == "com.atproto.server.createSession" and request.method == "POST":
        return _session(state, request)
    if method == "com.atproto.repo.createRecord" and request.method == "POST":
        return _create(state, request)
    if method == "com.atproto.repo.getRecord" and request.method == "GET":
        return _get(state, request)
    raise Reject(501, {"error": "MethodNotImplemented", "message": "Method Not Implemented"})


def _session(state: Platforms, request: Request) -> Result:
    body = json_body(request)
    if body.get("identifier") != HANDLE or not state.accepts("bluesky", body.get("password")):
        raise Reject(401, {"error": "AuthenticationRequired", "message": "Invalid identifier or password"})
    n = state.bluesky["sessions"] = state.bluesky.get("sessions", 0) + 1
    state.bluesky.setdefault("live", set()).add(f"jwt-access-{n}")
    return 200, {"did": DID, "handle": HANDLE, "accessJwt": f"jwt-access-{n}", "refreshJwt": f"jwt-refresh-{n}",
                 "active": True}, {}


def _auth(state: Platforms, request: Request) -> None:
    header = request.headers.get("Authorization") or ""
    token = header.removeprefix("Bearer ")
    if token not in state.bluesky.get("live", set()):
        raise Reject(401, {"error": "AuthenticationRequired", "message": "Authentication Required"})
    if state.bluesky.get("expire_sessions"):
        state.bluesky["live"] = set()
        state.bluesky["expire_sessions"] = False
        raise Reject(400, {"error": "ExpiredToken", "message": "Token has expired"})


def _create(state: Platforms, request: Request) -> Result:
    _auth(state, request)
    body = json_body(request)
    record: dict[str, Any] = body.get("record") or {}
    if body.get("repo") != DID or body.get("collection") != COLLECTION:
        raise Reject(400, {"error": "InvalidRequest", "message": "Could not find repo or collection"})
    if record.get("$type") != COLLECTION or not record.get("createdAt") or "text" not in record:
        raise Reject(400, {"error": "InvalidRequest", "message": "Invalid app.bsky.feed.post record"})
    if len(record["text"]) > 300:
        raise Reject(400, {"error": "InvalidRequest",
                           "message": "Invalid app.bsky.feed.post record: Record/text must not be longer than "
                                      "300 graphemes"})
    text = record["text"].encode("utf-8")
    for facet in record.get("facets", []):
        uri = facet["features"][0]["uri"].encode("utf-8")
        if text[facet["index"]["byteStart"]: facet["index"]["byteEnd"]] != uri:
            raise Reject(400, {"error": "InvalidRequest", "message": "facet byte range does not match"})
    rkey = body.get("rkey") or _tid(state)
    if not TID.match(rkey):
        raise Reject(400, {"error": "InvalidRequest", "message": "Invalid record key"})
    records = state.bluesky.setdefault("records", {})
    if rkey in records:  # atproto#3718, indigo#873
        raise Reject(500, {"error": "InternalServerError", "message": "Internal Server Error"})
    state.injected("bluesky:createRecord", request.pending)
    uri = f"at://{DID}/{COLLECTION}/{rkey}"
    records[rkey] = {"uri": uri, "cid": f"bafyrei{state.next_id()}", "value": record}
    state.published("bluesky", record["text"])
    return 200, {"uri": uri, "cid": records[rkey]["cid"], "commit": {"cid": "bafycommit", "rev": rkey}}, {}


def _tid(state: Platforms) -> str:
    return "3l" + state.next_id().rjust(11, "2")[-11:]


def _get(state: Platforms, request: Request) -> Result:
    q = request.query
    if q.get("repo") not in (DID, HANDLE) or q.get("collection") != COLLECTION or not q.get("rkey"):
        raise Reject(400, {"error": "InvalidRequest", "message": "Error: Params must have the properties "
                                                                 "\"repo\", \"collection\" and \"rkey\""})
    state.injected("bluesky:getRecord", request.pending)
    found = state.bluesky.get("records", {}).get(q["rkey"])
    if found is None:
        raise Reject(400, {"error": "RecordNotFound",
                           "message": f"Could not locate record: at://{DID}/{COLLECTION}/{q['rkey']}"})
    return 200, found, {}
