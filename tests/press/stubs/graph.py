"""Meta Graph API stand-in: Facebook Page posts, Instagram and Threads content publishing.

Written from:

* Pages API, "Posts" (developers.facebook.com/docs/pages/publishing): ``POST /{page-id}/feed`` with
  ``message`` and/or ``link`` → ``{"id": "{page-id}_{post-id}"}``; ``POST /{page-id}/photos`` with
  ``url`` and ``caption`` → ``{"id", "post_id"}``; the Page's own posts at ``GET /{page-id}/posts``
  (``fields``, ``since`` as a UNIX time, ``limit``), newest first, ``created_time`` like
  ``2024-09-02T02:30:00+0000``. No retry key: every accepted call is a new post.
* Access tokens: the ``access_token`` parameter, or the ``Authorization`` header (``Bearer`` or
  ``OAuth``), which the Graph API accepts too (restfb/restfb#1107, huandu/facebook#205). Missing →
  error 104; expired → 190 subcode 463; invalid → 190.
* Error handling guide (graph-api/guides/error-handling): errors as ``{"error": {"message", "type",
  "code", "error_subcode", "fbtrace_id", "is_transient"}}``; code 1 "An unknown error occurred" and
  2 "Service temporarily unavailable" are transient and can come after the action took effect
  (inject :class:`~tests.press.stubs.Answer` / :class:`~tests.press.stubs.Drop` after it); rate
  limits are codes 4, 17, 32, 613 on HTTP 400/403, not 429.
* Instagram content publishing (instagram-platform/content-publishing): ``POST /{ig-user-id}/media``
  (``image_url``, or ``video_url`` with ``media_type=REELS``; ``caption``) makes a container;
  ``GET /{container-id}?fields=status_code`` → IN_PROGRESS, FINISHED, PUBLISHED, ERROR, EXPIRED
  (containers expire after 24 hours unpublished); ``POST /{ig-user-id}/media_publish`` with
  ``creation_id``; publishing too early → code 9007 subcode 2207027 "Media ID is not available";
  media must be at a public URL (subcode 2207052 otherwise); the account's media at
  ``GET /{ig-user-id}/media`` (``caption``, ``timestamp``). A container is published once; publishing
  it again is refused, not a second post.
* Threads API (developers.facebook.com/docs/threads/posts): ``POST /{threads-user-id}/threads``
  (``media_type`` TEXT/IMAGE/VIDEO/CAROUSEL, ``text`` up to 500 characters, ``image_url``) →
  container; ``GET /{container}?fields=status`` (same states); ``POST /{threads-user-id}/
  threads_publish`` with ``creation_id``; the profile's threads at ``GET /{threads-user-id}/threads``.
  The Threads API is versioned ``v1.0`` on graph.threads.net.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from tests.press.stubs import Platforms, Reject, Request, Result, graph_error

EXPIRY = timedelta(hours=24)


def route(state: Platforms, request: Request) -> Result | None:
    m = re.fullmatch(r"/(v\d+\.\d+)/([^/]+)(?:/(\w+))?", request.path)
    if not m:
        return None
    version, node, edge = m.groups()
    threads = version == "v1.0"
    values = request.query if request.method == "GET" else {**request.query, **_form(request)}
    platform = "threads" if threads else "graph"
    _token(request, values, state, platform)
    key = f"{platform}:{edge or 'node'}"
    if request.method == "GET":
        state.injected(key, request.pending)
        return _read(state, node, edge, values, threads)
    if request.method != "POST":
        raise graph_error(100, "Unsupported method")
    return _write(state, request, key, node, edge, values, threads)


def _form(request: Request) -> dict[str, Any]:
    if not isinstance(request.body, dict):
        raise graph_error(100, "form-encoded parameters expected")
    return request.body


def _token(request: Request, values: dict[str, Any], state: Platforms, platform: str) -> None:
    header = request.headers.get("Authorization") or ""
    m = re.fullmatch(r"(?:Bearer|OAuth) (\S+)", header)
    token = m.group(1) if m else values.get("access_token")
    if not token:
        raise graph_error(104, "An access token is required to request this resource.")
    if not state.accepts(platform, token):
        raise graph_error(190, "Error validating access token: Session has expired", 463)


def _store(state: Platforms) -> dict[str, Any]:
    return state.graph.setdefault("data", {"containers": {}, "posts": []})


def _time(state: Platforms) -> str:
    return state.clock().strftime("%Y-%m-%dT%H:%M:%S+0000")


def _write(state: Platforms, request: Request, key: str, node: str, edge: str | None, values: dict[str, Any],
           threads: bool) -> Result:
    data = _store(state)
    if edge in ("feed", "photos"):
        if edge == "feed" and not (values.get("message") or values.get("link")):
            raise graph_error(100, "(#100) The parameter message or link is required")
        if edge == "photos" and not values.get("url"):
            raise graph_error(100, "(#100) The parameter url is required")
        state.injected(key, request.pending)
        post_id = f"{node}_{state.next_id()}"
        text = values.get("message") or values.get("caption") or ""
        data["posts"].insert(0, {"id": post_id, "owner": node, "edge": "posts", "message": text,
                                 "created_time": _time(state),
                                 "permalink_url": f"https://www.facebook.com/{post_id}"})
        state.published("facebook", text)
        if edge == "photos":
            return 200, {"id": post_id.split("_")[1], "post_id": post_id}, {}
        return 200, {"id": post_id}, {}
    if edge in ("media", "threads"):
        _check_container(values, threads)
        state.injected(key, request.pending)
        cid = state.next_id()
        data["containers"][cid] = {"status": "IN_PROGRESS", "polls": 0, "owner": node, "threads": threads,
                                   "text": values.get("text") or values.get("caption", ""),
                                   "created": state.clock()}
        return 200, {"id": cid}, {}
    if edge in ("media_publish", "threads_publish"):
        return _publish(state, request, key, node, values, threads)
    raise graph_error(100, f"Unknown path components: /{edge}")


def _check_container(values: dict[str, Any], threads: bool) -> None:
    if threads:
        kind = values.get("media_type")
        if kind not in ("TEXT", "IMAGE", "VIDEO", "CAROUSEL"):
            raise graph_error(100, "The parameter media_type is required (TEXT, IMAGE, VIDEO or CAROUSEL)")
        if kind == "TEXT" and not values.get("text"):
            raise graph_error(100, "The parameter text is required")
        if len(values.get("text", "")) > 500:
            raise graph_error(100, "Param text must be at most 500 characters long.")
        if kind == "IMAGE" and not values.get("image_url"):
            raise graph_error(100, "The parameter image_url is required")
    elif values.get("media_type") == "REELS":
        if not values.get("video_url"):
            raise graph_error(100, "The parameter video_url is required")
    elif not values.get("image_url"):
        raise graph_error(100, "The parameter image_url is required")
    url = values.get("image_url") or values.get("video_url")
    if url and not str(url).startswith(("http://", "https://")):
        raise graph_error(9004, "Only photo or video can be accepted as media type.", 2207052)


def _publish(state: Platforms, request: Request, key: str, node: str, values: dict[str, Any],
             threads: bool) -> Result:
    container = _store(state)["containers"].get(str(values.get("creation_id") or ""))
    if container is None or container["owner"] != node:
        raise graph_error(100, "Param creation_id must be a valid container id")
    _age(state, container)
    if container["status"] == "IN_PROGRESS":
        raise graph_error(9007, "Media ID is not available", 2207027)
    if container["status"] != "FINISHED":
        raise graph_error(100, f"The container is {container['status']} and cannot be published")
    state.injected(key, request.pending)
    container["status"] = "PUBLISHED"
    media = state.next_id()
    platform = "threads" if threads else "instagram"
    _store(state)["posts"].insert(0, {"id": media, "owner": node, "edge": "threads" if threads else "media",
                                      "text": container["text"], "caption": container["text"],
                                      "timestamp": _time(state),
                                      "permalink": f"https://www.{platform}.com/p/{media}"})
    state.published(platform, container["text"])
    return 200, {"id": media}, {}


def _age(state: Platforms, container: dict[str, Any]) -> None:
    if container["status"] in ("IN_PROGRESS", "FINISHED") and state.clock() - container["created"] > EXPIRY:
        container["status"] = "EXPIRED"


def _read(state: Platforms, node: str, edge: str | None, values: dict[str, Any], threads: bool) -> Result:
    data = _store(state)
    if edge is None:
        container = data["containers"].get(node)
        if container is None:
            raise graph_error(100, f"Unsupported get request. Object with ID '{node}' does not exist", 33)
        field = "status" if threads else "status_code"
        if field not in str(values.get("fields", "")):
            return 200, {"id": node}, {}
        _age(state, container)
        if container["status"] == "IN_PROGRESS":
            container["polls"] += 1
            if container["polls"] >= state.polls_before_ready:
                container["status"] = "FINISHED"
        return 200, {field: container["status"], "id": node}, {}
    if edge in ("posts", "media", "threads"):
        since = int(values.get("since") or 0)
        limit = int(values.get("limit") or 25)
        fields = str(values.get("fields") or "id").split(",")
        rows = [p for p in data["posts"] if p["owner"] == node and p["edge"] == edge
                and _epoch(p.get("created_time") or p.get("timestamp")) >= since]
        return 200, {"data": [{k: p[k] for k in fields if k in p} for p in rows[:limit]], "paging": {}}, {}
    raise Reject(400, {"error": {"message": f"Unknown edge {edge}", "code": 100}})


def _epoch(value: str) -> int:
    return int(datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z").timestamp())
