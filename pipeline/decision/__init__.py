"""The alert decision: is this item negative coverage of *our* government that someone here must answer?

Three questions, asked of every collected item by one trained model (:mod:`pipeline.decision.model`)
and combined with the office's settings (:mod:`pipeline.decision.combine`):

1. **Which government does it concern most?** One of :data:`GOVERNMENTS` (the labelling guide's
   classes, ``../shared/docs/NEEDS-RESPONSE.md``). ``[office] government`` names the office's own;
   an item about another government never needs a response from this office.
2. **Does it need a response?** P(negative coverage of that government that its press office must
   flag), from the model's head, the lexical model and the settings' watchlist, combined by a small
   logistic regression fitted on held-out labelled items. ``score`` is P(needs a response from *us*).
3. **Which bureau answers?** The model's agency head together with the watchlist's matches, among
   the office's ``[[agencies]]`` plus :data:`CITY_WIDE` (the mayor or the city as a whole).

The model folder is loaded lazily, once per process (``get_decider``); everything else is a
function of (texts, settings), so the in-process runner and a worker make the same decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from pipeline.items import Match
    from pipeline.settings import Settings

#: The governments the model tells apart (codes of the labelling guide).
GOVERNMENTS = ("TPE", "NTPC", "KHH", "TXG", "TYN", "TNN", "OTHER_LOCAL", "CENTRAL", "NONE")
#: What each code means, for people (reasons, the dashboard, ``config check``).
GOVERNMENT_NAMES = {
    "TPE": "臺北市政府", "NTPC": "新北市政府", "KHH": "高雄市政府", "TXG": "臺中市政府",
    "TYN": "桃園市政府", "TNN": "臺南市政府", "OTHER_LOCAL": "其他縣市政府", "CENTRAL": "中央政府",
    "NONE": "非政府",
}
#: The routing answer for the mayor or the city government as a whole.
CITY_WIDE = "市府"
#: The labels' "no single agency fits".
NO_AGENCY = "無"


class DecisionError(Exception):
    """The decision model folder is missing or corrupt; the message names it and how to rebuild."""


@dataclass(frozen=True)
class Doc:
    """What the decision reads of an item: its title, text, and the watchlist's matches."""

    title: str
    text: str = ""
    outlet: str | None = None
    matches: Sequence[Match] = ()


@dataclass
class Decision:
    """The decision for one item (``score`` is P(needs a response from the office's government))."""

    government: str
    government_p: float
    ours_p: float
    score: float
    needs_response: bool
    agency: str | None
    agency_p: float
    reasons: list[str] = field(default_factory=list)
    model: str = ""
    version: str = ""
    emotion: float | None = None  # P(negative emotion), when the model has that head

    def to_dict(self) -> dict[str, Any]:
        return {"government": self.government, "government_p": round(self.government_p, 4),
                "ours_p": round(self.ours_p, 4), "score": round(self.score, 4),
                "needs_response": self.needs_response, "agency": self.agency,
                "agency_p": round(self.agency_p, 4), "reasons": list(self.reasons),
                "model": self.model, "version": self.version}


class Decider(Protocol):
    """Decides items in batches; results come back in input order."""

    name: str
    version: str

    def decide(self, docs: Sequence[Doc], /) -> list[Decision]: ...


def get_decider(settings: Settings) -> Decider:
    """The decider for these settings; the model folder is loaded on first use and kept."""
    from pipeline.decision.model import FolderDecider, load_folder, resolve

    return FolderDecider(load_folder(resolve(settings)), settings)
