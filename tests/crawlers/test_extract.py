from __future__ import annotations

import gzip
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from crawlers.extract import extract
from crawlers.page import PageError
from tests.crawlers.pages import BODY, article


def test_fields_from_meta_and_body() -> None:
    ex = extract(article().encode("utf-8"), "https://example.org/news/2024/10/16/1?utm_source=x")
    assert ex.title == "臺北捷運環狀線進度"
    assert BODY[:30] in ex.text
    assert "版權所有" not in ex.text and "首頁" not in ex.text
    assert ex.published_at == datetime.fromisoformat("2024-10-16T10:20:00+08:00")
    assert ex.authors == ["王小明"]
    assert ex.language == "zh-Hant"
    assert ex.canonical_url == "https://example.org/news/2024/10/16/1"
    assert ex.confidence == 1.0 and ex.warnings == []


@pytest.mark.parametrize("declared", ["big5", "utf-8", "iso-8859-1", None])
def test_big5_page_whatever_it_declares(declared: str | None) -> None:
    html = article(charset=declared or "")
    if declared is None:
        html = html.replace('<meta charset="">', "")
    ex = extract(html.encode("cp950"), "https://example.org/a/20241016",
                 f"text/html; charset={declared}" if declared else "text/html")
    assert ex.title == "臺北捷運環狀線進度"
    assert BODY[:30] in ex.text
    assert ex.encoding in ("cp950", "big5hkscs")
    if declared != "big5":
        assert any("charset" in w for w in ex.warnings)


def test_gb2312_page_labelled_utf8() -> None:
    body = "台北市政府今日表示，捷运环状线工程进度顺利，预计明年完工通车。" * 3
    simplified = article(title="台北捷运进度", body=body)
    ex = extract(simplified.encode("gb18030"), "https://example.org/b/20241016", "text/html; charset=utf-8")
    assert ex.title == "台北捷运进度"
    assert ex.language == "zh-Hans"
    assert ex.encoding == "gb18030"


def test_json_ld_fields_and_naive_date_is_taipei() -> None:
    ld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": "市府記者會",
          "datePublished": "2024-09-02 14:30", "author": [{"@type": "Person", "name": "李四"}],
          "inLanguage": "zh-TW"}
    script = f'<script type="application/ld+json">{json.dumps(ld, ensure_ascii=False)}</script>'
    html = article(extra_head=script).replace("<h1>臺北捷運環狀線進度</h1>", "")
    ex = extract(html.encode(), "https://example.org/c/20240902")
    assert ex.title == "市府記者會"  # JSON-LD first among the metadata when no heading settles it
    assert ex.authors == ["李四"]
    shown = extract(article(extra_head=script).encode(), "https://example.org/c/20240902")
    assert shown.title == "臺北捷運環狀線進度"  # the page's own heading confirms og:title
    assert ex.published_at is not None and ex.published_at.utcoffset() == timedelta(hours=8)
    assert ex.published_at.hour == 14


def test_roc_date_in_text_when_no_metadata() -> None:
    html = ("<html><head><title>公告</title></head><body><div><p>發布日期：113年9月2日</p>"
            f"<p>{BODY}</p><p>{BODY}</p></div></body></html>")
    ex = extract(html.encode(), "https://example.org/d/1")
    assert ex.published_at is not None
    assert (ex.published_at.year, ex.published_at.month, ex.published_at.day) == (2024, 9, 2)


def test_truncated_html_still_extracts() -> None:
    html = article().encode()
    ex = extract(html[: len(html) * 2 // 3], "https://example.org/e/20241016")
    assert ex.title == "臺北捷運環狀線進度"
    assert BODY[:20] in ex.text


def test_empty_and_binary_bodies() -> None:
    with pytest.raises(PageError, match="https://example.org/f"):
        extract(b"", "https://example.org/f")
    ex = extract(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "https://example.org/g")
    assert ex.confidence < 0.5 and ex.warnings


def test_taipei_times_stored_page(shared_data: Path) -> None:
    folder = shared_data / "extraction" / "taipeitimes"
    expected = json.loads((folder / "TaipeiTimes.json").read_text())["V1"]
    meta = json.loads((folder / "meta.info").read_text())["TaipeiTimes_2024_10_15.html.gz"]
    ex = extract(gzip.decompress((folder / "TaipeiTimes_2024_10_15.html.gz").read_bytes()), meta["url"])
    assert ex.title == expected["title"]
    assert ex.authors == expected["authors"]
    assert ex.published_at == datetime.fromisoformat(expected["publishing_date"])
    paragraphs = [p for s in expected["body"]["sections"] for p in s["paragraphs"]]
    assert all(p in ex.text for p in paragraphs)


def test_byline_and_editor_credit_leave_the_body_but_name_the_authors() -> None:
    from crawlers.extract import strip_credits

    text = ("（中央社記者王小明台北2日電）臺北市政府今天表示，環狀線進度超前。\n第二段。\n"
            "（編輯：李大同）1130902")
    assert strip_credits(text) == "臺北市政府今天表示，環狀線進度超前。\n第二段。"
    assert strip_credits("〔記者張三／台北報導〕市府今天說明。") == "市府今天說明。"
    assert strip_credits("記者會今天舉行。") == "記者會今天舉行。"  # not a byline
    html = article(author="", body="〔記者陳美玲、林志強／台北報導〕" + BODY)
    ex = extract(html.replace('<meta name="author" content="">', "").encode(), "https://example.org/n/2")
    assert ex.authors == ["陳美玲", "林志強"]
    assert not ex.text.startswith("〔記者")


@pytest.mark.parametrize(("text", "expected"), [
    ("發布日期：113年9月2日", (2024, 9, 2, 0, 0)),
    ("發布日期：113/09/02 14:30", (2024, 9, 2, 14, 30)),
    ("更新時間 2024-05-07 21:23:57", (2024, 5, 7, 21, 23)),
    ("2024年10月16日 下午 3:05", (2024, 10, 16, 15, 5)),
    ("2024年10月16日 上午 9:05", (2024, 10, 16, 9, 5)),
    ("比數 3/2/1 沒有日期", None),
])
def test_find_date_forms(text: str, expected: tuple[int, ...] | None) -> None:
    from crawlers.dates import TAIPEI, find_date

    found = find_date(text)
    if expected is None:
        assert found is None
    else:
        assert found is not None and found.tzinfo is TAIPEI
        assert (found.year, found.month, found.day, found.hour, found.minute) == expected
