"""Taiwanese outlets newsdesk knows. One declaration each; :func:`crawlers.outlets.check` validates them."""

from __future__ import annotations

from crawlers.outlets import Outlet
from crawlers.parsers import taiwan as p

OUTLETS = [
    Outlet("cna", "中央社", ("cna.com.tw",), "zh-Hant",
           feeds=("https://feeds.feedburner.com/rsscna/politics", "https://feeds.feedburner.com/rsscna/local"),
           sitemaps=("https://www.cna.com.tw/googlenewssitemap_fromremote_cfp.xml",), parser=p.CnaV1(),
           aliases=("中央通訊社", "中央社即時新聞", "CNA")),
    Outlet("focustaiwan", "Focus Taiwan", ("focustaiwan.tw",), "en",
           feeds=("https://feeds.feedburner.com/rsscna/engnews",), parser=p.FocusTaiwanV1(),
           aliases=("CNA English News",)),
    Outlet("ltn", "自由時報", ("ltn.com.tw",), "zh-Hant",
           feeds=("https://news.ltn.com.tw/rss/politics.xml", "https://news.ltn.com.tw/rss/society.xml"),
           parser=p.LtnV1(), aliases=("自由時報電子報", "自由電子報", "Liberty Times", "Liberty Times Net")),
    Outlet("taipeitimes", "Taipei Times", ("taipeitimes.com",), "en",
           feeds=("https://www.taipeitimes.com/xml/index.rss",), parser=p.TaipeiTimesV1()),
    Outlet("udn", "聯合新聞網", ("udn.com",), "zh-Hant",
           feeds=("https://udn.com/rssfeed/news/2/6638?ch=news",),
           sitemaps=("https://udn.com/sitemapxml/news/mapindex.xml",), parser=p.UdnV1(),
           aliases=("聯合報", "經濟日報", "聯合晚報", "udn")),
    Outlet("chinatimes", "中時新聞網", ("chinatimes.com",), "zh-Hant",
           feeds=("https://www.chinatimes.com/rss/realtimenews.xml",), parser=p.ChinaTimesV1(),
           aliases=("中時電子報", "中國時報", "中時", "工商時報", "旺報")),
    Outlet("ettoday", "ETtoday新聞雲", ("ettoday.net",), "zh-Hant",
           feeds=("https://feeds.feedburner.com/ettoday/realtime",),
           sitemaps=("https://www.ettoday.net/news-sitemap.xml",), parser=p.EttodayV1(),
           aliases=("ETtoday", "東森新聞雲", "ETtoday MobileWeb")),
    Outlet("setn", "三立新聞網", ("setn.com",), "zh-Hant",
           feeds=("https://www.setn.com/rss.aspx?NewsType=97",), parser=p.SetnV1(), aliases=("三立新聞", "SETN")),
    Outlet("tvbs", "TVBS新聞網", ("news.tvbs.com.tw",), "zh-Hant",
           sitemaps=("https://news.tvbs.com.tw/crontab/sitemap/latest",),
           listings=("https://news.tvbs.com.tw/realtime",), parser=p.TvbsV1(), aliases=("TVBS",)),
    Outlet("storm", "風傳媒", ("storm.mg",), "zh-Hant",
           feeds=("https://www.storm.mg/feeds/all",), listings=("https://www.storm.mg/articles",),
           parser=p.StormV1(), aliases=("Storm Media", "風傳媒 The Storm Media")),
    Outlet("nownews", "NOWnews今日新聞", ("nownews.com",), "zh-Hant",
           feeds=("https://www.nownews.com/newsroom/rss",), parser=p.NownewsV1(), aliases=("今日新聞", "NOWnews")),
    Outlet("pts", "公視新聞網", ("news.pts.org.tw",), "zh-Hant",
           feeds=("https://news.pts.org.tw/xml/newsfeed.xml",), parser=p.PtsV1(),
           aliases=("公視", "公共電視", "公視新聞")),
    Outlet("yahoo", "Yahoo奇摩新聞", ("tw.news.yahoo.com",), "zh-Hant",
           feeds=("https://tw.news.yahoo.com/rss/politics", "https://tw.news.yahoo.com/rss/society"),
           parser=p.YahooV1(), aliases=("Yahoo奇摩", "Yahoo新聞")),
    Outlet("taipei-gov", "臺北市政府", ("gov.taipei",), "zh-Hant",
           feeds=("https://www.gov.taipei/OpenData.aspx?SN=A3FDD4C2A1F36C2B",),
           listings=("https://www.gov.taipei/News.aspx?n=F0DDAF49B89E9413&sms=72544237BBE4C5F6",),
           parser=p.TaipeiGovV1()),
]

#: Other Taiwanese media whose names pages print in titles and author fields (not crawled by default).
OTHER_NAMES = ("蘋果日報", "蘋果新聞網", "Apple Daily", "華視", "中華電視公司", "中廣", "中國廣播公司",
               "台視", "臺視", "中視", "民視", "東森新聞", "年代新聞", "中天新聞", "鏡週刊", "鏡新聞",
               "新頭殼", "Newtalk", "上報", "信傳媒", "壹週刊", "今周刊", "天下雜誌", "商業周刊", "遠見",
               "報導者", "Taiwan News", "台灣英文新聞", "新浪新聞", "蕃薯藤")
