"""ROC (民國) dates: year = Gregorian year - 1911. The one parser every command shares."""

from __future__ import annotations

import re
from datetime import date

ROC_OFFSET = 1911
_ROC_DATE = re.compile(r"^\s*(?:中華民國)?(\d{2,3})\s*[年/.-]\s*(\d{1,2})\s*[月/.-]\s*(\d{1,2})\s*日?\s*$")


def parse_date(text: str) -> date:
    """ISO ``2024-09-02`` or ROC ``113年9月2日`` / ``113/9/2`` / ``113-09-02``; the error names the text."""
    text = text.strip()
    m = _ROC_DATE.match(text)
    try:
        if m:
            return date(int(m.group(1)) + ROC_OFFSET, int(m.group(2)), int(m.group(3)))
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date (use 2024-09-02 or 113年9月2日)") from None
