"""YouTube Data API v3 resumable upload stand-in.

Written from "Resumable uploads" (developers.google.com/youtube/v3/guides/using_resumable_upload_protocol)
and Google's resumable protocol notes:

* Start: ``POST /upload/youtube/v3/videos?uploadType=resumable&part=...`` with ``Authorization``,
  ``X-Upload-Content-Length``, ``X-Upload-Content-Type`` (``video/*`` or ``application/octet-stream``)
  and the video resource as JSON → ``200`` with the session URL in ``Location``.
* Upload: ``PUT`` to the session URL; one request for the whole file, or chunks with
  ``Content-Range: bytes FIRST-LAST/TOTAL``; chunks other than the last are multiples of 256 KiB.
  The server may keep fewer bytes than were sent: ``308 Resume Incomplete`` with
  ``Range: bytes=0-LAST`` says what it kept (no ``Range``: nothing), and the client continues from
  there (``state.youtube["keep_at_most"]`` makes this stub keep at most that many bytes per request).
  A chunk that does not start where the kept bytes end is refused (400).
* Status: an empty ``PUT`` with ``Content-Range: bytes */TOTAL`` → 308 with ``Range`` while incomplete,
  ``200``/``201`` with the video resource once complete (so a lost final answer is recoverable).
* Expiry: an expired session answers ``404 Not Found`` ("the upload session has expired and the
  upload must be restarted from the beginning"); Google's upload endpoints also answer ``410 Gone``
  for a session that cannot be resumed (googleapis/python-storage#26). ``expire(state, code)``
  expires every open session with that status.
* A 5xx (or a dropped connection) during a chunk: resume after a status check; the chunk may or may
  not have been kept (inject :class:`~tests.press.stubs.Answer` after it to keep it and answer 503).
* The video exists, and counts in ``state.created``, only when its last byte is kept.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from tests.press.stubs import Platforms, Reject, Request, Result, bearer

QUANTUM = 256 * 1024
PATH = "/upload/youtube/v3/videos"


def _error(status: int, message: str, reason: str = "badRequest") -> Reject:
    return Reject(status, {"error": {"code": status, "message": message,
                                     "errors": [{"message": message, "domain": "global", "reason": reason}]}})


def route(state: Platforms, request: Request) -> Result | None:
    if request.path != PATH:
        return None
    bearer(request, state, "youtube", {"error": {"code": 401, "message": "Invalid Credentials",
                                            "errors": [{"reason": "authError"}]}})
    if request.method == "POST":
        return _start(state, request)
    if request.method == "PUT":
        return _put(state, request)
    raise _error(405, "method not allowed")


def _start(state: Platforms, request: Request) -> Result:
    if request.query.get("uploadType") != "resumable" or not request.query.get("part"):
        raise _error(400, "uploadType=resumable and part are required")
    size = request.headers.get("X-Upload-Content-Length")
    kind = request.headers.get("X-Upload-Content-Type", "")
    if not size or not size.isdigit() or not (kind.startswith("video/") or kind == "application/octet-stream"):
        raise _error(400, "X-Upload-Content-Length and X-Upload-Content-Type are required")
    body = request.body if isinstance(request.body, dict) else {}
    title = (body.get("snippet") or {}).get("title") or ""
    if not title or len(title) > 100 or "<" in title or ">" in title:
        raise _error(400, "The request metadata specifies an invalid video title.", "invalidTitle")
    state.injected("youtube:start", request.pending)
    upload_id = uuid.uuid4().hex
    sessions = state.youtube.setdefault("sessions", {})
    sessions[upload_id] = {"size": int(size), "data": bytearray(), "video": None, "meta": body, "gone": None}
    location = f"{request.base}{PATH}?uploadType=resumable&upload_id={upload_id}"
    return 200, None, {"Location": location}


def expire(state: Platforms, status: int = 404) -> None:
    for session in state.youtube.get("sessions", {}).values():
        if session["video"] is None:
            session["gone"] = status


def _put(state: Platforms, request: Request) -> Result:
    session = state.youtube.get("sessions", {}).get(request.query.get("upload_id", ""))
    if session is None:
        raise _error(404, "Not Found", "notFound")
    if session["gone"]:
        raise _error(session["gone"], "The upload session has expired", "notFound")
    size, kept = session["size"], len(session["data"])
    crange = request.headers.get("Content-Range", "")
    if crange.startswith("bytes */"):
        return _status(session)
    state.injected("youtube:put", request.pending)
    raw: bytes = request.raw
    if session["video"] is not None:
        return 200, _resource(session), {}
    first, last = _range(crange, len(raw), size)
    if first != kept:
        raise _error(400, f"Content-Range starts at {first}, but {kept} bytes were received")
    if last + 1 - first != len(raw):
        raise _error(400, "Content-Length does not match Content-Range")
    if last + 1 < size and len(raw) % QUANTUM:
        raise _error(400, "Chunk size must be a multiple of 256 KiB (except the last chunk)")
    limit = state.youtube.get("keep_at_most")
    take = raw if not limit or last + 1 == size and len(raw) <= limit else raw[: (limit // QUANTUM) * QUANTUM]
    session["data"] += take
    state.youtube["bytes_received"] = state.youtube.get("bytes_received", 0) + len(raw)
    if len(session["data"]) == size:
        session["video"] = f"vid{state.next_id()}"
        state.published("youtube", str(session["meta"].get("snippet", {}).get("description", "")))
        return 201, _resource(session), {}
    return _status(session)


def _range(header: str, length: int, size: int) -> tuple[int, int]:
    if not header:  # one PUT with the whole file
        return 0, length - 1
    m = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+|\*)", header.strip())
    if not m or (m.group(3) != "*" and int(m.group(3)) != size):
        raise _error(400, f"Failed to parse Content-Range header: {header!r}")
    return int(m.group(1)), int(m.group(2))


def _status(session: dict[str, Any]) -> Result:
    if session["video"] is not None:
        return 200, _resource(session), {}
    kept = len(session["data"])
    return 308, None, ({"Range": f"bytes=0-{kept - 1}"} if kept else {})


def _resource(session: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "youtube#video", "id": session["video"], "snippet": session["meta"].get("snippet", {}),
            "status": {"uploadStatus": "uploaded", **session["meta"].get("status", {})}}
