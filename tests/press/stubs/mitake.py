"""三竹簡訊 (Mitake) SMS gateway stand-in: ``/api/mtk/SmSend``.

Written from what Mitake's users publish about its HTTP API (no newsdesk code was read):

* the request is a form post of ``username``, ``password``, ``dstaddr`` (the mobile number), ``smbody``
  (the text), optional ``destname``, ``dlvtime``, ``vldtime``, ``response`` and ``clientid``, with
  ``CharsetURL=UTF-8`` saying how the text is encoded (the PyPI ``mitake`` package and the PHP samples
  that post to ``smsapi.mitake.com.tw``);
* the answer is INI-style text lines split by CRLF: ``[1]``, ``msgid=…``, ``statuscode=1``, then
  ``AccountPoint=…`` (the account's remaining points); ``statuscode`` 1 means accepted (the Ruby gems
  ``mitake`` by mitaketw and j094097 show ``{"msgid"=>…, "statuscode"=>"1"}, {"AccountPoint"=>"96"}``);
* a wrong username or password answers ``statuscode=e`` and ``Error=帳號、密碼錯誤`` (same gems);
* ``clientid`` is the customer's own message id: "依該ID判斷是否發送過, 若有直接回覆之前的回覆值, 並加上
  Duplicate=Y; 只留存12小時" (a published PHP client's comment; elct9620/mitake: "if same source_id
  send to Mitake, it will response duplicate flag"): a repeat within 12 hours is not sent again, the
  earlier answer comes back with ``Duplicate=Y``.

Assumed (not found in what we could read): a number the gateway cannot send to answers a per-message
error code; this stub uses ``statuscode=k`` with ``Error=…``. Failures are injected on the route
``mitake:send`` like the other platforms (a 503, a dropped connection after the SMS went out).
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from tests.press.stubs import Platforms, Reject, Request, Result

USERNAME = "taipeipress"
CLIENTID_LIFETIME = timedelta(hours=12)
MOBILE = re.compile(r"^09\d{8}$")


def _ini(fields: list[tuple[str, str]]) -> str:
    return "[1]\r\n" + "".join(f"{k}={v}\r\n" for k, v in fields)


def route(state: Platforms, request: Request) -> Result | None:
    if request.path != "/api/mtk/SmSend":
        return None
    if request.method != "POST":
        raise Reject(405, "Method Not Allowed")
    form = request.body if isinstance(request.body, dict) else {}
    if form.get("username") != state.mitake.get("username", USERNAME) or not state.accepts(
            "mitake", form.get("password")):
        return 200, "statuscode=e\r\nError=帳號、密碼錯誤\r\n", {}
    seen = state.mitake.setdefault("clientids", {})
    clientid = form.get("clientid")
    earlier = seen.get(clientid) if clientid else None
    if earlier and state.clock() - earlier["at"] < CLIENTID_LIFETIME:
        return 200, earlier["answer"].replace("AccountPoint", "Duplicate=Y\r\nAccountPoint", 1), {}
    number, body = str(form.get("dstaddr") or ""), str(form.get("smbody") or "")
    if not MOBILE.match(number) or not body:
        return 200, _ini([("statuscode", "k"), ("Error", "invalid dstaddr or empty smbody")]), {}
    state.injected("mitake:send", request.pending)
    answer = _ini([("msgid", uuid.uuid4().hex[:10]), ("statuscode", "1"), ("AccountPoint", "98")])
    if clientid:
        seen[clientid] = {"at": state.clock(), "answer": answer}
    state.mitake.setdefault("sent", []).append((number, body.replace("\x06", "\n")))
    state.published("sms", body)
    return 200, answer, {}
