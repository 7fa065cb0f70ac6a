"""A local Slack Web API on 127.0.0.1 that checks requests the way Slack documents them.

Point slack-sdk's ``WebClient(base_url=stub.url)`` (or ``SLACK_API_URL``) at it. It checks the bearer
token, the channel (and whether the bot is in it), parses every ``blocks`` payload with slack-sdk's
block models and runs their validation, checks ``thread_ts``, metadata and Block Kit limits, and keeps
every message so tests can assert on what Slack would show. Faults can be scripted
(:meth:`SlackStub.fail_next`) or drawn at random (:meth:`SlackStub.random_faults`): ``429`` with
``Retry-After``, ``500``, ``timeout`` (nothing posted, the answer stalls), ``timeout_after`` (the message
*is* posted, then the answer stalls: the "killed between send and commit" case), and any Slack error
code such as ``invalid_auth`` or ``not_in_channel``.

Methods: auth.test, chat.postMessage, chat.update, conversations.list, conversations.history,
conversations.replies, files.getUploadURLExternal (+ the upload URL), files.completeUploadExternal.

Scopes, as Slack documents them (docs.slack.dev/reference/scopes/* and each method's "Required
scopes"): every Web API response carries the token's scopes in the ``x-oauth-scopes`` header; a
method called without its scope answers ``{"ok": false, "error": "missing_scope", "needed": ...,
"provided": ...}`` (HTTP 200). ``chat.postMessage``/``chat.update`` need ``chat:write``;
``conversations.history``/``replies`` need ``channels:history`` on a public channel and
``groups:history`` on a private one; ``conversations.list`` needs ``channels:read`` (``groups:read``
for private channels); the external file upload needs ``files:write``; ``auth.test`` needs none.

Faults: ``500`` answers ``internal_error``, which Slack documents as "it's possible some aspect of
the operation succeeded": ``500_after`` posts the message *and* answers 500; ``drop`` closes the
connection without an answer, ``drop_after`` does so after posting.
"""

from __future__ import annotations

import itertools
import json
import random
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block

TOKEN = "xoxb-stub-token"
MAX_TEXT = 40_000
ALL_SCOPES = ("chat:write", "channels:read", "channels:history", "groups:read", "groups:history",
              "files:write")
#: method -> (scope on a public channel, scope on a private one); None: no scope needed.
METHOD_SCOPES: dict[str, tuple[str, str] | None] = {
    "auth.test": None,
    "chat.postMessage": ("chat:write", "chat:write"),
    "chat.update": ("chat:write", "chat:write"),
    "conversations.list": ("channels:read", "groups:read"),
    "conversations.history": ("channels:history", "groups:history"),
    "conversations.replies": ("channels:history", "groups:history"),
    "files.getUploadURLExternal": ("files:write", "files:write"),
    "files.completeUploadExternal": ("files:write", "files:write"),
}


@dataclass
class StubMessage:
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None
    metadata: dict[str, Any] | None
    received: float  # time.monotonic() when accepted
    updates: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class StubChannel:
    id: str
    name: str
    member: bool = True
    messages: list[StubMessage] = field(default_factory=list)
    private: bool = False


@dataclass
class Upload:
    file_id: str
    filename: str
    length: int
    content: bytes | None = None
    channel: str | None = None
    title: str | None = None
    comment: str | None = None


class SlackError(Exception):
    def __init__(self, code: str, status: int = 200, headers: dict[str, str] | None = None,
                 extra: dict[str, Any] | None = None) -> None:
        super().__init__(code)
        self.code, self.status, self.headers, self.extra = code, status, headers or {}, extra or {}


class Drop(Exception):
    """Close the connection without an answer."""


class SlackStub:
    """Start with ``with SlackStub() as stub:``; ``stub.url`` is the Web API base URL."""

    def __init__(self, token: str = TOKEN, channels: tuple[str, ...] = ("press-alerts",), *,
                 stall: float = 1.5, seed: int = 0, page_size: int = 100,
                 scopes: tuple[str, ...] = ALL_SCOPES) -> None:
        self.token = token
        self.scopes = set(scopes)
        self.stall = stall
        self.delay = 0.0  # seconds Slack works on each chat.postMessage before it posts
        self.page_size = page_size
        self.revoked = False
        self.lock = threading.Lock()
        self.channels: dict[str, StubChannel] = {}
        self.faults: deque[str] = deque()
        self.fault_methods = {"chat.postMessage"}
        self.rates: tuple[float, ...] = (0.0,) * 7
        self.random = random.Random(seed)
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.violations: list[str] = []
        self.uploads: dict[str, Upload] = {}
        self.injected: dict[str, int] = {}
        self._ts = itertools.count(1)
        for name in channels:
            self.add_channel(name)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # -- lifecycle -------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/api/"

    def __enter__(self) -> SlackStub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- set-up and faults -----------------------------------------------------------------------

    def add_channel(self, name: str, member: bool = True, private: bool = False) -> str:
        cid = f"{'G' if private else 'C'}{len(self.channels) + 1:08d}"
        self.channels[cid] = StubChannel(cid, name.lstrip("#"), member, private=private)
        return cid

    def fail_next(self, *faults: str) -> None:
        """Faults for the next calls of ``fault_methods``, in order: 'ok' (none), '429', '500',
        '500_after', 'timeout', 'timeout_after', 'drop', 'drop_after', or a Slack error code
        ('invalid_auth', 'not_in_channel', ...)."""
        self.faults.extend(faults)

    def random_faults(self, p429: float = 0.0, p500: float = 0.0, ptimeout: float = 0.0,
                      ptimeout_after: float = 0.0, p500_after: float = 0.0, pdrop: float = 0.0,
                      pdrop_after: float = 0.0) -> None:
        self.rates = (p429, p500, ptimeout, ptimeout_after, p500_after, pdrop, pdrop_after)

    # -- what Slack would show -------------------------------------------------------------------

    def channel_named(self, name: str) -> StubChannel:
        return next(c for c in self.channels.values() if c.name == name.lstrip("#"))

    def messages(self, name: str | None = None) -> list[StubMessage]:
        chans = [self.channel_named(name)] if name else list(self.channels.values())
        return [m for c in chans for m in c.messages]

    def max_per_window(self, name: str, window: float = 1.0) -> int:
        """The most messages the channel received in any ``window`` seconds."""
        times = sorted(m.received for m in self.channel_named(name).messages)
        best, start = 0, 0
        for end, t in enumerate(times):
            while t - times[start] >= window:
                start += 1
            best = max(best, end - start + 1)
        return best

    # -- request handling ------------------------------------------------------------------------

    def handle(self, method: str, headers: Any, params: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
        with self.lock:
            self.calls.append((method, params))
        token = (headers.get("Authorization") or "").removeprefix("Bearer ") or params.get("token")
        if not token:
            raise SlackError("not_authed")
        if token != self.token or self.revoked:
            raise SlackError("invalid_auth")
        handler = getattr(self, "m_" + method.replace(".", "_"), None)
        if handler is None:
            raise SlackError("unknown_method", 404)
        self._check_scope(method, params)
        after = self._fault(method)
        if method == "chat.postMessage" and self.delay:
            time.sleep(self.delay)
        with self.lock:
            body = handler(params)
        if after == "timeout_after":
            time.sleep(self.stall)
        elif after == "500_after":
            raise SlackError("internal_error", 500)
        elif after == "drop_after":
            raise Drop
        return 200, {}, body

    def scope_header(self) -> dict[str, str]:
        return {"x-oauth-scopes": ",".join(sorted(self.scopes))}

    def _check_scope(self, method: str, params: dict[str, Any]) -> None:
        needs = METHOD_SCOPES.get(method)
        if needs is None:
            return
        ref = params.get("channel") or params.get("channel_id")
        chan = self.channels.get(str(ref)) if ref else None
        if chan is None and ref:
            chan = next((c for c in self.channels.values() if c.name == str(ref).lstrip("#")), None)
        if method == "conversations.list":
            types = str(params.get("types") or "public_channel")
            wanted = [needs[0]] if "public_channel" in types else []
            wanted += [needs[1]] if "private_channel" in types else []
            # Slack lists what the token may see; it refuses only when it may see none of the types.
            if wanted and not any(w in self.scopes for w in wanted):
                raise SlackError("missing_scope", extra={"needed": wanted[0],
                                                         "provided": ",".join(sorted(self.scopes))})
            return
        scope = needs[1] if chan is not None and chan.private else needs[0]
        if scope not in self.scopes:
            raise SlackError("missing_scope", extra={"needed": scope, "provided": ",".join(sorted(self.scopes))})

    def _fault(self, method: str) -> str | None:
        if method not in self.fault_methods:
            return None
        with self.lock:
            fault = self.faults.popleft() if self.faults else self._draw()
            if fault:
                self.injected[fault] = self.injected.get(fault, 0) + 1
        if fault in (None, "ok"):
            return None
        if fault in ("timeout_after", "500_after", "drop_after"):
            return fault
        if fault == "drop":
            raise Drop
        if fault == "429":
            raise SlackError("ratelimited", 429, {"Retry-After": "1"})
        if fault == "500":
            raise SlackError("internal_error", 500)
        if fault == "timeout":
            time.sleep(self.stall)
            raise SlackError("internal_error", 500)  # the client has long stopped listening
        raise SlackError(fault)

    def _draw(self) -> str | None:
        names = ("429", "500", "timeout", "timeout_after", "500_after", "drop", "drop_after")
        r = self.random.random()
        for name, p in zip(names, self.rates, strict=True):
            if r < p:
                return name
            r -= p
        return None

    def _channel(self, ref: str | None, *, id_only: bool = False) -> StubChannel:
        if not ref:
            raise SlackError("channel_not_found")
        if ref in self.channels:
            chan = self.channels[ref]
        elif id_only:
            raise SlackError("channel_not_found")
        else:
            found = [c for c in self.channels.values() if c.name == ref.lstrip("#")]
            if not found:
                raise SlackError("channel_not_found")
            chan = found[0]
        if not chan.member:
            raise SlackError("not_in_channel")
        return chan

    def _check_blocks(self, raw: Any) -> list[dict[str, Any]]:
        blocks = json.loads(raw) if isinstance(raw, str) else raw
        if not isinstance(blocks, list) or len(blocks) > 50:
            raise SlackError("invalid_blocks")
        for b in blocks:
            parsed = Block.parse(b)
            if parsed is None or parsed.type != b.get("type"):
                self.violations.append(f"unknown block {b!r:.200}")
                raise SlackError("invalid_blocks")
            try:
                parsed.validate_json()
            except SlackObjectFormationError as exc:
                self.violations.append(f"invalid block: {exc}")
                raise SlackError("invalid_blocks") from None
            for f in b.get("fields") or []:
                if len(f.get("text", "")) > 2000:
                    self.violations.append("section field over 2,000 characters")
                    raise SlackError("invalid_blocks")
        return blocks

    def _check_text(self, params: dict[str, Any]) -> str:
        text = params.get("text") or ""
        if not text and not params.get("blocks"):
            raise SlackError("no_text")
        if len(text) > MAX_TEXT:
            raise SlackError("msg_too_long")
        return str(text)

    def _find(self, chan: StubChannel, ts: str | None) -> StubMessage:
        for m in chan.messages:
            if m.ts == ts:
                return m
        raise SlackError("message_not_found")

    def m_auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"user_id": "UBOT0001", "team_id": "T00000001", "bot_id": "B00000001", "user": "newsdesk"}

    def m_chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chan = self._channel(params.get("channel"))
        text = self._check_text(params)
        blocks = self._check_blocks(params["blocks"]) if params.get("blocks") else []
        meta = params.get("metadata")
        meta = json.loads(meta) if isinstance(meta, str) else meta
        if meta is not None and not (isinstance(meta, dict)
                                     and re.fullmatch(r"[a-z0-9_]+", str(meta.get("event_type")))
                                     and isinstance(meta.get("event_payload"), dict)):
            raise SlackError("invalid_metadata_format")
        thread = params.get("thread_ts")
        if thread:
            parents = [m for m in chan.messages if m.ts == thread and m.thread_ts is None]
            if not parents:
                raise SlackError("thread_not_found")
        ts = f"{int(time.time())}.{next(self._ts):06d}"
        chan.messages.append(StubMessage(chan.id, ts, text, blocks, thread or None, meta, time.monotonic()))
        return {"channel": chan.id, "ts": ts, "message": {"type": "message", "text": text, "ts": ts}}

    def m_chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        chan = self._channel(params.get("channel"), id_only=True)
        msg = self._find(chan, params.get("ts"))
        text = self._check_text(params)
        blocks = self._check_blocks(params["blocks"]) if params.get("blocks") else msg.blocks
        msg.updates.append({"text": msg.text, "blocks": msg.blocks})
        msg.text, msg.blocks = text, blocks
        return {"channel": chan.id, "ts": msg.ts, "text": text}

    def _page(self, rows: list[dict[str, Any]], params: dict[str, Any], key: str) -> dict[str, Any]:
        start = int(params.get("cursor") or 0)
        size = min(int(params.get("limit") or self.page_size), self.page_size)
        nxt = start + size if start + size < len(rows) else ""
        return {key: rows[start:start + size], "has_more": bool(nxt),
                "response_metadata": {"next_cursor": str(nxt) if nxt else ""}}

    def m_conversations_list(self, params: dict[str, Any]) -> dict[str, Any]:
        types = str(params.get("types") or "public_channel")
        seen = {False: "public_channel" in types and "channels:read" in self.scopes,
                True: "private_channel" in types and "groups:read" in self.scopes}
        # A private channel is listed only to a member (the bot sees the private channels it is in).
        rows = [{"id": c.id, "name": c.name, "is_channel": not c.private, "is_private": c.private,
                 "is_member": c.member}
                for c in self.channels.values() if seen[c.private] and (c.member or not c.private)]
        return self._page(rows, params, "channels")

    def _rows(self, msgs: list[StubMessage], params: dict[str, Any]) -> list[dict[str, Any]]:
        oldest = float(params.get("oldest") or 0)
        meta = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
        rows = []
        for m in msgs:
            if float(m.ts) < oldest:
                continue
            row: dict[str, Any] = {"type": "message", "ts": m.ts, "text": m.text}
            if m.thread_ts:
                row["thread_ts"] = m.thread_ts
            if meta and m.metadata:
                row["metadata"] = m.metadata
            rows.append(row)
        return rows

    def m_conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        chan = self._channel(params.get("channel"), id_only=True)
        top = [m for m in chan.messages if m.thread_ts is None]
        return self._page(self._rows(top[::-1], params), params, "messages")

    def m_conversations_replies(self, params: dict[str, Any]) -> dict[str, Any]:
        chan = self._channel(params.get("channel"), id_only=True)
        parent = self._find(chan, params.get("ts"))
        thread = [parent] + [m for m in chan.messages if m.thread_ts == parent.ts]
        return self._page(self._rows(thread, params), params, "messages")

    def m_files_getUploadURLExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("filename") or not str(params.get("length", "")).isdigit():
            raise SlackError("invalid_arguments")
        fid = f"F{len(self.uploads) + 1:08d}"
        self.uploads[fid] = Upload(fid, str(params["filename"]), int(params["length"]))
        return {"upload_url": self.url.replace("/api/", f"/upload/{fid}"), "file_id": fid}

    def upload(self, fid: str, data: bytes) -> None:
        with self.lock:
            up = self.uploads.get(fid)
            if up is None or up.length != len(data):
                self.violations.append(f"upload {fid}: unknown file or wrong length")
                raise SlackError("invalid_upload", 400)
            up.content = data

    def m_files_completeUploadExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        files = params.get("files")
        files = json.loads(files) if isinstance(files, str) else files
        out = []
        for f in files or []:
            up = self.uploads.get(f.get("id", ""))
            if up is None or up.content is None:
                raise SlackError("file_not_found")
            if params.get("channel_id"):
                up.channel = self._channel(str(params["channel_id"]), id_only=True).id
            up.title, up.comment = f.get("title"), params.get("initial_comment")
            out.append({"id": up.file_id, "title": up.title, "name": up.filename})
        if not out:
            raise SlackError("invalid_arguments")
        return {"files": out}


def _handler(stub: SlackStub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
            pass

        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            self._serve()

        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            self._serve()

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                if parts.path.startswith("/upload/"):
                    stub.upload(parts.path.rsplit("/", 1)[1], body)
                    self._reply(200, {}, f"OK - {len(body)}".encode(), "text/plain")
                    return
                if not parts.path.startswith("/api/"):
                    raise SlackError("unknown_method", 404)
                params = self._params(parts.query, body)
                status, headers, data = stub.handle(parts.path[len("/api/"):], self.headers, params)
                self._reply(status, {**stub.scope_header(), **headers}, json.dumps({"ok": True, **data}).encode())
            except Drop:
                self.close_connection = True
                self.connection.shutdown(2)  # the client sees the connection dropped, no answer
            except SlackError as err:
                body = json.dumps({"ok": False, "error": err.code, **err.extra}).encode()
                self._reply(err.status, {**stub.scope_header(), **err.headers}, body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def _params(self, query: str, body: bytes) -> dict[str, Any]:
            params: dict[str, Any] = {k: v[-1] for k, v in parse_qs(query).items()}
            ctype = self.headers.get("Content-Type", "")
            if ctype.startswith("application/json"):
                if "charset=utf-8" not in ctype.replace(" ", "").lower():
                    stub.violations.append(f"JSON without charset: {ctype}")
                params.update(json.loads(body or b"{}"))
            elif body:
                params.update({k: v[-1] for k, v in parse_qs(body.decode()).items()})
            return params

        def _reply(self, status: int, headers: dict[str, str], body: bytes,
                   ctype: str = "application/json; charset=utf-8") -> None:
            try:
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

    return Handler
