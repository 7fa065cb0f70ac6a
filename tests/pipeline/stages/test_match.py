"""Watchlist matching and routing with real headlines: 臺/台, other cities, officials, topics."""

from __future__ import annotations

import pytest

from pipeline.items import Item
from pipeline.settings import ConfigError, Settings, load_settings
from pipeline.stages import Context
from pipeline.stages.match import match
from pipeline.stages.normalize import normalize


def routed(ctx: Context, title: str, text: str = "") -> dict[str, list[str]]:
    item = match(normalize(Item(url="https://news.tw/1", title=title, text=text, source="cna"), ctx), ctx)
    return {m.rule: m.terms for m in item.matches}


def test_mrt_incident_routes_to_both_mrt_agencies_whatever_the_spelling(ctx: Context) -> None:
    for title in ("台北捷運板南線號誌故障 列車延誤20分鐘", "臺北捷運板南線號誌故障 列車延誤20分鐘",
                  "台北捷运板南线号志故障 列车延误20分钟"):
        hits = routed(ctx, title)
        assert hits["topic:捷運事故"] == ["捷運", "故障", "延誤"]
        assert "台北捷運" in hits["agency:捷運公司"]


def test_agencies_and_terms_on_the_item(ctx: Context) -> None:
    item = normalize(Item(url="https://news.tw/2", title="蔣萬安視察社會住宅 都發局：北市明年再蓋兩千戶",
                          text="", source="udn"), ctx)
    item = match(item, ctx)
    assert sorted(item.agencies) == ["秘書處", "都發局"]
    assert item.meta["highlights"]["official:蔣萬安"] == ["【蔣萬安】視察社會住宅 都發局:北市明年再蓋兩千戶"]


@pytest.mark.parametrize("title", [
    "新北市警察局破獲跨境詐騙集團",
    "新北市長侯友宜視察板橋社會住宅",
    "新臺北大道車禍 交通事故釀2傷",
    "高雄捷運紅線號誌故障 列車延誤",
    "高雄市交通局公車路線調整",
    "臺中市教育局：國中營養午餐漲價",
])
def test_other_cities_do_not_match_taipei(ctx: Context, title: str) -> None:
    assert routed(ctx, title) == {}


def test_taipei_story_mentioning_another_city_still_matches(ctx: Context) -> None:
    hits = routed(ctx, "北市警方與新北市警察局聯手破獲詐騙集團")
    assert hits["agency:警察局"] == ["北市警", "警方", "詐騙"]


def test_other_city_item_keeps_taipei_specific_terms(ctx: Context) -> None:
    hits = routed(ctx, "高雄捷運號誌故障 高市府：將借鏡北捷經驗")
    assert hits["agency:捷運公司"] == ["北捷"]
    assert "topic:捷運事故" not in hits  # 捷運 here is 高雄捷運
    # naming the office's city makes it a Taipei story again, with every rule in force
    hits = routed(ctx, "高雄市府考察臺北市政府交通局的公車專用道")
    assert hits["agency:交通局"] == ["交通局", "臺北市政府交通局", "交通", "公車"]


def test_unknown_words_route_nowhere(ctx: Context) -> None:
    assert routed(ctx, "🎉今天天氣真好", "") == {}


def test_malformed_topic_query_names_key_and_position(settings: Settings) -> None:
    topics = [{"name": "ok", "query": "捷運"}, {"name": "bad", "query": "捷運 AND (故障 OR"}]
    with pytest.raises(ConfigError, match=r"topics\.1\.query: position 13: expected a term"):
        load_settings(None, {"topics": topics}, use_env=False)


def test_a_taipei_district_that_contains_another_city_name(ctx: Context) -> None:
    hits = routed(ctx, "新北投溫泉區週末湧入人潮 垃圾量暴增")
    assert hits["agency:環保局"] == ["垃圾"]
    assert routed(ctx, "新北市板橋區週末湧入人潮 垃圾量暴增") == {}


def test_english_coverage_routes_with_the_default_watchlist(ctx: Context) -> None:
    hits = routed(ctx, "Taipei MRT signal failure delays thousands of commuters",
                  "Taipei Mayor Chiang Wan-an ordered an inspection of the Bannan Line.")
    assert "agency:捷運公司" in hits and "official:蔣萬安" in hits
