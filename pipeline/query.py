"""The watchlist's boolean query language, for Chinese text without word spaces.

    query  := or
    or     := and ("OR" and)*
    and    := unary (["AND"] unary)*        two terms side by side mean AND
    unary  := "NOT" unary | near
    near   := atom (("NEAR" | "NEAR/n") atom)*   both within n characters (default [match] near)
    atom   := term | "phrase" | "(" or ")"

Operators are upper-case words; a term is any run of characters without spaces, quotes or
parentheses; a phrase keeps its spaces. Terms are folded like the text (:mod:`pipeline.textnorm`), so
台北 finds 臺北. Positions in errors count characters from 0 in the query as written.

Evaluation works on *spans*: a term yields its occurrences (the caller decides which occurrences
count, e.g. not 臺北 inside 新臺北), AND/OR keep the spans of their matching sides, NEAR keeps pairs
of spans within the distance, NOT matches when its operand does not and yields no span.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from pipeline.textnorm import fold_term

Span = tuple[int, int]
Finder = Callable[[str], list[Span]]
_TOKEN = re.compile(r'\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<q>")|(?P<word>[^\s()"]+))')
_NEAR = re.compile(r"^NEAR(?:/(\d+))?$")


class QueryError(ValueError):
    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"position {position}: {message}")
        self.position = position
        self.message = message


@dataclass(frozen=True)
class Term:
    text: str  # folded

    def spans(self, find: Finder) -> list[Span]:
        return find(self.text)

    def terms(self) -> list[str]:
        return [self.text]


@dataclass(frozen=True)
class Not:
    child: Node

    def spans(self, find: Finder) -> list[Span]:
        return []

    def matches(self, find: Finder) -> bool:
        return not matches(self.child, find)

    def terms(self) -> list[str]:
        return []


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]

    def spans(self, find: Finder) -> list[Span]:
        out: list[Span] = []
        for child in self.children:
            if not matches(child, find):
                return []
            out += child.spans(find)
        return out or [(-1, -1)]  # all sides are NOTs that hold: a match without a span

    def terms(self) -> list[str]:
        return [t for c in self.children for t in c.terms()]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]

    def spans(self, find: Finder) -> list[Span]:
        out: list[Span] = []
        for child in self.children:
            if isinstance(child, Not):
                if child.matches(find):
                    out.append((-1, -1))
            else:
                out += child.spans(find)
        return out

    def terms(self) -> list[str]:
        return [t for c in self.children for t in c.terms()]


@dataclass(frozen=True)
class Near:
    left: Node
    right: Node
    distance: int

    def spans(self, find: Finder) -> list[Span]:
        left = [s for s in self.left.spans(find) if s[0] >= 0]
        right = [s for s in self.right.spans(find) if s[0] >= 0]
        out: list[Span] = []
        for a in left:
            for b in right:
                gap = max(b[0] - a[1], a[0] - b[1], 0)
                if gap <= self.distance:
                    out += [a, b]
        return out

    def terms(self) -> list[str]:
        return self.left.terms() + self.right.terms()


Node = Term | Not | And | Or | Near


def matches(node: Node, find: Finder) -> bool:
    if isinstance(node, Not):
        return node.matches(find)
    return bool(node.spans(find))


def matched_terms(node: Node, find: Finder) -> list[str]:
    """The terms of ``node`` that occur (for display), in query order, without repeats."""
    seen: dict[str, None] = {}
    for t in node.terms():
        if find(t):
            seen.setdefault(t, None)
    return list(seen)


@dataclass
class _Tok:
    kind: str  # ( ) word phrase op
    value: str
    pos: int


def _tokens(query: str) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    while pos < len(query):
        m = _TOKEN.match(query, pos)
        if m is None:  # only trailing spaces are left
            break
        start = m.start(m.lastgroup) if m.lastgroup else m.end()
        if m.lastgroup == "lp":
            out.append(_Tok("(", "(", start))
        elif m.lastgroup == "rp":
            out.append(_Tok(")", ")", start))
        elif m.lastgroup == "q":
            close = query.find('"', m.end())
            if close < 0:
                raise QueryError('unterminated phrase: no closing "', start)
            phrase = query[m.end():close]
            if not phrase.strip():
                raise QueryError("empty phrase", start)
            out.append(_Tok("term", phrase, start))
            pos = close + 1
            continue
        elif m.lastgroup == "word":
            word = m.group("word")
            kind = "op" if word in ("AND", "OR", "NOT") or _NEAR.match(word) else "term"
            out.append(_Tok(kind, word, start))
        else:
            break
        pos = m.end()
    return out


class _Parser:
    def __init__(self, query: str, near: int) -> None:
        self.toks = _tokens(query)
        self.i = 0
        self.end = len(query)
        self.near = near

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def parse(self) -> Node:
        if not self.toks:
            raise QueryError("empty query", 0)
        node = self.parse_or()
        tok = self.peek()
        if tok is not None:
            raise QueryError(f"unexpected {tok.value!r}" + (" (no matching '(')" if tok.kind == ")" else ""),
                             tok.pos)
        return node

    def parse_or(self) -> Node:
        parts = [self.parse_and()]
        while (tok := self.peek()) is not None and tok.kind == "op" and tok.value == "OR":
            self.take()
            parts.append(self.parse_and())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def parse_and(self) -> Node:
        parts = [self.parse_unary()]
        while (tok := self.peek()) is not None and (
                tok.kind in ("term", "(") or (tok.kind == "op" and tok.value in ("AND", "NOT"))):
            if tok.value == "AND" and tok.kind == "op":
                self.take()
            parts.append(self.parse_unary())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def parse_unary(self) -> Node:
        tok = self.peek()
        if tok is not None and tok.kind == "op" and tok.value == "NOT":
            self.take()
            return Not(self.parse_unary())
        return self.parse_near()

    def parse_near(self) -> Node:
        node = self.parse_atom()
        while (tok := self.peek()) is not None and tok.kind == "op" and (m := _NEAR.match(tok.value)):
            self.take()
            right = self.parse_atom()
            if isinstance(node, Not) or isinstance(right, Not):
                raise QueryError("NOT cannot be an operand of NEAR", tok.pos)
            node = Near(node, right, int(m.group(1)) if m.group(1) else self.near)
        return node

    def parse_atom(self) -> Node:
        tok = self.peek()
        if tok is None:
            raise QueryError("expected a term, a phrase or '(' at the end of the query", self.end)
        if tok.kind == "term":
            self.take()
            folded = fold_term(tok.value)
            if not folded:
                raise QueryError("empty term", tok.pos)
            return Term(folded)
        if tok.kind == "(":
            self.take()
            node = self.parse_or()
            close = self.peek()
            if close is None or close.kind != ")":
                raise QueryError("'(' is never closed", tok.pos)
            self.take()
            return node
        if tok.kind == ")":
            raise QueryError("expected a term before ')'", tok.pos)
        raise QueryError(f"expected a term, a phrase or '(' but found operator {tok.value}", tok.pos)


def parse(query: str, near: int = 20) -> Node:
    """Parse ``query``; :class:`QueryError` says what is wrong and where."""
    return _Parser(query, near).parse()
