"""Crawl state on the ``Source`` row: created on first sight, failures, back-off, disabling, intervals.

Policy in one place:

* a success resets the failure count; the polling interval adapts to the feed (halves, down to
  half the configured interval, when it brought new entries; grows by half, up to 8×, when not);
* each failure doubles the wait (up to a day); after :data:`MAX_FAILURES` in a row the source is
  disabled, with a warning, and ``newsdesk sources status`` shows it until ``sources enable``;
* ``Retry-After`` from a 429/503 is honoured: no poll before it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.models import Source, utcnow
from pipeline.redact import redact
from pipeline.settings import SourceSettings

log = logging.getLogger(__name__)

MAX_FAILURES = 8
MAX_BACKOFF = timedelta(days=1)
MAX_STRETCH = 8


def ensure_row(session: Session, src: SourceSettings) -> Source:
    """The source's row, created on first sight; a changed URL resets the feed validators."""
    url = redact(src.url)  # the row shows where the source is; its password or key stays in the settings
    row = session.scalar(select(Source).where(Source.name == src.name))
    if row is None:
        row = Source(name=src.name, type=src.type, url=url, interval=src.interval, failures=0,
                     disabled=False, items_count=0, state={})
        session.add(row)
        session.flush()
    elif row.url != url or row.type != src.type:
        row.url, row.type = url, src.type
        row.etag = row.last_modified = row.content_hash = None
        row.interval = src.interval
    return row


def record_success(row: Source, src: SourceSettings, *, new_entries: int,
                   now: datetime | None = None) -> None:
    now = now or utcnow()
    row.failures = 0
    row.last_error = None
    row.last_run_at = row.last_success_at = now
    row.interval = adapt_interval(row.interval or src.interval, src.interval, new_entries > 0)
    _set_state(row, retry_after=None)


def record_failure(row: Source, message: str, *, retry_after: datetime | None = None,
                   now: datetime | None = None) -> None:
    now = now or utcnow()
    row.failures = (row.failures or 0) + 1
    row.last_error = redact(message)[:2000]  # a feed URL may carry a password, an API error a key
    row.last_run_at = now
    _set_state(row, retry_after=retry_after.isoformat() if retry_after else None)
    if row.failures >= MAX_FAILURES and not row.disabled:
        row.disabled = True
        log.warning("source %s disabled after %d failures in a row (last: %s); "
                    "`newsdesk sources enable %s` turns it back on",
                    row.name, row.failures, row.last_error, row.name)


def enable(row: Source) -> None:
    row.disabled = False
    row.failures = 0
    row.last_error = None
    row.next_run_at = None


def disable(row: Source) -> None:
    """Stop polling a source by hand (the dashboard's sources page); ``enable`` turns it back on."""
    row.disabled = True
    row.next_run_at = None


def adapt_interval(current: int, base: int, changed: bool) -> int:
    """Poll faster while a feed keeps changing, slower while it does not, within [base/2, 8×base]."""
    low, high = max(30, base // 2), base * MAX_STRETCH
    nxt = current // 2 if changed else int(current * 1.5)
    return max(low, min(high, nxt))


def next_delay(row: Source) -> timedelta:
    """How long after a run the source is due again (before jitter): back-off grows with failures."""
    delay = timedelta(seconds=row.interval or 900)
    if row.failures:
        delay = min(MAX_BACKOFF, delay * 2 ** min(row.failures, 10))
    return delay


def retry_after(row: Source) -> datetime | None:
    value = (row.state or {}).get("retry_after")
    return datetime.fromisoformat(value) if value else None


def _set_state(row: Source, **changes: Any) -> None:
    state = dict(row.state or {})  # a new dict, so SQLAlchemy sees the JSON column change
    for key, value in changes.items():
        if value is None:
            state.pop(key, None)
        else:
            state[key] = value
    row.state = state
