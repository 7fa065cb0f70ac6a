"""The boolean query language: operators, phrases, proximity, folding and precise errors."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pipeline.query import QueryError, matched_terms, matches, parse
from pipeline.textnorm import fold


def finder(text: str) -> Callable[[str], list[tuple[int, int]]]:
    key = fold(text)

    def find(term: str) -> list[tuple[int, int]]:
        out, at = [], key.find(term)
        while at >= 0:
            out.append((at, at + len(term)))
            at = key.find(term, at + 1)
        return out

    return find


NEWS = "台北捷運板南線今天上午號誌故障，列車延誤二十分鐘，北捷表示已派員搶修。"


@pytest.mark.parametrize(("query", "expected"), [
    ("捷運 AND 故障", True),
    ("捷運 故障", True),  # side by side means AND
    ("捷運 AND 火災", False),
    ("火災 OR 故障", True),
    ("捷運 AND NOT 火災", True),
    ("捷運 NOT 故障", False),
    ("(火災 OR 淹水) AND 捷運", False),
    ('"板南線今天"', True),
    ('"板南線 今天"', False),  # a phrase keeps its space
    ("臺北捷運", True),  # 臺 = 台
    ("台北捷运 AND 号志", True),  # Simplified finds Traditional
    ("號誌 NEAR/2 故障", True),
    ("捷運 NEAR/5 搶修", False),  # 捷運 … 搶修 are far apart
    ("捷運 NEAR 搶修", False),  # default distance 20: still too far (28 characters between)
    ("北捷 NEAR/5 搶修", True),  # 表示已派員: five characters between
    ("北捷 NEAR/4 搶修", False),
    ("(號誌 OR 月台門) NEAR/3 (故障 OR 異常)", True),
    ("NOT 火災", True),
])
def test_query_semantics(query: str, expected: bool) -> None:
    assert matches(parse(query), finder(NEWS)) is expected


def test_matched_terms_are_the_ones_present() -> None:
    node = parse("捷運 AND (故障 OR 火災 OR 延誤)")
    assert matched_terms(node, finder(NEWS)) == [fold("捷運"), "故障", fold("延誤")]


@pytest.mark.parametrize(("query", "position", "message"), [
    ("", 0, "empty query"),
    ("   ", 0, "empty query"),
    ("捷運 AND", 6, "expected a term"),
    ("(捷運 OR 故障", 0, "'(' is never closed"),
    ("捷運 OR 故障)", 8, "unexpected ')'"),
    ('捷運 AND "故障', 7, "unterminated phrase"),
    ("捷運 OR OR 故障", 6, "found operator OR"),
    ("捷運 NEAR/3 NOT 故障", 10, "found operator NOT"),
    ("NOT 捷運 NEAR 故障", None, None),  # valid: NOT (捷運 NEAR 故障)
    ('""', 0, "empty phrase"),
])
def test_errors_say_where(query: str, position: int | None, message: str | None) -> None:
    if message is None:
        parse(query)
        return
    with pytest.raises(QueryError) as exc:
        parse(query)
    assert exc.value.position == position
    assert message in str(exc.value)
