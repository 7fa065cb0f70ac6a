"""URL canonicalisation: one key per article whatever tracking parameters or AMP/mobile variant."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

_TRACKING = re.compile(
    r"^(utm_\w+|fbclid|gclid|gclsrc|dclid|yclid|msclkid|twclid|igshid|mc_[ce]id|_ga|_gl|ref|ref_src|ref_url|"
    r"from|from_source|cid|s_cid|share|shared|openExternalBrowser|spm|__tn__|__cft__.*|mibextid|"
    r"outputType|amp|_branch_match_id|li_fat_id)$", re.I)
_MOBILE_HOST = re.compile(r"^(m|amp|mobile|www)\.")
_SAFE_PATH = "/:@!$&'()*+,;=-._~"


class URLError(ValueError):
    """A URL that cannot be canonicalised; the message names it."""


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, drop ``www.``/``m.``/``amp.``, tracking parameters, fragments,
    ``amp`` path segments (``/amp/…``, ``…/amp``, ``.amp``) and a trailing slash; one percent-encoding
    of the path; keep the remaining query sorted."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise URLError(f"{url!r}: not a URL ({exc})") from None
    host = (parts.hostname or "").lower().rstrip(".")
    while _MOBILE_HOST.match(host):
        host = _MOBILE_HOST.sub("", host, count=1)
    if port and not ((parts.scheme == "http" and port == 80) or (parts.scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    path = re.sub(r"\.amp$", "", parts.path)
    path = "/".join(seg for seg in path.split("/") if seg.lower() != "amp") or "/"
    path = quote(unquote(path), safe=_SAFE_PATH + "%") if "%" in path or not path.isascii() else path
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                   if not _TRACKING.match(k))
    return urlunsplit(("https" if parts.scheme in ("http", "https") else parts.scheme, host, path,
                       urlencode(query), ""))
