"""YouTube Data API v3 resumable upload: ``POST /upload/youtube/v3/videos?uploadType=resumable&
part=snippet,status`` with the video resource as JSON and ``X-Upload-Content-Length`` /
``X-Upload-Content-Type``; the session URL comes back in ``Location`` and the file is ``PUT`` there.
The session URL is stored first: after a restart newsdesk asks it how far the upload got
(``Content-Range: bytes */SIZE``) and finishes that upload instead of starting a second video."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from press.publishers.base import Limits, Outgoing, Progress, Published, PublishError, check_limits
from press.publishers.http import HttpResult, call, http_error

LIMITS = Limits(
    text_max=5_000,
    media_min=1,
    media_max=1,
    media_types=("video/mp4", "video/quicktime", "video/x-msvideo", "video/webm", "video/mpeg"),
    media_bytes=256 * 1024**3,
)
TITLE_MAX = 100


class YouTubePublisher:
    name = "youtube"
    idempotent = True
    daily_limit: int | None = 6  # 10,000 quota units a day, an upload costs 1,600

    def __init__(self, base_url: str, token: str, privacy: str = "public", category: str = "25") -> None:
        self.base, self.token, self.privacy, self.category = base_url.rstrip("/"), token, privacy, category

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

    def publish(self, post: Outgoing, progress: Progress) -> Published:
        path = Path(post.media[0]["path"])
        data = path.read_bytes()
        ctype = post.media[0].get("type") or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        session = post.state.get("upload_url")
        if session:
            done = self._status(session, len(data))
            if done:
                return done
        else:
            session = self._start(post, len(data), ctype)
            progress({"upload_url": session})
        result = call(
            "PUT",
            session,
            data=data,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": ctype},
            timeout=600,
        )
        return self._finished(result, session, progress)

    def _start(self, post: Outgoing, size: int, ctype: str) -> str:
        title = post.title or post.text.split("\n", 1)[0]
        resource = {
            "snippet": {
                "title": title[:TITLE_MAX],
                "description": post.text,
                "categoryId": self.category,
                "defaultLanguage": "zh-Hant",
            },
            "status": {"privacyStatus": self.privacy, "selfDeclaredMadeForKids": False},
        }
        result = call(
            "POST",
            f"{self.base}/upload/youtube/v3/videos",
            params={"uploadType": "resumable", "part": "snippet,status"},
            json_body=resource,
            headers={
                "Authorization": f"Bearer {self.token}",
                "X-Upload-Content-Length": str(size),
                "X-Upload-Content-Type": ctype,
            },
        )
        location = result.headers.get("Location") if result.headers else None
        if result.status != 200 or not location:
            raise _youtube_error(result)
        return location

    def _status(self, session: str, size: int) -> Published | None:
        result = call(
            "PUT",
            session,
            data=b"",
            headers={"Authorization": f"Bearer {self.token}", "Content-Range": f"bytes */{size}"},
        )
        if result.status in (200, 201):
            return Published(
                str(result.json()["id"]), f"https://www.youtube.com/watch?v={result.json()['id']}"
            )
        if result.status == 308:
            return None
        if result.status == 404:  # the session expired: nothing was published
            raise PublishError(
                "retryable", "upload-session-expired", "the upload session expired; starting over"
            )
        raise _youtube_error(result)

    def _finished(self, result: HttpResult, session: str, progress: Progress) -> Published:
        if result.status in (200, 201):
            video = str(result.json()["id"])
            return Published(video, f"https://www.youtube.com/watch?v={video}")
        if result.status == 404:
            progress({"upload_url": None})
        raise _youtube_error(result)


def _youtube_error(result: HttpResult) -> PublishError:
    body = result.json()
    err = body.get("error", {}) if isinstance(body, dict) else {}
    reasons = [e.get("reason") for e in err.get("errors", [])] if isinstance(err, dict) else []
    if "quotaExceeded" in reasons or "uploadLimitExceeded" in reasons:
        return PublishError("retryable", f"youtube-{reasons[0]}", str(err.get("message", "")))
    return http_error(result, str(err.get("message", "")) if isinstance(err, dict) else "")
