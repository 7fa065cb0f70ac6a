"""Where an item is: does it name the office's city, or only another place? (settings: ``[match]``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pipeline.textnorm import fold

if TYPE_CHECKING:
    from pipeline.settings import Settings
    from pipeline.stages.match import Watchlist


@dataclass(frozen=True)
class Places:
    watchlist: Watchlist

    @classmethod
    def from_settings(cls, settings: Settings) -> Places:
        from pipeline.stages.match import watchlist

        return cls(watchlist(settings))

    def mentions(self, text: str) -> tuple[bool, bool]:
        """(names the city, names another place)."""
        from pipeline.stages.match import place_mentions

        return place_mentions(fold(text), self.watchlist)
