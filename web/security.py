"""Sessions, CSRF tokens, the login rate limit and the response headers (CSP) of the dashboard.

The session is a signed cookie (itsdangerous, through Starlette's SessionMiddleware): HttpOnly,
SameSite=Lax, Secure behind HTTPS (``web.secure_cookies``). It holds the user's id and the CSRF
token, nothing else; the user is loaded (and must still be active) on every request.
"""

from __future__ import annotations

import hmac
import os
import secrets
import threading
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

from pipeline.settings import Settings

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; "
       "frame-src 'self'")


def secret_key(settings: Settings) -> str:
    """``NEWSDESK_SECRET_KEY``, else a key kept in ``web.secret_file`` (made, mode 0600, on first use)."""
    value = settings.secret("NEWSDESK_SECRET_KEY")
    if value is not None:
        return value.get_secret_value()
    path = Path(settings.web.secret_file)
    if path.is_file():
        return path.read_text(encoding="ascii").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key + "\n")
    return key


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return str(token)


def csrf_ok(request: Request, sent: str | None) -> bool:
    expected = request.session.get("csrf")
    return bool(expected and sent and hmac.compare_digest(str(expected), sent))


class LoginLimiter:
    """At most ``attempts`` failed logins per (address, name) in a sliding window; per process."""

    def __init__(self, attempts: int, window_seconds: float) -> None:
        self.attempts, self.window = attempts, window_seconds
        self._failed: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        q = self._failed[key]
        while q and q[0] <= now - self.window:
            q.popleft()
        return q

    def blocked(self, key: tuple[str, str]) -> float:
        """Seconds until the next try is allowed (0: allowed now)."""
        now = time.monotonic()
        with self._lock:
            q = self._recent(key, now)
            return max(0.0, q[0] + self.window - now) if len(q) >= self.attempts else 0.0

    def failed(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._failed[key].append(time.monotonic())

    def succeeded(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._failed.pop(key, None)


async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    response = await call_next(request)
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if not request.url.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response
