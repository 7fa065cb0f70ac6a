"""YouTube Data API v3 resumable upload (developers.google.com/youtube/v3/guides/using_resumable_upload_protocol).

1. ``POST /upload/youtube/v3/videos?uploadType=resumable&part=snippet,status`` with the video resource
   as JSON and ``X-Upload-Content-Length`` / ``X-Upload-Content-Type``: the session URL comes back in
   ``Location``. It is stored (``progress``) before any byte is sent.
2. The file goes up in chunks (multiples of 256 KiB), each ``PUT`` with ``Content-Range:
   bytes FIRST-LAST/SIZE``, read from disk as it is sent (a video may be up to 256 GiB; it is never
   read whole). ``308 Resume Incomplete`` answers how much arrived in ``Range: bytes=0-LAST`` (no
   ``Range``: nothing yet); the next chunk starts there, not where newsdesk hoped.
3. After an interruption (a restart, a 5xx, a dropped connection) an empty ``PUT`` with
   ``Content-Range: bytes */SIZE`` asks the session how far it got: 200/201 → the video exists
   (done, never a second one); 308 → resume from ``Range``.
4. ``404 Not Found`` / ``410 Gone``: the session expired (Google keeps it about a week). Nothing was
   published if the last byte never went out, so the stored session is dropped and a new one
   started. If the last byte did go out and the answer was lost, the video may exist: the post is
   held for a person (:meth:`YouTubePublisher.confirm` answers UNKNOWN).

Why not google-api-python-client's ``MediaFileUpload(resumable=True)``: its ``next_chunk`` follows
the same protocol but keeps the session URI in memory and, on a 404, raises with that URI kept,
so every retry hits the same 404 (the bug this module had); its transport (httplib2) is outside
newsdesk's outbound policy; and what a restart needs (the stored session URL) is not its API.
"""

from __future__ import annotations

import mimetypes
import os
import re
from collections.abc import Iterator
from pathlib import Path

from press.publishers.base import (
    UNKNOWN,
    Confirmation,
    Limits,
    Outgoing,
    Progress,
    Published,
    PublishError,
    check_limits,
    stamp,
)
from press.publishers.http import Api, HttpResult, http_error, retry_after

LIMITS = Limits(
    text_max=5_000,
    media_min=1,
    media_max=1,
    media_types=("video/mp4", "video/quicktime", "video/x-msvideo", "video/webm", "video/mpeg"),
    media_bytes=256 * 1024**3,
)
TITLE_MAX = 100
QUANTUM = 256 * 1024  # chunk sizes must be multiples of this (all chunks but the last)
CHUNK = 32 * QUANTUM  # 8 MiB
GONE = (404, 410)


class FileSlice:
    """Bytes ``start``..``start+length`` of a file, read as they are sent (requests streams it)."""

    def __init__(self, path: Path, start: int, length: int, block: int = 64 * 1024) -> None:
        self.path, self.start, self.length, self.block = path, start, length, block

    def __len__(self) -> int:
        return self.length

    def __iter__(self) -> Iterator[bytes]:
        with self.path.open("rb") as fh:
            fh.seek(self.start)
            left = self.length
            while left > 0:
                data = fh.read(min(self.block, left))
                if not data:
                    raise OSError(f"{self.path} shrank while it was being uploaded")
                left -= len(data)
                yield data


class YouTubePublisher:
    name = "youtube"
    idempotent = True
    daily_limit: int | None = 6  # 10,000 quota units a day, an upload costs 1,600

    def __init__(self, api: Api, token: str, privacy: str = "public", category: str = "25",
                 chunk: int = CHUNK) -> None:
        if chunk % QUANTUM:
            raise ValueError(f"chunk size must be a multiple of {QUANTUM} bytes")
        self.api, self.token, self.privacy, self.category, self.chunk = api, token, privacy, category, chunk

    def validate(self, post: Outgoing) -> list[str]:
        problems = check_limits(self.name, LIMITS, post)
        title = post.title or post.text.split("\n", 1)[0]
        if len(title) > TITLE_MAX:
            problems.append(f"youtube: title is {len(title)} characters, the limit is {TITLE_MAX}")
        if any(c in title + post.text for c in "<>"):
            problems.append("youtube: title and description may not contain < or >")
        if len(post.text.encode("utf-8")) > 5_000:
            problems.append("youtube: description is over 5,000 bytes")
        for item in post.media:
            if item.get("path") and not Path(item["path"]).is_file():
                problems.append(f"youtube: {item['path']} does not exist")
        return problems

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    # --- publishing -------------------------------------------------------------------------------

    def publish(self, post: Outgoing, progress: Progress) -> Published:
        path = Path(post.media[0]["path"])
        size = os.path.getsize(path)
        ctype = post.media[0].get("type") or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        session, offset = post.state.get("upload_url"), 0
        if session and post.state.get("upload_size") == size:
            found = self._ask(session, size)
            if isinstance(found, Published):
                return found
            if found is None:  # the session is gone
                if post.state.get("sent_all"):
                    raise PublishError("unknown", "upload-session-gone",
                                       "the upload session expired after its last byte was sent; "
                                       "the video may exist")
                session = None
            else:
                offset = found
        if not session:
            session = self._start(post, size, ctype)
            progress({"upload_url": session, "upload_size": size, "sent_all": False, "started_at": stamp(post)})
        return self._send(session, path, size, ctype, offset, progress)

    def _send(self, session: str, path: Path, size: int, ctype: str, offset: int, progress: Progress) -> Published:
        while True:
            end = min(offset + self.chunk, size) - 1
            if end == size - 1:
                progress({"sent_all": True})  # from here on the video may exist even without an answer
            result = self.api.call("PUT", session, data=FileSlice(path, offset, end - offset + 1), headers={
                **self._auth(), "Content-Type": ctype, "Content-Length": str(end - offset + 1),
                "Content-Range": f"bytes {offset}-{end}/{size}"}, timeout=600)
            if result.status in (200, 201):
                return _video(result)
            if result.status == 308:
                offset = _received(result)
                continue
            if result.status in GONE:
                progress({"upload_url": None, "sent_all": False})
                raise PublishError("retryable", f"http-{result.status}",
                                   "the upload session expired mid-upload; a new one starts on the next try")
            raise _youtube_error(result)

    def _start(self, post: Outgoing, size: int, ctype: str) -> str:
        title = post.title or post.text.split("\n", 1)[0]
        resource = {
            "snippet": {"title": title[:TITLE_MAX], "description": post.text, "categoryId": self.category,
                        "defaultLanguage": "zh-Hant"},
            "status": {"privacyStatus": self.privacy, "selfDeclaredMadeForKids": False},
        }
        result = self.api.call(
            "POST", self.api.url("upload/youtube/v3/videos"),
            params={"uploadType": "resumable", "part": "snippet,status"}, json_body=resource,
            headers={**self._auth(), "X-Upload-Content-Length": str(size), "X-Upload-Content-Type": ctype})
        location = result.headers.get("Location")
        if result.status != 200 or not location:
            raise _youtube_error(result)
        if not self.api.allows(location):  # the token would follow the session URL there
            raise PublishError("permanent", "refused-host", "the upload session URL is on another host")
        return location

    def _ask(self, session: str, size: int) -> Published | int | None:
        """The session's state: the video (done), the offset to resume from, or None (gone)."""
        result = self.api.call("PUT", session, data=b"",
                               headers={**self._auth(), "Content-Range": f"bytes */{size}"})
        if result.status in (200, 201):
            return _video(result)
        if result.status == 308:
            return _received(result)
        if result.status in GONE:
            return None
        raise _youtube_error(result)

    def confirm(self, post: Outgoing) -> Confirmation:
        session, size = post.state.get("upload_url"), post.state.get("upload_size")
        if not session or size is None:
            return None  # no session, no video
        found = self._ask(session, int(size))
        if isinstance(found, Published):
            return found
        if found is None:
            return UNKNOWN if post.state.get("sent_all") else None
        return None  # incomplete: resuming the same session cannot make a second video


def _received(result: HttpResult) -> int:
    """The next offset from a 308's ``Range: bytes=0-LAST`` (no header: nothing received)."""
    m = re.fullmatch(r"bytes=0-(\d+)", str(result.headers.get("Range") or "").strip())
    return int(m.group(1)) + 1 if m else 0


def _video(result: HttpResult) -> Published:
    video = str(result.json().get("id") or "")
    if not video:
        raise PublishError("unknown", "bad-response", "the upload finished without a video id")
    return Published(video, f"https://www.youtube.com/watch?v={video}")


def _youtube_error(result: HttpResult) -> PublishError:
    body = result.json()
    err = body.get("error", {}) if isinstance(body, dict) else {}
    reasons = [e.get("reason") for e in err.get("errors", [])] if isinstance(err, dict) else []
    if "quotaExceeded" in reasons or "uploadLimitExceeded" in reasons:
        return PublishError("retryable", f"youtube-{reasons[0]}", str(err.get("message", "")), retry_after(result))
    # a 5xx while uploading is resumed from the session (which says what arrived): retryable
    return http_error(result, str(err.get("message", "")) if isinstance(err, dict) else "")
