"""Match: route an item to agencies through the watchlist (agencies, topics, officials).

Rules are compiled once per settings object (:func:`watchlist`). Every term is looked for in the
folded title and body (台北 = 臺北, Simplified = Traditional). An occurrence does not count when it
lies inside another place's name or right after it (``[match] other_places``): 臺北 in 新臺北, 北市
in 新北市, 交通局 in 高雄市交通局. An item that names another place and nothing of the office's city
(``[match] home_terms`` and the office's city) keeps only its officials' matches and terms that
themselves name the city (臺北市政府交通局, 北捷), so another city's MRT story is not Taipei's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipeline import query
from pipeline.items import Item, Match
from pipeline.settings import ConfigError, Settings
from pipeline.stages import Context
from pipeline.textnorm import Highlighter, fold_term

_AFTER_PLACE = re.compile(r"(?:市|縣|县)?(?:政府)?")


@dataclass(frozen=True)
class Rule:
    name: str
    kind: str  # keyword | topic | official
    agencies: tuple[str, ...]
    terms: tuple[str, ...] = ()  # folded; any of them matches (keyword, official)
    query: query.Node | None = None  # topic


@dataclass
class Watchlist:
    rules: list[Rule]
    places: list[str]
    home: list[str]
    display: dict[str, str] = field(default_factory=dict)  # folded term -> as written in the settings


@dataclass
class _Text:
    """One item's folded text with the spans that belong to other places; finds valid occurrences."""

    text: str
    places: list[str]
    home: list[str]
    blocked: list[tuple[int, int]] = field(default_factory=list)
    cache: dict[str, list[query.Span]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for place in self.places:
            if place in self.text:
                self.blocked += _occurrences(self.text, place)
        if self.blocked:  # 新北 inside 新北投 (a Taipei district) is no other place
            ours = [o for h in self.home if h in self.text for o in _occurrences(self.text, h)]
            self.blocked = [(a, b) for a, b in self.blocked if not any(s <= a and b <= e for s, e in ours)]

    def find(self, term: str) -> list[query.Span]:
        if term not in self.cache:
            self.cache[term] = [s for s in _occurrences(self.text, term) if not self._foreign(s)] \
                if term in self.text else []
        return self.cache[term]

    def _foreign(self, span: query.Span) -> bool:
        s, e = span
        for a, b in self.blocked:
            if s < b and a < e and not (s <= a and b <= e):
                return True  # overlaps another place's name without containing it
            if b <= s and _AFTER_PLACE.fullmatch(self.text, b, s):
                return True  # attached to it: 高雄市交通局
        return False


def _occurrences(text: str, term: str) -> list[query.Span]:
    out = []
    at = text.find(term)
    while at >= 0:
        out.append((at, at + len(term)))
        at = text.find(term, at + 1)
    return out


def _terms(*groups: list[str] | str) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for g in groups:
        for t in [g] if isinstance(g, str) else g:
            f = fold_term(t)
            if f:
                seen.setdefault(f, None)
    return tuple(seen)


def compile_watchlist(settings: Settings) -> Watchlist:
    """Rules from the settings; a malformed topic query raises ``ConfigError`` naming it."""
    rules = [Rule(f"agency:{a.short}", "keyword", (a.short,), _terms(a.short, a.name, a.keywords))
             for a in settings.agencies]
    for off in settings.officials:
        rules.append(Rule(f"official:{off.name}", "official", (off.agency or settings.office.name,),
                          _terms(off.name, off.aliases)))
    for i, topic in enumerate(settings.topics):
        try:
            node = query.parse(topic.query, settings.match.near)
        except query.QueryError as exc:
            origin = settings.config_path or "settings"
            raise ConfigError(f"{origin}: topics.{i}.query: {exc} in {topic.query!r}") from None
        rules.append(Rule(f"topic:{topic.name}", "topic", tuple(topic.agencies or [settings.office.name]),
                          query=node))
    home = list(_terms(settings.office.city, settings.home_terms()))
    places = [p for p in _terms(settings.other_places()) if p not in home]  # 高雄 is home to Kaohsiung's office
    return Watchlist(rules, places, home, _display(settings))


def _display(settings: Settings) -> dict[str, str]:
    written = [settings.office.city, *settings.home_terms()]
    for a in settings.agencies:
        written += [a.short, a.name, *a.keywords]
    for off in settings.officials:
        written += [off.name, *off.aliases]
    for topic in settings.topics:
        written += re.findall(r'"([^"]+)"|([^\s()"]+)', topic.query) and [
            x or y for x, y in re.findall(r'"([^"]+)"|([^\s()"]+)', topic.query)]
    out: dict[str, str] = {}
    for w in written:
        out.setdefault(fold_term(w), w)
    return out


_CACHE: dict[int, tuple[Settings, Watchlist]] = {}


def watchlist(settings: Settings) -> Watchlist:
    """The compiled rules for these settings (kept per settings object, a few at most)."""
    hit = _CACHE.get(id(settings))
    if hit is None or hit[0] is not settings:
        if len(_CACHE) > 8:
            _CACHE.clear()
        hit = _CACHE[id(settings)] = (settings, compile_watchlist(settings))
    return hit[1]


def find_matches(title: str, text: str, wl: Watchlist) -> list[Match]:
    """Matches of folded ``title`` + ``text`` against the watchlist."""
    doc = _Text(f"{title}\n{text}", wl.places, wl.home)
    found: list[Match] = []
    for rule in wl.rules:
        if rule.query is not None:
            if query.matches(rule.query, doc.find):
                found.append(Match(rule.name, list(rule.agencies), query.matched_terms(rule.query, doc.find),
                                   rule.kind))
        else:
            hits = [t for t in rule.terms if t in doc.text and doc.find(t)]
            if hits:
                found.append(Match(rule.name, list(rule.agencies), hits, rule.kind))
    if found and doc.blocked and not any(doc.find(h) for h in wl.home):
        found = _home_only(found, wl.home)
    return found


def place_mentions(folded: str, wl: Watchlist) -> tuple[bool, bool]:
    """(names the office's city, names another place) in a folded text; 新北 in 新北投 is the city's."""
    doc = _Text(folded, wl.places, wl.home)
    return any(doc.find(h) for h in wl.home), bool(doc.blocked)


def _home_only(found: list[Match], home: list[str]) -> list[Match]:
    """The matches that still hold for an item about another place."""
    kept = []
    for m in found:
        if m.kind == "official":
            kept.append(m)
            continue
        terms = [t for t in m.terms if any(h in t for h in home)]
        if terms:
            kept.append(Match(m.rule, m.agencies, terms, m.kind))
    return kept


def match(item: Item, ctx: Context) -> Item:
    """Fill ``item.matches`` and ``item.meta['highlights']`` (rule -> marked snippets)."""
    wl = watchlist(ctx.settings)
    found = find_matches(item.norm_title or "", item.norm_text or "", wl)
    if found:
        marker = Highlighter(f"{item.title}\n{item.text}")
        item.meta["highlights"] = {m.rule: marker.snippets(m.terms[:3])[:3] for m in found}
        for m in found:  # show the terms as the office wrote them, not as folded keys
            m.terms = [wl.display.get(t, t) for t in m.terms]
        ctx.incr("match:matched")
    else:
        ctx.incr("match:none")
    item.matches = found
    return item
