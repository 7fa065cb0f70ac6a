"""A small SMTP server on 127.0.0.1 that keeps what it receives (RFC 5321's core commands).

It can refuse recipients (``refuse``: addresses answered 550) and can ask for a login it then refuses
(``auth_fails``), to exercise the notifier's error paths.
"""

from __future__ import annotations

import socketserver
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.data, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class SMTPStub:
    refuse: set[str] = field(default_factory=set)
    auth_fails: bool = False
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        stub = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(line.encode() + b"\r\n")

            def handle(self) -> None:
                self.reply("220 stub ESMTP")
                sender, rcpts = "", list[str]()
                while line := self.rfile.readline():
                    cmd = line.decode(errors="replace").strip()
                    verb = cmd.split(" ", 1)[0].upper()
                    if verb == "EHLO":
                        self.reply("250-stub" + ("\r\n250-AUTH PLAIN LOGIN" if stub.auth_fails else ""))
                        self.reply("250 8BITMIME")
                    elif verb == "HELO":
                        self.reply("250 stub")
                    elif verb == "AUTH":
                        self.reply("535 5.7.8 authentication failed")
                    elif verb == "MAIL":
                        sender, rcpts = cmd.split(":", 1)[1].split()[0].strip("<>"), []
                        self.reply("250 ok")
                    elif verb == "RCPT":
                        addr = cmd.split(":", 1)[1].strip().strip("<>")
                        if addr in stub.refuse:
                            self.reply("550 5.1.1 no such user")
                        else:
                            rcpts.append(addr)
                            self.reply("250 ok")
                    elif verb == "DATA":
                        self.reply("354 end with .")
                        data = b""
                        while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                            data += chunk[1:] if chunk.startswith(b"..") else chunk
                        stub.received.append(Received(sender, rcpts, data))
                        self.reply("250 queued")
                    elif verb in ("RSET", "NOOP"):
                        self.reply("250 ok")
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    else:
                        self.reply("502 not implemented")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> SMTPStub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
