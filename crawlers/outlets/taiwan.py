"""Taiwanese outlets newsdesk knows. One declaration each; :func:`crawlers.outlets.check` validates them."""

from __future__ import annotations

from crawlers.outlets import Outlet
from crawlers.parsers import taiwan as p

OUTLETS = [
    Outlet("cna", "中央社", ("cna.com.tw",), "zh-Hant",
           feeds=("https://feeds.feedburner.com/rsscna/politics", "https://feeds.feedburner.com/rsscna/local"),
           sitemaps=("https://www.cna.com.tw/googlenewssitemap_fromremote_cfp.xml",), parser=p.CnaV1()),
    Outlet("focustaiwan", "Focus Taiwan", ("focustaiwan.tw",), "en",
           feeds=("https://feeds.feedburner.com/rsscna/engnews",), parser=p.FocusTaiwanV1()),
    Outlet("ltn", "自由時報", ("ltn.com.tw",), "zh-Hant",
           feeds=("https://news.ltn.com.tw/rss/politics.xml", "https://news.ltn.com.tw/rss/society.xml"),
           parser=p.LtnV1()),
    Outlet("taipeitimes", "Taipei Times", ("taipeitimes.com",), "en",
           feeds=("https://www.taipeitimes.com/xml/index.rss",), parser=p.TaipeiTimesV1()),
    Outlet("udn", "聯合新聞網", ("udn.com",), "zh-Hant",
           feeds=("https://udn.com/rssfeed/news/2/6638?ch=news",),
           sitemaps=("https://udn.com/sitemapxml/news/mapindex.xml",), parser=p.UdnV1()),
    Outlet("chinatimes", "中時新聞網", ("chinatimes.com",), "zh-Hant",
           feeds=("https://www.chinatimes.com/rss/realtimenews.xml",), parser=p.ChinaTimesV1()),
    Outlet("ettoday", "ETtoday新聞雲", ("ettoday.net",), "zh-Hant",
           feeds=("https://feeds.feedburner.com/ettoday/realtime",),
           sitemaps=("https://www.ettoday.net/news-sitemap.xml",), parser=p.EttodayV1()),
    Outlet("setn", "三立新聞網", ("setn.com",), "zh-Hant",
           feeds=("https://www.setn.com/rss.aspx?NewsType=97",), parser=p.SetnV1()),
    Outlet("tvbs", "TVBS新聞網", ("news.tvbs.com.tw",), "zh-Hant",
           sitemaps=("https://news.tvbs.com.tw/crontab/sitemap/latest",),
           listings=("https://news.tvbs.com.tw/realtime",), parser=p.TvbsV1()),
    Outlet("storm", "風傳媒", ("storm.mg",), "zh-Hant",
           feeds=("https://www.storm.mg/feeds/all",), listings=("https://www.storm.mg/articles",),
           parser=p.StormV1()),
    Outlet("nownews", "NOWnews今日新聞", ("nownews.com",), "zh-Hant",
           feeds=("https://www.nownews.com/newsroom/rss",), parser=p.NownewsV1()),
    Outlet("pts", "公視新聞網", ("news.pts.org.tw",), "zh-Hant",
           feeds=("https://news.pts.org.tw/xml/newsfeed.xml",), parser=p.PtsV1()),
    Outlet("yahoo", "Yahoo奇摩新聞", ("tw.news.yahoo.com",), "zh-Hant",
           feeds=("https://tw.news.yahoo.com/rss/politics", "https://tw.news.yahoo.com/rss/society"),
           parser=p.YahooV1()),
    Outlet("taipei-gov", "臺北市政府", ("gov.taipei",), "zh-Hant",
           feeds=("https://www.gov.taipei/OpenData.aspx?SN=A3FDD4C2A1F36C2B",),
           listings=("https://www.gov.taipei/News.aspx?n=F0DDAF49B89E9413&sms=72544237BBE4C5F6",),
           parser=p.TaipeiGovV1()),
]
