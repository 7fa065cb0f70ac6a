"""Per-outlet field parsers, following each outlet's page markup. Dated: a new layout is a new class."""

from __future__ import annotations

from crawlers.parsers.xpath import XPathParser


class CnaV1(XPathParser):
    title_xpath = '//div[contains(@class,"centralContent")]//h1'
    body_xpath = '//div[contains(@class,"paragraph")]/p'
    date_xpath = '//div[contains(@class,"updatetime")]//span'
    byline = True


class FocusTaiwanV1(XPathParser):
    title_xpath = '//div[contains(@class,"centralContent")]//h1'
    body_xpath = '//div[contains(@class,"paragraph")]/p'
    date_xpath = '//div[contains(@class,"updatetime")]//span'


class LtnV1(XPathParser):
    title_xpath = '//div[contains(@class,"whitecon")]//h1'
    body_xpath = '//div[contains(@class,"text")]/p[not(@class)]'
    date_xpath = '//span[contains(@class,"time")]'
    byline = True


class TaipeiTimesV1(XPathParser):
    title_xpath = '//div[@class="archives"]/h1'
    body_xpath = '//div[@class="archives"]/p'
    author_xpath = '//div[@class="archives"]//div[@class="name"]'


class UdnV1(XPathParser):
    title_xpath = '//h1[contains(@class,"article-content__title")]'
    body_xpath = '//section[contains(@class,"article-content__editor")]/p'
    date_xpath = '//time[contains(@class,"article-content__time")]'
    author_xpath = '//span[contains(@class,"article-content__author")]//a'
    byline = True


class ChinaTimesV1(XPathParser):
    title_xpath = '//h1[contains(@class,"article-title")]'
    body_xpath = '//div[contains(@class,"article-body")]/p'
    date_xpath = '//div[contains(@class,"meta-info")]//time/@datetime'
    author_xpath = '//div[contains(@class,"author")]/a'


class EttodayV1(XPathParser):
    title_xpath = '//h1[contains(@class,"title")]'
    body_xpath = '//div[contains(@class,"story")]/p'
    date_xpath = '//time[contains(@class,"date")]/@datetime'
    byline = True


class SetnV1(XPathParser):
    title_xpath = '//h1[contains(@class,"news-title-3")]'
    body_xpath = '//div[@id="Content1"]/p'
    date_xpath = '//time[contains(@class,"page-date")]'
    byline = True


class TvbsV1(XPathParser):
    title_xpath = '//h1[contains(@class,"title")]'
    body_xpath = '//div[@id="news_detail_div"]//text()[normalize-space()]'
    date_xpath = '//div[contains(@class,"author")]'
    author_xpath = '//div[contains(@class,"author")]/a'


class StormV1(XPathParser):
    title_xpath = '//h1[@id="article_title"]'
    body_xpath = '//div[@id="CMS_wrapper"]/p'
    date_xpath = '//span[@id="info_time"]'
    author_xpath = '//span[contains(@class,"info_author")]'


class NownewsV1(XPathParser):
    title_xpath = '//h1[contains(@class,"article-title")]'
    body_xpath = '//div[@id="articleContent"]//text()[normalize-space()]'
    date_xpath = '//p[contains(@class,"time")]'
    byline = True


class PtsV1(XPathParser):
    title_xpath = '//h1[contains(@class,"article-title")]'
    body_xpath = '//div[contains(@class,"post-article")]/p'
    date_xpath = '//time/@datetime'
    author_xpath = '//span[contains(@class,"article-reporter")]'


class YahooV1(XPathParser):
    title_xpath = '//header[contains(@class,"caas-title-wrapper")]//h1'
    body_xpath = '//div[contains(@class,"caas-body")]/p'
    date_xpath = '//div[contains(@class,"caas-attr-time-style")]//time/@datetime'
    author_xpath = '//span[contains(@class,"caas-author-byline-collapse")]'


class TaipeiGovV1(XPathParser):
    """臺北市政府 news releases (www.gov.taipei, ``News_Content.aspx``)."""

    title_xpath = '//div[contains(@class,"h3")]//h3 | //h3[contains(@class,"title")]'
    body_xpath = '//div[contains(@class,"area-essay")]//p'
    date_xpath = '//li[contains(@class,"date")] | //div[contains(@class,"date")]'
