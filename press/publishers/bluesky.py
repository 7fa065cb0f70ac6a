"""Bluesky (atproto): ``com.atproto.server.createSession`` with the handle and an app password, then
``com.atproto.repo.createRecord`` of an ``app.bsky.feed.post`` (text, createdAt, langs, link facets)
into the account's repo, under a record key (a TID) chosen by newsdesk and stored before the call.

A reused record key does not get a clean "already exists" answer from a real PDS: it gets HTTP 500
``InternalServerError`` (bluesky-social/atproto#3718, bluesky-social/indigo#873; an explicit error is
only proposed in atproto#4728). So a 500 is never read as "duplicate" nor retried blindly: the post is
looked up with ``com.atproto.repo.getRecord`` (found → published; ``RecordNotFound`` → not, safe to
create). A retry of a post whose earlier try has an unknown outcome asks ``getRecord`` first too.

The session (``accessJwt``) is kept in memory for this process and never stored; createSession is
rate limited (30 per 5 minutes per account). Why not the ``atproto`` SDK: the record key and the
500-then-getRecord rule are the whole of this module, the SDK hides neither better, and its httpx
transport is outside the outbound policy.
"""

from __future__ import annotations

import re
from datetime import UTC
from typing import Any

from pipeline.redact import register
from press.publishers.base import (
    UNKNOWN,
    Confirmation,
    Limits,
    Outgoing,
    Progress,
    Published,
    PublishError,
    Validating,
)
from press.publishers.http import Api, HttpResult, http_error
from press.publishers.meta import same_text

LIMITS = Limits(text_max=300)
TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
COLLECTION = "app.bsky.feed.post"


def tid(micros: int, clock: int) -> str:
    """An atproto TID (13 base32-sortable characters) from a timestamp and a clock id."""
    value = ((micros & ((1 << 53) - 1)) << 10) | (clock & 1023)
    out = []
    for _ in range(13):
        out.append(TID_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(out))


def link_facets(text: str) -> list[dict[str, Any]]:
    """Link facets with UTF-8 byte offsets, as the app.bsky.richtext.facet lexicon requires."""
    facets = []
    for m in re.finditer(r"https?://\S+", text):
        start = len(text[: m.start()].encode("utf-8"))
        end = start + len(m.group(0).encode("utf-8"))
        facets.append(
            {
                "index": {"byteStart": start, "byteEnd": end},
                "features": [{"$type": "app.bsky.richtext.facet#link", "uri": m.group(0)}],
            }
        )
    return facets


class BlueskyPublisher(Validating):
    name = "bluesky"
    limits = LIMITS

    def __init__(self, api: Api, handle: str, password: str) -> None:
        self.api, self.handle, self.password = api, handle, password
        self._session: dict[str, Any] | None = None

    # --- session --------------------------------------------------------------------------------

    def _auth(self, fresh: bool = False) -> dict[str, Any]:
        if self._session is None or fresh:
            result = self.api.call("POST", self.api.url("xrpc/com.atproto.server.createSession"),
                                   json_body={"identifier": self.handle, "password": self.password})
            if result.status != 200:
                raise (PublishError("reconnect", f"http-{result.status}", "createSession refused the app password")
                       if result.status == 401 else http_error(result, _message(result)))
            session = result.json()
            register(session.get("accessJwt"), session.get("refreshJwt"))  # never in a log or error
            self._session = session
        return self._session

    # --- publishing -----------------------------------------------------------------------------

    def publish(self, post: Outgoing, progress: Progress) -> Published:
        auth = self._auth()
        rkey, created = post.state.get("rkey"), post.state.get("created_at")
        if rkey:  # an earlier try used this key: is the post already there?
            found = self._lookup(auth["did"], rkey, post)
            if isinstance(found, Published):
                return found
        else:
            rkey = tid(int(post.clock().timestamp() * 1e6), post.post_id)
            created = post.clock().astimezone(UTC).isoformat().replace("+00:00", "Z")
            progress({"rkey": rkey, "created_at": created})
        result = self._create(auth, rkey, post, str(created))
        if result.status == 400 and _error_name(result) in ("ExpiredToken", "InvalidToken"):
            result = self._create(self._auth(fresh=True), rkey, post, str(created))
        if result.status == 200:
            return Published(str(result.json().get("uri")), _web_url(self.handle, rkey))
        if result.status >= 500:
            # a reused rkey answers 500 on a real PDS: ask for the record before anything else
            try:
                found = self._lookup(auth["did"], rkey, post)
            except PublishError:
                found = UNKNOWN
            if isinstance(found, Published):
                return found
            raise http_error(result, _message(result), creates=found is UNKNOWN)
        raise http_error(result, _message(result), creates=True)

    def _create(self, auth: dict[str, Any], rkey: str, post: Outgoing, created: str) -> HttpResult:
        record: dict[str, Any] = {"$type": COLLECTION, "text": post.text, "createdAt": created, "langs": ["zh-Hant"]}
        if facets := link_facets(post.text):
            record["facets"] = facets
        return self.api.call(
            "POST", self.api.url("xrpc/com.atproto.repo.createRecord"),
            json_body={"repo": auth["did"], "collection": COLLECTION, "rkey": rkey, "record": record},
            headers={"Authorization": f"Bearer {auth['accessJwt']}"}, creates=True)

    def confirm(self, post: Outgoing) -> Confirmation:
        rkey = post.state.get("rkey")
        if not rkey:
            return None  # no key was stored, so no record was created
        return self._lookup(self._auth()["did"], rkey, post)

    def _lookup(self, did: str, rkey: str, post: Outgoing) -> Confirmation:
        """``getRecord``: ours → Published; not there → None; someone else's record → UNKNOWN."""
        result = self.api.call("GET", self.api.url("xrpc/com.atproto.repo.getRecord"),
                               params={"repo": did, "collection": COLLECTION, "rkey": rkey})
        if result.status == 200:
            value = result.json().get("value") or {}
            if same_text(str(value.get("text", "")), post.text):
                return Published(str(result.json().get("uri")), _web_url(self.handle, rkey))
            return UNKNOWN
        if result.status in (400, 404) and (_error_name(result) == "RecordNotFound"
                                            or _message(result).startswith("Could not locate record")):
            return None
        raise http_error(result, _message(result))


def _error_name(result: HttpResult) -> str:
    body = result.json()
    return str(body.get("error", "")) if isinstance(body, dict) else ""


def _message(result: HttpResult) -> str:
    body = result.json()
    return str(body.get("message", "")) if isinstance(body, dict) else ""


def _web_url(handle: str, rkey: str) -> str:
    return f"https://bsky.app/profile/{handle}/post/{rkey}"
