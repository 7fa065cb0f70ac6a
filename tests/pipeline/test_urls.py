from __future__ import annotations

import pytest

from pipeline.urls import URLError, canonical_url


@pytest.mark.parametrize(("variant", "canonical"), [
    ("https://news.ltn.com.tw/news/life/breakingnews/4650000?utm_source=fb&utm_medium=social",
     "https://news.ltn.com.tw/news/life/breakingnews/4650000"),
    ("https://news.ltn.com.tw/amp/news/life/breakingnews/4650000",
     "https://news.ltn.com.tw/news/life/breakingnews/4650000"),
    ("http://udn.com/news/amp/story/7266/7890123#comments", "https://udn.com/news/story/7266/7890123"),
    ("https://m.cna.com.tw/news/aloc/202405010123.aspx?fbclid=IwAR0x",
     "https://cna.com.tw/news/aloc/202405010123.aspx"),
    ("https://WWW.Example.TW:443/a/b/?b=2&a=1&gclid=x", "https://example.tw/a/b?a=1&b=2"),
    ("https://example.tw/新聞/臺北", "https://example.tw/%E6%96%B0%E8%81%9E/%E8%87%BA%E5%8C%97"),
    ("https://example.tw/%e6%96%b0%e8%81%9e/%E8%87%BA%E5%8C%97/",
     "https://example.tw/%E6%96%B0%E8%81%9E/%E8%87%BA%E5%8C%97"),
    ("https://www.facebook.com/taipei/posts/123?__cft__[0]=AZX&__tn__=%2CO-R",
     "https://facebook.com/taipei/posts/123"),
    ("https://example.tw:8080/x", "https://example.tw:8080/x"),
])
def test_variants_fold_to_one_key(variant: str, canonical: str) -> None:
    assert canonical_url(variant) == canonical


def test_different_articles_stay_different() -> None:
    assert canonical_url("https://udn.com/story/1?id=1") != canonical_url("https://udn.com/story/1?id=2")
    assert canonical_url("https://example.tw/example") != canonical_url("https://example.tw/exa")


def test_a_broken_url_names_itself() -> None:
    with pytest.raises(URLError, match=r"'http://\[::1': not a URL"):
        canonical_url("http://[::1")
