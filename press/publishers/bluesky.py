"""Bluesky (atproto): ``com.atproto.server.createSession`` with the handle and an app password, then
``com.atproto.repo.createRecord`` of an ``app.bsky.feed.post`` (text, createdAt, langs, link facets)
into the account's repo. The record key is derived from the post, so a retry after a crash is
refused as a duplicate instead of posting twice. 300 characters."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from press.publishers.base import Limits, Outgoing, Progress, Published, PublishError, Validating
from press.publishers.http import call, http_error

LIMITS = Limits(text_max=300)
TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"


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

    def __init__(self, base_url: str, handle: str, password: str) -> None:
        self.base, self.handle, self.password = base_url.rstrip("/"), handle, password

    def publish(self, post: Outgoing, progress: Progress) -> Published:
        session = call(
            "POST",
            f"{self.base}/xrpc/com.atproto.server.createSession",
            json_body={"identifier": self.handle, "password": self.password},
        )
        if session.status != 200:
            raise (
                PublishError("reconnect", f"http-{session.status}", "createSession refused the app password")
                if session.status == 401
                else http_error(session)
            )
        auth = session.json()
        created = post.state.get("created_at") or datetime.now(UTC).isoformat().replace("+00:00", "Z")
        rkey = post.state.get("rkey") or tid(int(datetime.now(UTC).timestamp() * 1e6), post.post_id)
        progress({"created_at": created, "rkey": rkey})
        record = {
            "$type": "app.bsky.feed.post",
            "text": post.text,
            "createdAt": created,
            "langs": ["zh-Hant"],
        }
        if facets := link_facets(post.text):
            record["facets"] = facets
        result = call(
            "POST",
            f"{self.base}/xrpc/com.atproto.repo.createRecord",
            json_body={
                "repo": auth["did"],
                "collection": "app.bsky.feed.post",
                "rkey": rkey,
                "record": record,
            },
            headers={"Authorization": f"Bearer {auth['accessJwt']}"},
        )
        body = result.json()
        if result.status == 200:
            return Published(str(body["uri"]), _web_url(self.handle, rkey))
        if isinstance(body, dict) and "already exists" in str(body.get("message", "")).lower():
            return Published(f"at://{auth['did']}/app.bsky.feed.post/{rkey}", _web_url(self.handle, rkey))
        raise http_error(result, str(body.get("message", "")) if isinstance(body, dict) else "")


def _web_url(handle: str, rkey: str) -> str:
    return f"https://bsky.app/profile/{handle}/post/{rkey}"
