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


@pytest.mark.parametrize(("title", "expected"), [
    ("北市公車漲價 | 即時新聞 | 20141212", "北市公車漲價"),
    ("北市公車漲價 - 自由電子報 即時新聞", "北市公車漲價"),
    ("北市公車漲價｜新聞速報｜中時樂活", "北市公車漲價"),
    ("北市公車漲價 | 重點新聞 | 中央社即時新聞 CNA NEWS", "北市公車漲價"),
    ("北市公車漲價│三立新聞網 SETN.COM", "北市公車漲價"),
    ("自由電子報 - 北市公車漲價", "北市公車漲價"),
    ("中時醫療網:北市公車漲價", "北市公車漲價"),
    ("北市公車漲價-生活新聞-新浪新聞中心", "北市公車漲價"),
    ("勞委會：春節連假勞安不鬆懈", "勞委會：春節連假勞安不鬆懈"),  # a colon inside a headline stays
    ("EC-225救護直升機 空軍正式亮相", "EC-225救護直升機 空軍正式亮相"),
])
def test_site_names_and_section_labels_are_peeled(title: str, expected: str) -> None:
    from crawlers.outlets import outlet_names
    from crawlers.titles import fold, peel

    assert peel(title, {fold(n) for n in outlet_names()}) == expected


@pytest.mark.parametrize("title", ["中國廣播公司全球資訊網", "風傳媒 一個有國際觀的新媒體", "中時理財 - 中時電子報",
                                   "公視新聞網"])
def test_a_site_name_is_never_the_headline(title: str) -> None:
    html = (f"<html><head><title>{title}</title></head><body><div><a href='/'>首頁</a></div>"
            f"<table><tr><td>北市社宅抽籤今登場</td></tr><tr><td><p>{BODY}</p><p>{BODY}</p></td></tr></table>"
            "</body></html>")
    ex = extract(html.encode(), "https://example.org/x/1")
    assert ex.title == "北市社宅抽籤今登場"


def test_site_labels_are_learned_per_host_across_pages() -> None:
    from crawlers.titles import SiteNames

    memory = SiteNames()
    titles = ["颱風假怎麼放 | 掃除真easy | 聯合新聞網", "年菜怎麼煮 | 掃除真easy | 聯合新聞網"]
    got = [extract(article(title="x").replace("<title>x - 新聞網</title>", f"<title>{t}</title>")
                   .replace('content="x"', "").replace("<h1>x</h1>", "").encode(),
                   f"https://udn.example/n/{i}", site_names=memory).title for i, t in enumerate(titles)]
    assert got == ["颱風假怎麼放 | 掃除真easy", "年菜怎麼煮"]  # the column's name is a label from page two


@pytest.mark.parametrize("value", [["@ Http", "Udn Com"], ["Designer by NEWMEDIAMAX digital‧www.newmediamax.com.tw"],
                                   ["想追蹤 的最新消息"], ["中時電子報"], ["三立新聞網"], ["https://www.facebook.com/ETtoday"]])
def test_junk_is_never_an_author(value: list[str]) -> None:
    from crawlers.bylines import person_names
    from crawlers.outlets import outlet_names
    from crawlers.titles import fold

    assert person_names(value, {fold(n) for n in outlet_names()}) == []


@pytest.mark.parametrize(("text", "expected"), [
    ("發布時間：2014-04-30 14:49", (2014, 4, 30, 14, 49)),
    ("2013/06/29 19:35", (2013, 6, 29, 19, 35)),
    ("2012.01.17 02:45 pm", (2012, 1, 17, 14, 45)),
    ("15:312018/09/16 中時 謝明俊", (2018, 9, 16, 15, 31)),
    ("103年4月30日 下午2時49分", (2014, 4, 30, 14, 49)),
    ("2018年11月28日(週三) 14:08", (2018, 11, 28, 14, 8)),
])
def test_time_of_day_forms(text: str, expected: tuple[int, ...]) -> None:
    from crawlers.dates import find_dates

    (_, found, timed, _), *_ = find_dates(text)
    assert timed and (found.year, found.month, found.day, found.hour, found.minute) == expected


def test_a_bare_day_in_metadata_takes_the_time_the_page_shows() -> None:
    html = article(published="2014-04-30").replace("<article>", "<article><span>2014-04-30 14:49</span>")
    ex = extract(html.encode(), "https://example.org/t/1")
    assert ex.published_at == datetime.fromisoformat("2014-04-30T14:49:00+08:00")


def test_the_suicide_prevention_notice_leaves_but_a_quote_with_its_words_stays() -> None:
    from crawlers.body import clean

    quote = "政委陳時中受訪時表示，大家要珍惜生命，沒有人是爛命一條，政府會持續提供協助。"
    text = "\n".join([
        "台北市今天發生一起意外，警方到場處理，詳細原因仍在調查中。", quote,
        "珍惜生命，再給自己一次機會",
        "自殺防治諮詢安心專線：1925；生命線協談專線：1995",
    ])
    kept, _ = clean(text, "台北市意外", set())
    assert quote in kept and "1925" not in kept and "再給自己一次機會" not in kept


def test_a_headline_with_its_own_separator_is_kept_whole() -> None:
    title = "白色永遠不退流行｜ Maje ：以法式優雅打造夏日清新風格＆全新台北 101 概念店同步亮相"
    html = (f"<html><head><title>{title}｜風傳媒</title><meta property='og:title' content='{title}｜風傳媒'>"
            f"<meta property='og:site_name' content='風傳媒'></head><body><article><h1>{title}</h1>"
            "<p>法國品牌Maje今天在台北101開設全新概念店，以白色為主調，呈現夏日清新風格，吸引不少民眾到場參觀。</p>"
            "</article></body></html>")
    assert extract(html.encode(), "https://www.storm.mg/lifestyle/1").title == title
