"""Text folding for matching and clustering: one key per spelling, whatever the script or width.

``fold`` is NFKC (full-width → half-width, compatibility forms), then one character table built from
OpenCC's dictionaries that maps every Traditional character and Taiwan/Hong Kong variant to its
Simplified form (臺/台/颱 → 台, 發/髮 → 发), and ASCII to lower case. The table maps one character to
one character, so a folded string lines up with the NFKC text position by position, which is what
:func:`highlight` relies on. Folding to Simplified is many-to-one, the safe direction for matching;
the folded text is a key, not something to show (show the original).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path

import opencc

_DICTS = Path(opencc.__file__).with_name("dictionary")
_SPACE = re.compile(r"\s+")


def _read_pairs(name: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for line in (_DICTS / name).read_text(encoding="utf-8").splitlines():
        src, _, dst = line.partition("\t")
        first = dst.split(" ")[0] if dst else ""
        if len(src) == 1 and len(first) == 1:
            pairs[src] = first
    return pairs


@cache
def fold_table() -> dict[int, str]:
    """Character → folded character (Simplified, lower-case ASCII); built once per process."""
    to_simp = _read_pairs("TSCharacters.txt")
    table: dict[int, str] = {}
    for variants in ("TWVariants.txt", "HKVariants.txt"):
        for var, std in _read_pairs(variants).items():
            table[ord(var)] = to_simp.get(std, std)
    for trad, simp in to_simp.items():
        table[ord(trad)] = simp
    for c in range(ord("A"), ord("Z") + 1):
        table[c] = chr(c + 32)
    return table


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def fold(text: str) -> str:
    """The matching key of ``text``: NFKC, one script, lower-case ASCII, whitespace collapsed."""
    return _SPACE.sub(" ", nfkc(text).translate(fold_table())).strip()


def fold_term(term: str) -> str:
    """A watchlist term folded the same way as the text it is looked for in."""
    return fold(term)


def highlight(text: str, terms: list[str], width: int = 30,
              mark: tuple[str, str] = ("【", "】")) -> list[str]:
    """Snippets of ``text`` (NFKC form, original script) around each folded term, term marked."""
    return Highlighter(text).snippets(terms, width, mark)


class Highlighter:
    """Marks folded terms in the shown (NFKC, original script) text; folds the text once."""

    def __init__(self, text: str) -> None:
        self.shown = _SPACE.sub(" ", nfkc(text)).strip()
        self.key = self.shown.translate(fold_table())

    def snippets(self, terms: list[str], width: int = 30,
                 mark: tuple[str, str] = ("【", "】")) -> list[str]:
        out: list[str] = []
        for term in terms:
            at = self.key.find(term)
            if at < 0:
                continue
            end = at + len(term)
            out.append(self.shown[max(0, at - width):at] + mark[0] + self.shown[at:end] + mark[1]
                       + self.shown[end:end + width])
        return out


def _own_script(name: str) -> frozenset[str]:
    """Characters of a script that never stand for themselves in the other (發 in Traditional)."""
    out = set()
    for line in (_DICTS / name).read_text(encoding="utf-8").splitlines():
        src, _, dst = line.partition("\t")
        if len(src) == 1 and src not in dst.split(" "):
            out.add(src)
    return frozenset(out)


@cache
def script_specific() -> tuple[frozenset[str], frozenset[str]]:
    """(Traditional-only characters, Simplified-only characters), for telling the scripts apart."""
    return _own_script("TSCharacters.txt"), _own_script("STCharacters.txt")
