"""The publishers' HTTP client, under the outbound policy (:mod:`pipeline.outbound`), and error classing.

* Every call goes to the platform's configured origin and nowhere else: the token travels in a header
  and a URL on another host (a redirect, an upload session URL a platform hands back) is refused, so
  the token cannot follow it. Redirects are never followed.
* Connections go to the address checked when the name was resolved; internal addresses are refused
  unless the platform's ``allow_private_hosts`` is set (tests, an on-premises instance).
* A failure is classed by what the platform may have done: a connection that never opened is
  ``retryable`` (nothing was sent); a connection lost after the request went out, or a read timeout,
  is ``unknown`` for a call that creates something (the scheduler confirms before any retry).
* Each call opens its own connection: a pooled connection the server already closed would fail a
  create that never reached it, and that would read as an unknown outcome.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import IO, Any

import requests
from requests.structures import CaseInsensitiveDict
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

from pipeline import outbound
from pipeline.outbound import AddressPolicy, Refused, Resolver
from press.publishers.base import PublishError

MAX_BODY = 4 * 1024 * 1024  # an API answer larger than this is not read whole


@dataclass
class HttpResult:
    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"{}")
        except ValueError:
            return {}


class Api:
    """One platform's endpoint: its origin, its outbound policy, its timeouts."""

    def __init__(self, base_url: str, *, allow_private: bool = False, resolver: Resolver | None = None,
                 timeout: float = 30) -> None:
        self.base = base_url.rstrip("/")
        self.policy = AddressPolicy(allow_private, resolver)
        self.timeout = timeout

    def url(self, path: str) -> str:
        return f"{self.base}/{path.lstrip('/')}"

    def allows(self, url: str) -> bool:
        """Whether ``url`` is on this platform's origin (an upload session URL, say)."""
        return outbound.origin(url) == outbound.origin(self.base)

    def call(self, method: str, url: str, *, params: Mapping[str, Any] | None = None, json_body: Any = None,
             form: Mapping[str, Any] | None = None, data: bytes | IO[bytes] | Iterable[bytes] | None = None,
             headers: Mapping[str, str] | None = None, timeout: float | None = None,
             creates: bool = False) -> HttpResult:
        """One request; HTTP errors come back as results, transport failures raise :class:`PublishError`.

        ``creates``: the call makes something on the platform, so a failure after the request went
        out is ``unknown`` (else ``retryable``).
        """
        if not self.allows(url):
            raise PublishError("permanent", "refused-host",
                               f"{method} {_safe(url)}: not on {self.base}; credentials are sent to no other host")
        hdrs = dict(headers or {})
        body: Any = data
        if json_body is not None:
            body = json.dumps(json_body, ensure_ascii=False).encode("utf-8")
            hdrs.setdefault("Content-Type", "application/json; charset=UTF-8")
        elif form is not None:
            body = {k: v for k, v in form.items() if v is not None}
        session = outbound.guarded_session(self.policy)
        try:
            resp = session.request(method, url, params=params, data=body, headers=hdrs, allow_redirects=False,
                                   timeout=timeout or self.timeout, stream=True)
            content = _read(resp)
        except Refused as exc:
            raise PublishError("permanent", "refused-address", f"{method} {_safe(url)}: {exc}") from None
        except requests.RequestException as exc:
            raise _transport_error(method, url, exc, creates) from None
        finally:
            session.close()
        return HttpResult(resp.status_code, CaseInsensitiveDict(resp.headers), content, url)


def _read(resp: requests.Response) -> bytes:
    out = bytearray()
    for chunk in resp.iter_content(64 * 1024):
        out += chunk
        if len(out) > MAX_BODY:
            break
    resp.close()
    return bytes(out[:MAX_BODY])


def _sent(exc: BaseException) -> bool:
    """Whether the request may have reached the server (False only when no connection was made)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, NewConnectionError | NameResolutionError | ConnectTimeoutError
                      | requests.ConnectTimeout):
            return False
        seen = _inner(seen)
    return True


def _inner(exc: BaseException) -> BaseException | None:
    """The exception ``exc`` wraps (requests wraps urllib3's, which keeps a ``reason``)."""
    reason = getattr(exc, "reason", None)
    if isinstance(reason, BaseException):
        return reason
    if exc.args and isinstance(exc.args[0], BaseException):
        return exc.args[0]
    return exc.__cause__ or exc.__context__


def _transport_error(method: str, url: str, exc: requests.RequestException, creates: bool) -> PublishError:
    sent = _sent(exc)
    if isinstance(exc, requests.Timeout):
        what = "timed out waiting for the answer" if sent else "timed out connecting"
    elif sent:
        what = "connection lost after the request was sent"
    else:
        what = "cannot connect (host unreachable or refused)"
    if sent and creates:
        return PublishError("unknown", "network-after-send", f"{method} {_safe(url)}: {what}; the platform may "
                            "have carried it out")
    return PublishError("retryable", "network", f"{method} {_safe(url)}: {what}")


def _safe(url: str) -> str:
    """The URL without its query (which may carry an id or an upload token)."""
    return url.split("?", 1)[0]


def retry_after(result: HttpResult) -> float | None:
    value = result.headers.get("Retry-After") if result.headers else None
    try:
        return float(value) if value else None
    except ValueError:
        return None


def http_error(result: HttpResult, message: str = "", *, creates: bool = False) -> PublishError:
    """Generic classing: 401 → reconnect; 408/425/429 → retryable (refused before it was carried out);
    5xx → unknown for a create (it may have been carried out before the error), else retryable;
    a redirect (never followed) → unknown for a create, else permanent; other 4xx → permanent."""
    text = message or result.body[:300].decode("utf-8", "replace")
    code = f"http-{result.status}"
    if result.status == 401:
        return PublishError("reconnect", code, f"token rejected: {text}")
    if result.status in (408, 425, 429):
        return PublishError("retryable", code, text, retry_after(result))
    if result.status >= 500:
        return PublishError("unknown" if creates else "retryable", code, text, retry_after(result))
    if 300 <= result.status < 400:
        where = outbound.origin(str(result.headers.get("Location") or ""))[1] or "?"
        return PublishError("unknown" if creates else "permanent", code,
                            f"unexpected redirect to {where}, not followed (credentials go to no other host)")
    return PublishError("permanent", code, text)


#: Graph API error codes (Facebook, Instagram, Threads) that mean "refused for now, try again later".
GRAPH_RETRYABLE = {4, 9, 17, 32, 341, 368, 613, 9007, 80001, 80002}
#: codes that mean "something went wrong on Meta's side": a create may or may not have happened.
GRAPH_TRANSIENT = {1, 2}
GRAPH_RETRYABLE_SUBCODES = {2207052, 2207001, 2207003, 2207020}


def graph_error(result: HttpResult, stage: str, *, creates: bool = False) -> PublishError:
    """Meta Graph API errors: 190 = expired or invalid token → reconnect; rate limits and 'media not
    ready' (9007) → retryable; unknown/transient errors (1, 2, ``is_transient``, 5xx) → unknown for a
    create, else retryable; the rest permanent."""
    err = result.json().get("error") if isinstance(result.json(), dict) else None
    if not isinstance(err, dict):
        return http_error(result, creates=creates)
    code, sub = err.get("code"), err.get("error_subcode")
    label = f"graph-{code}" + (f"/{sub}" if sub else "")
    message = f"{stage}: {err.get('message', '')}"
    if code in (190, 102):
        return PublishError("reconnect", label, message)
    if code in GRAPH_RETRYABLE or sub in GRAPH_RETRYABLE_SUBCODES:
        return PublishError("retryable", label, message, retry_after(result))
    if code in GRAPH_TRANSIENT or err.get("is_transient") or result.status >= 500:
        return PublishError("unknown" if creates else "retryable", label, message, retry_after(result))
    return PublishError("permanent", label, message)
