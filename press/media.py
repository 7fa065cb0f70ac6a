"""The media list: journalists the office notifies (``newsdesk press media ...``).

A contact is an outlet, a reporter, a beat (市政, 交通, ...) and the channels the reporter takes: a
LINE user id (a friend of the office's LINE account), an e-mail address, a mobile number. A reporter
who asked to hear nothing more is *opted out*: kept on the list (so they are not added back by
mistake) but never notified, including notices queued before the opt-out.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.models import MediaContact, utcnow

#: A LINE user id: "U" and 32 hex digits (developers.line.biz, "Get user IDs").
LINE_ID = re.compile(r"^U[0-9a-f]{32}$")
EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
#: A Taiwanese mobile number: 09xxxxxxxx, or +886 9xxxxxxxx (stored in the 09 form the gateway takes).
MOBILE = re.compile(r"^(?:\+?886|0)(9\d{8})$")
CHANNELS = ("line", "email", "sms")


class MediaError(ValueError):
    """Bad contact input; the message names the field."""


def clean(text: str | None) -> str:
    """NFKC and folded whitespace (full-width letters and spaces from a Chinese IME)."""
    return " ".join(unicodedata.normalize("NFKC", text or "").split())


def line_id(value: str | None) -> str | None:
    value = clean(value)
    if not value:
        return None
    if not LINE_ID.match(value):
        raise MediaError(f"--line {value!r}: a LINE user id is U and 32 hex digits (the reporter's id as the "
                         "office's LINE account sees it, not their LINE ID handle)")
    return value


def email(value: str | None) -> str | None:
    value = clean(value)
    if not value:
        return None
    if not EMAIL.match(value):
        raise MediaError(f"--email {value!r}: not an e-mail address")
    return value


def phone(value: str | None) -> str | None:
    value = re.sub(r"[\s()\-.]", "", clean(value))
    if not value:
        return None
    m = MOBILE.match(value)
    if not m:
        raise MediaError(f"--phone {value!r}: SMS needs a Taiwanese mobile number (09xxxxxxxx or +886 9xxxxxxxx)")
    return "0" + m.group(1)


def address(contact: MediaContact, channel: str) -> str | None:
    """Where ``contact`` takes notices on ``channel`` (None: not on that channel)."""
    return {"line": contact.line_id, "email": contact.email, "sms": contact.phone}.get(channel)


def channels(contact: MediaContact) -> list[str]:
    return [c for c in CHANNELS if address(contact, c)]


def add(session: Session, *, outlet: str, reporter: str, beat: str = "", line: str | None = None,
        mail: str | None = None, mobile: str | None = None, note: str | None = None,
        outlet_name: Callable[[str], str | None] = lambda s: None) -> MediaContact:
    """A new contact. ``outlet_name`` gives the registry's name for a code or alias (cna → 中央社), so
    one outlet is written one way; an outlet the registry does not know is kept as typed."""
    values = _checked(outlet=outlet, reporter=reporter, beat=beat, line=line, mail=mail, mobile=mobile,
                      outlet_name=outlet_name)
    same = session.scalar(select(MediaContact).where(MediaContact.outlet == values["outlet"],
                                                     MediaContact.reporter == values["reporter"]))
    if same is not None:
        raise MediaError(f"{values['outlet']} {values['reporter']} is already contact {same.id} "
                         f"(`newsdesk press media edit {same.id}`)")
    contact = MediaContact(**values, note=note or None, opted_out=False)
    session.add(contact)
    session.flush()
    return contact


def edit(session: Session, contact: MediaContact, outlet_name: Callable[[str], str | None] = lambda s: None,
         **changes: Any) -> MediaContact:
    """Change the given fields (None: unchanged; "" clears a channel)."""
    current = {"outlet": contact.outlet, "reporter": contact.reporter, "beat": contact.beat,
               "line": contact.line_id, "mail": contact.email, "mobile": contact.phone}
    current.update({k: v for k, v in changes.items() if k in current and v is not None})
    values = _checked(outlet_name=outlet_name, **current)
    for key, value in values.items():
        setattr(contact, key, value)
    if changes.get("note") is not None:
        contact.note = changes["note"] or None
    contact.updated_at = utcnow()
    session.flush()
    return contact


def opt_out(session: Session, contact: MediaContact, out: bool = True) -> MediaContact:
    """Stop (or resume) notices to ``contact``; queued notices to them are not sent either."""
    contact.opted_out = out
    contact.opted_out_at = utcnow() if out else None
    contact.updated_at = utcnow()
    session.flush()
    return contact


def remove(session: Session, contact: MediaContact) -> None:
    """Delete a contact that was never notified; one with delivery records is opted out instead (the
    records say who was told what)."""
    from pipeline.models import MediaDelivery

    if session.scalar(select(MediaDelivery.id).where(MediaDelivery.contact_id == contact.id).limit(1)):
        raise MediaError(f"contact {contact.id} has delivery records: opt them out instead "
                         f"(`newsdesk press media opt-out {contact.id}`)")
    session.delete(contact)
    session.flush()


def listing(session: Session, *, beat: str | None = None, outlet: str | None = None,
            include_opted_out: bool = True) -> list[MediaContact]:
    query = select(MediaContact).order_by(MediaContact.outlet, MediaContact.reporter, MediaContact.id)
    if beat:
        query = query.where(MediaContact.beat == clean(beat))
    if outlet:
        query = query.where(MediaContact.outlet == clean(outlet))
    if not include_opted_out:
        query = query.where(MediaContact.opted_out.is_(False))
    return list(session.scalars(query))


def get(session: Session, contact_id: int) -> MediaContact:
    contact = session.get(MediaContact, contact_id)
    if contact is None:
        raise MediaError(f"no media contact {contact_id} (see `newsdesk press media list`)")
    return contact


def recipients(session: Session, *, beats: Sequence[str] = (), outlets: Sequence[str] = (),
               ids: Sequence[int] = ()) -> list[MediaContact]:
    """Contacts to notify: those of the given beats / outlets / ids (all without a filter), opted-out
    ones left out."""
    query = select(MediaContact).where(MediaContact.opted_out.is_(False)).order_by(MediaContact.id)
    if beats:
        query = query.where(MediaContact.beat.in_([clean(b) for b in beats]))
    if outlets:
        query = query.where(MediaContact.outlet.in_([clean(o) for o in outlets]))
    if ids:
        query = query.where(MediaContact.id.in_(list(ids)))
    return list(session.scalars(query))


def _checked(*, outlet: str | None, reporter: str | None, beat: str | None, line: str | None, mail: str | None,
             mobile: str | None, outlet_name: Callable[[str], str | None]) -> dict[str, Any]:
    name, who = clean(outlet), clean(reporter)
    if not name:
        raise MediaError("--outlet is empty")
    if not who:
        raise MediaError("--reporter is empty")
    values = {"outlet": outlet_name(name) or name, "reporter": who, "beat": clean(beat),
              "line_id": line_id(line), "email": email(mail), "phone": phone(mobile)}
    if not (values["line_id"] or values["email"] or values["phone"]):
        raise MediaError(f"{who}: give at least one channel (--line USER_ID, --email, --phone)")
    return values
