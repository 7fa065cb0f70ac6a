"""URL canonicalisation: one key per article whatever tracking parameters or AMP/mobile variant."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_TRACKING = re.compile(r"^(utm_\w+|fbclid|gclid|yclid|mc_[ce]id|ref|ref_src|from|cid|_ga|igshid|"
                       r"share|openExternalBrowser|spm)$", re.I)
_MOBILE_HOST = re.compile(r"^(m|amp|mobile|www)\.")


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, drop ``www.``/``m.``/``amp.``, tracking parameters, fragments,
    ``/amp`` path suffixes and a trailing slash; keep the remaining query sorted."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    while _MOBILE_HOST.match(host):
        host = _MOBILE_HOST.sub("", host, count=1)
    if parts.port and not ((parts.scheme == "http" and parts.port == 80) or
                           (parts.scheme == "https" and parts.port == 443)):
        host = f"{host}:{parts.port}"
    path = re.sub(r"/amp/?$|\.amp$", "", parts.path) or "/"
    if len(path) > 1:
        path = path.rstrip("/")
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                   if not _TRACKING.match(k))
    return urlunsplit(("https" if parts.scheme in ("http", "https") else parts.scheme, host, path,
                       urlencode(query), ""))
