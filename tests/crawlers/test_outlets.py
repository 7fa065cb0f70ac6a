"""The registry is complete and unique, and every outlet's parser reads its stored page."""

from __future__ import annotations

import gzip
import json
from datetime import datetime

import pytest

from crawlers.extract import extract
from crawlers.outlets import REGISTRY, Outlet, RegistryError, check, find_outlet
from crawlers.parsers import Parser
from tests.crawlers.conftest import FIXTURES

PAGES = FIXTURES / "outlets"
REQUIRED = {"cna", "focustaiwan", "ltn", "taipeitimes", "udn", "chinatimes", "ettoday", "setn", "tvbs",
            "storm", "nownews", "pts", "yahoo", "taipei-gov"}


def _bigram_f1(pred: str, gold: str) -> float:
    from collections import Counter

    def grams(t: str) -> Counter[str]:
        t = "".join(t.split())
        return Counter(t[i:i + 2] for i in range(len(t) - 1))

    p, g = grams(pred), grams(gold)
    tp = sum((p & g).values())
    return 0.0 if not tp else 2 * tp / (sum(p.values()) + sum(g.values()))


def test_registry_has_the_required_outlets() -> None:
    assert REQUIRED <= set(REGISTRY)


def test_incomplete_declaration_is_refused() -> None:
    with pytest.raises(RegistryError, match="'x'.*missing feeds/sitemaps/listings"):
        check([Outlet("x", "X", ("x.example",), "zh-Hant")])
    with pytest.raises(RegistryError, match="missing title"):
        check([Outlet("y", "", ("y.example",), "zh-Hant", feeds=("https://y.example/rss",))])


def test_duplicates_are_refused() -> None:
    a = Outlet("a", "A", ("a.example",), "en", feeds=("https://a.example/rss",))
    with pytest.raises(RegistryError, match="declared twice"):
        check([a, a])
    b = Outlet("b", "B", ("a.example",), "en", feeds=("https://b.example/rss",))
    with pytest.raises(RegistryError, match="'a.example' is declared by both"):
        check([a, b])


def test_find_outlet_by_subdomain() -> None:
    assert find_outlet("https://news.ltn.com.tw/news/1")is REGISTRY["ltn"]
    assert find_outlet("https://m.udn.com/news/story/1") is REGISTRY["udn"]
    assert find_outlet("https://example.com/") is None


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_outlet_has_a_stored_page(name: str) -> None:
    assert (PAGES / f"{name}.html.gz").is_file(), f"no fixture page for outlet {name}: run generate.py"
    assert isinstance(REGISTRY[name].parser, Parser)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_parser_reads_stored_page(name: str) -> None:
    want = json.loads((PAGES / f"{name}.json").read_text(encoding="utf-8"))
    ex = extract(gzip.decompress((PAGES / f"{name}.html.gz").read_bytes()), want["url"])
    assert ex.outlet == name
    assert ex.title == want["title"]
    assert ex.published_at == datetime.fromisoformat(want["published_at"])
    assert ex.authors == want["authors"]
    assert ex.language.split("-")[0] == want["language"].split("-")[0]  # type: ignore[union-attr]
    gold = "\n".join(want["paragraphs"])
    assert _bigram_f1(ex.text, gold) >= 0.9, ex.text
    assert "相關新聞" not in ex.text and "版權所有" not in ex.text
    assert ex.confidence == 1.0, ex.warnings


def test_changed_markup_is_reported_not_stored_as_garbage() -> None:
    want = json.loads((PAGES / "udn.json").read_text(encoding="utf-8"))
    html = gzip.decompress((PAGES / "udn.html.gz").read_bytes()).decode()
    redesigned = (html.replace("article-content__editor", "story-body")
                  .replace("article-content__title", "headline"))
    ex = extract(redesigned.encode(), want["url"])
    assert any("udn parser found no text" in w for w in ex.warnings)
    assert any("udn parser found no title" in w for w in ex.warnings)
    assert ex.confidence < 1.0
    assert ex.title == want["title"]  # from JSON-LD, the generic reading


def test_selector_matching_a_fragment_falls_back() -> None:
    """The LTN body selector now matches only a teaser paragraph: the generic reading is used."""
    want = json.loads((PAGES / "ltn.json").read_text(encoding="utf-8"))
    html = gzip.decompress((PAGES / "ltn.html.gz").read_bytes()).decode()
    html = html.replace('<div class="text boxTitle">',
                        '<div class="text boxTitle"><p>看更多</p></div><div class="story">')
    html = html.replace("<body>", '<body><div class="text"><p>導讀：北市交通疏運</p></div>', 1)
    ex = extract(html.encode(), want["url"])
    assert any("ltn parser found only a fragment of the text" in w for w in ex.warnings)
    assert all(p in ex.text for p in want["paragraphs"])
