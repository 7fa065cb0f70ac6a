"""Agency names as the office reports them: full names and section names → the short form.

Imported releases name their unit loosely (``臺南市政府衛生局綜合企劃科``, ``發稿單位：教育局``);
the tally needs one name per agency: the city prefix and the section are dropped and, when the
settings know the agency, its short form is used (``臺北市政府都市發展局`` → ``都發局``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

UNKNOWN = "未標示"

_CITY_PREFIX = re.compile(r"^(?:(?:臺|台)(?:北|南|中)|新北|桃園|高雄|基隆|新竹|嘉義)市(?:政府)?")
# The agency is the text up to and including its first agency suffix; what follows is a section.
_AGENCY = re.compile(r"^(.+?(?:委員會|管理所|管理處|事業處|局|處|會|所|中心|公司|室))")
_ISSUER_LINE = re.compile(r"(?:發稿|發布|新聞發布)單位\s*[:：]\s*([^\s\n，,、；;：:（(]+)")


class AgencyNames:
    """Maps a unit name to an agency's short form; built from the settings' ``[[agencies]]``."""

    def __init__(self, agencies: Iterable[tuple[str, str]] = ()) -> None:
        self._full: dict[str, str] = {}
        for short, full in agencies:
            self._full[short] = short
            if full:
                self._full[full] = short
                self._full[_CITY_PREFIX.sub("", full)] = short
        self._cache: dict[str, str] = {}

    def short(self, unit: str | None) -> str:
        """The agency's short form for a unit (department or section) name, or :data:`UNKNOWN`."""
        unit = (unit or "").strip()
        if not unit:
            return UNKNOWN
        hit = self._cache.get(unit)
        if hit is None:
            hit = self._cache[unit] = self._resolve(unit)
        return hit

    def _resolve(self, unit: str) -> str:
        if unit in self._full:
            return self._full[unit]
        bare = _CITY_PREFIX.sub("", unit) or unit
        if bare in self._full:
            return self._full[bare]
        for full, short in self._full.items():
            if full and bare.startswith(full):
                return short
        m = _AGENCY.match(bare)
        return m.group(1) if m else bare


def issuer_from_body(body: str | None) -> str | None:
    """The unit on the body's ``發稿單位：`` line, if any."""
    m = _ISSUER_LINE.search(body or "")
    return m.group(1) if m else None
