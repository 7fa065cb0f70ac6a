"""Extraction on real pages (../shared/data/extraction), field by field.

The floors sit a little under what ``python benchmarks/extraction.py`` measures today (see the
issue-16 note), so a change that loses headlines, bodies, bylines or times on real pages fails here.
"""

from __future__ import annotations

import ast
import statistics
from pathlib import Path

import pytest

from benchmarks import extraction as bench
from crawlers.bylines import byline_names


@pytest.fixture(scope="module")
def data(shared_data: Path) -> Path:
    return shared_data / "extraction"


@pytest.fixture(scope="module")
def shared_data() -> Path:  # module scope: each set is extracted once for all its checks
    from tests.conftest import SHARED

    folder = SHARED / "data"
    if not (folder / "extraction").is_dir():
        pytest.skip(f"{folder / 'extraction'} is absent (the team's shared data ships beside the checkout)")
    return folder


def _scored(data: Path, name: str) -> list[bench.Scored]:
    return [bench.score(c, bench.newsdesk(c)) for c in bench.cases(data, [name])]


@pytest.fixture(scope="module")
def waddle(data: Path) -> list[bench.Scored]:
    return _scored(data, "waddle")


@pytest.fixture(scope="module")
def zh(data: Path) -> list[bench.Scored]:
    return _scored(data, "zh")


def test_waddle_bodies_and_headlines(waddle: list[bench.Scored]) -> None:
    """111 Taiwanese outlet pages of 2012: the article's text, not its menus or related lists."""
    assert len(waddle) == 111
    f1 = statistics.mean(r.body[2] for r in waddle if r.body)
    assert f1 >= 0.97, f1
    assert min(r.body[2] for r in waddle if r.body) >= 0.65  # no page loses its article
    assert sum(bool(r.title and r.title[1]) for r in waddle) >= 105
    assert sum(bool(r.title and r.title[0]) for r in waddle) >= 98
    titles = [r.result.title for r in waddle]
    assert not any(t in ("公視新聞網", "中國廣播公司全球資訊網") or "電子報" in t or "新聞網" in t for t in titles)


def test_waddle_never_returns_junk_authors(waddle: list[bench.Scored]) -> None:
    assert [r.junk for r in waddle if r.junk] == []


@pytest.mark.parametrize("channel", ["appledaily", "chinatimes", "cna", "ettoday", "ltn", "setn", "udn"])
def test_twnews_page_fields(data: Path, channel: str) -> None:
    """The checks of twnews' own test_soup_<channel>.py (title, time to the minute, reporter, body)."""
    case = next(c for c in bench.cases(data, ["twnews"]) if c.name == channel)
    r = bench.score(case, bench.newsdesk(case))
    assert r.title == (True, True), (r.result.title, case.title_in)
    assert r.time is True, (r.result.published, case.published)
    assert r.authors is True, (r.result.authors, case.authors)
    assert r.sentences is True, r.result.text[:200]


def _samples(data: Path, name: str) -> list[str]:
    tree = ast.parse((data / "twnews" / "test_soup_common.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            return [e.value for e in node.value.elts if isinstance(e, ast.Constant)]  # type: ignore[attr-defined]
    raise AssertionError(f"{name} not found")


def test_twnews_byline_samples(data: Path) -> None:
    """Bylines twnews' authors collected: each good one names a reporter, no desk or wire does."""
    good, bad = _samples(data, "good_samples"), _samples(data, "bad_samples")
    assert len(good) >= 8 and len(bad) >= 8
    assert [s for s in good if not byline_names(s)] == []
    assert {s: byline_names(s) for s in bad if byline_names(s)} == {}


def test_zh_web_content_bodies_times_and_authors(zh: list[bench.Scored]) -> None:
    """69 Chinese pages (mostly GB2312 forums and news): body, time to the gold's precision, authors."""
    assert statistics.mean(r.body[2] for r in zh if r.body) >= 0.89
    times = [r.time for r in zh if r.time is not None]
    assert sum(times) >= 36 and len(times) == 55
    assert sum(bool(r.authors) for r in zh) >= 22
    assert [r.junk for r in zh if r.junk] == []


def test_taipei_times_fields(data: Path) -> None:
    (r,) = _scored(data, "taipeitimes")
    assert r.title == (True, True) and r.time and r.authors and r.sentences
    assert r.body and r.body[2] >= 0.99
