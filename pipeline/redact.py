"""One redaction layer for every text that leaves the process: log records (``-vv`` debug lines of
urllib3 and requests included), error messages, errors stored in the database (``sources.last_error``,
publish attempts) and ``config check``.

What is masked, wherever it appears:

* the value of every declared secret found in the environment (``pipeline.settings.SECRET_ENV``), the
  password of ``DATABASE_URL``, and values registered at run time (:func:`register`: session tokens a
  platform hands out, e.g. Bluesky's ``accessJwt``);
* credentials in URLs: the password in the userinfo (``user:password@``) and query parameters that carry keys
  (``access_token``, ``key``, ``password``, ...);
* credential headers and JSON fields as debug lines and error bodies print them
  (``Authorization: Bearer ...``, ``'Cookie': '...'``, ``"accessJwt": "..."``).

:func:`install_logging` puts the layer under every log record of the process (a record factory, so
handlers added later, Scrapy's included, get redacted records too).
"""

from __future__ import annotations

import logging
import os
import re
import sys
import threading
import traceback
from collections.abc import Iterable
from types import TracebackType
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "****"
#: a secret shorter than this is not searched for as a bare value (it would mask ordinary words);
#: it is still masked where it sits in a URL, a header or a JSON field.
MIN_SECRET = 6

#: query and form parameters that carry credentials (Graph API, YouTube, Slack, generic).
SENSITIVE_PARAMS = (
    "access_token", "accesstoken", "token", "key", "api_key", "apikey", "password", "passwd", "pwd",
    "secret", "client_secret", "refresh_token", "id_token", "signature", "sig", "auth",
)
_PARAM_NAMES = "|".join(re.escape(p) for p in SENSITIVE_PARAMS)
# the value ends at the next parameter, a quote or space, or a ": " (a message going on after the URL)
_PARAMS = re.compile(r"(?i)([?&;](?:" + _PARAM_NAMES + r")=)[^&#;\s'\"<>]+?(?=$|[&#;\s'\"<>]|:\s|:$)")
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)([^/\s:@'\"<>]*)(?::([^/\s@'\"<>]*))?@")
_HEADERS = re.compile(
    r"(?i)(['\"]?\b(?:authorization|proxy-authorization|cookie|set-cookie|x-goog-api-key|x-api-key)"
    r"['\"]?\s*[:=]\s*['\"]?)([^'\"\r\n,}]+)"
)
_BEARER = re.compile(r"\b(Bearer|bearer|OAuth)(\s+)[A-Za-z0-9._~+/=\-]{12,}")
_JSON_FIELDS = re.compile(
    r"(?i)(['\"](?:access_?token|accessJwt|refreshJwt|refresh_token|password|client_secret|token|"
    r"api_?key|secret)['\"]\s*:\s*['\"])([^'\"]+)"
)

_extra: set[str] = set()
_lock = threading.Lock()


def register(*values: str | None) -> None:
    """Mask these values from now on (tokens a platform issued to this process, URL passwords)."""
    with _lock:
        _extra.update(v for v in values if v and len(v) >= 3)


def register_url(url: str | None) -> None:
    """Mask the password of ``url`` (a database URL from a settings file, say)."""
    if not url:
        return
    m = _USERINFO.search(url)
    if m and m.group(3):
        from urllib.parse import unquote

        register(m.group(3), unquote(m.group(3)))


def secret_values() -> list[str]:
    """Every value to mask as a bare string, longest first (so a longer secret is masked whole)."""
    from pipeline.settings import SECRET_ENV

    values = {os.environ.get(name, "") for name in SECRET_ENV}
    database = os.environ.get("DATABASE_URL", "")
    m = _USERINFO.search(database)
    if m and m.group(3):
        from urllib.parse import unquote

        values |= {m.group(3), unquote(m.group(3))}
    with _lock:
        values |= _extra
    out: set[str] = set()
    for value in values:
        if len(value) < MIN_SECRET and value not in _extra:
            continue
        out.update({value, quote(value, safe=""), quote_plus(value)})
    return sorted((v for v in out if v), key=len, reverse=True)


def redact(text: Any) -> str:
    """``text`` as a string with every secret, URL credential and credential header masked."""
    s = text if isinstance(text, str) else str(text)
    for value in secret_values():
        if value in s:
            s = s.replace(value, MASK)
    s = _USERINFO.sub(_userinfo, s)
    s = _PARAMS.sub(lambda m: m.group(1) + MASK, s)
    s = _HEADERS.sub(lambda m: m.group(1) + MASK, s)
    s = _BEARER.sub(lambda m: m.group(1) + m.group(2) + MASK, s)
    return _JSON_FIELDS.sub(lambda m: m.group(1) + MASK, s)


def _userinfo(m: re.Match[str]) -> str:
    """``user:password@`` → ``user:****@``; a user name alone is no secret (a token used as one is
    masked by value), and a password already masked (``***``) stays as it is."""
    scheme, user, password = m.group(1), m.group(2), m.group(3)
    if password is None or not password or set(password) == {"*"}:
        return m.group(0)
    return f"{scheme}{user}:{MASK}@"


def redact_data(value: Any) -> Any:
    """A JSON-like structure with every string in it redacted (``config check --json``)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_data(v) for v in value]
    return value


def redact_lines(lines: Iterable[str]) -> list[str]:
    return [redact(line) for line in lines]


# --- logging ----------------------------------------------------------------------------------------

_installed = False


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Replace the record's message (and exception text) by its redacted form."""
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a bad format string must not lose the record
        message = f"{record.msg!r} {record.args!r}"
    record.msg, record.args = redact(message), None
    if record.exc_info and record.exc_info[0] is not None:
        record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


class RedactingFilter(logging.Filter):
    """For handlers configured outside :func:`install_logging` (it never drops a record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


def install_logging() -> None:
    """Redact every log record created from now on in this process, and uncaught exceptions."""
    global _installed
    if _installed:
        return
    _installed = True
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact_record(previous(*args, **kwargs))

    logging.setLogRecordFactory(factory)

    def excepthook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        sys.stderr.write(redact("".join(traceback.format_exception(kind, exc, tb))))

    sys.excepthook = excepthook
