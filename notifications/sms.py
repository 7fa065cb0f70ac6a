"""SMS to journalists through an HTTP gateway behind a small protocol, one class per provider.

:class:`MitakeSms` is 三竹簡訊 (Mitake), common in Taiwanese government offices: ``POST
{base}/api/mtk/SmSend?CharsetURL=UTF-8`` with ``username``, ``password``, ``dstaddr`` (the mobile
number), ``smbody`` (the text, line breaks as ASCII 6), ``destname`` and ``clientid``. The answer is
INI text: ``[1]``, ``msgid=``, ``statuscode=``, ``AccountPoint=``; ``statuscode`` 0-4 means accepted
(0 reserved, 1-3 sent to the carrier, 4 delivered). ``clientid`` is the customer's own message id:
the gateway remembers it for 12 hours and answers a repeat with its earlier answer plus
``Duplicate=Y`` instead of sending again, so a retry after a lost answer is not a second SMS.
Status codes e, f, h, k, m, n, p: the account cannot send (password, expiry, permission); a, b, r, *:
the service is down for now; v, u, t and 5-9: this message cannot go out (a bad number, an empty body).
"""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.parse
import urllib.request
from typing import Protocol

from notifications.base import NotifierUnavailable, PermanentError, TransientError

ACCEPTED = {"0", "1", "2", "3", "4"}
ACCOUNT = {"c", "d", "e", "f", "h", "k", "m", "n", "p", "s"}
LATER = {"a", "b", "r", "*"}


class SmsProvider(Protocol):
    """Sends one text to one mobile number; ``send`` returns the gateway's message id."""

    channel: str

    def send(self, to: str, message: dict[str, str], key: str) -> str: ...


class MitakeSms:
    channel = "sms"

    def __init__(self, base_url: str, username: str, password: str, timeout: float = 15) -> None:
        if not username or not password:
            raise NotifierUnavailable("press.notify.sms.username and SMS_PASSWORD are needed for SMS notices")
        self.base, self.username, self.password, self.timeout = base_url.rstrip("/"), username, password, timeout

    def send(self, to: str, message: dict[str, str], key: str) -> str:
        form = {"username": self.username, "password": self.password, "dstaddr": to,
                "smbody": message["short"].replace("\r\n", "\n").replace("\n", "\x06"),
                "clientid": hashlib.sha256(key.encode()).hexdigest()[:36]}
        request = urllib.request.Request(f"{self.base}/api/mtk/SmSend?CharsetURL=UTF-8",
                                         data=urllib.parse.urlencode(form).encode("ascii"), method="POST",
                                         headers={"Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as resp:  # noqa: S310 - configured URL
                answer = resp.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            kind = TransientError if exc.code == 429 or exc.code >= 500 else PermanentError
            raise kind(f"SMS gateway answered HTTP {exc.code}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise TransientError(f"SMS gateway: {getattr(exc, 'reason', exc)}",
                                 maybe_sent=isinstance(exc, TimeoutError)) from None
        return self._result(answer)

    def _result(self, answer: str) -> str:
        fields = dict(line.strip().split("=", 1) for line in answer.splitlines() if "=" in line)
        code = fields.get("statuscode", "")
        if code in ACCEPTED:
            return fields.get("msgid", "")
        where = f"SMS gateway status {code or '(none)'}: {fields.get('Error') or fields.get('statusstr') or ''}"
        if code in ACCOUNT:
            raise NotifierUnavailable(f"{where} (the account cannot send; check username and SMS_PASSWORD)")
        if code in LATER:
            raise TransientError(where)
        raise PermanentError(where)


PROVIDERS = {"mitake": MitakeSms}
