"""Run the article spider in a child process, so every crawl pass gets a fresh Twisted reactor.

The reactor cannot be restarted inside one process, and ``newsdesk run`` crawls again and again;
a child per pass also keeps a crashing page from taking the scheduler down. The parent writes the
jobs as JSON, the child writes one JSON result per line.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pipeline.redact import redact
from pipeline.settings import CrawlSettings

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[1]


class CrawlError(Exception):
    """The crawl child failed as a whole (not one page); the message has its last error lines."""


def run_jobs(jobs: list[dict[str, Any]], crawl: CrawlSettings, *, http_cache_dir: str | None = None,
             timeout: float = 1800, stats: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Crawl ``jobs`` with a real Scrapy run in a child process and return its results.

    ``stats``, when given, receives Scrapy's own counters for the run (pages, seconds, errors).
    """
    if not jobs:
        return []
    with tempfile.TemporaryDirectory(prefix="newsdesk-crawl-") as tmp:
        spec, out = Path(tmp, "jobs.json"), Path(tmp, "results.jsonl")
        spec.write_text(json.dumps({"crawl": crawl.model_dump(), "http_cache_dir": http_cache_dir,
                                    "jobs": jobs}), encoding="utf-8")
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
        started = time.monotonic()
        try:
            proc = subprocess.run([sys.executable, "-m", "crawlers.scrapy_run", str(spec), str(out)],
                                  capture_output=True, text=True, timeout=timeout, env=env, cwd=tmp)
        except subprocess.TimeoutExpired:
            raise CrawlError(f"crawl of {len(jobs)} pages did not finish in {timeout:.0f} s") from None
        if proc.returncode != 0:
            tail = redact("\n".join(proc.stderr.strip().splitlines()[-5:]))
            raise CrawlError(f"crawl child exited with status {proc.returncode}: {tail}")
        for line in proc.stderr.splitlines():
            if line.strip():
                log.debug("scrapy: %s", line)
        results = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line.strip()]
        stats_file = Path(tmp, "stats.json")
        if stats is not None and stats_file.is_file():
            stats.update(json.loads(stats_file.read_text(encoding="utf-8")))
        log.info("crawled %d jobs in %.1f s", len(jobs), time.monotonic() - started)
        return results


def _child(spec_path: str, out_path: str) -> None:
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess

    from crawlers.spiders import ArticleSpider, scrapy_settings
    from pipeline.redact import install_logging

    install_logging()  # Scrapy's own log lines (URLs with keys, say) come out redacted
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    crawl = CrawlSettings.model_validate(spec["crawl"])
    settings = scrapy_settings(crawl, spec.get("http_cache_dir"), spec["jobs"])
    settings.update(spec.get("scrapy_overrides") or {})
    with open(out_path, "w", encoding="utf-8") as sink:

        def scraped(item: dict[str, Any]) -> None:
            sink.write(json.dumps(item, ensure_ascii=False) + "\n")

        process = CrawlerProcess(settings, install_root_handler=True)
        crawler = process.create_crawler(ArticleSpider)
        crawler.signals.connect(scraped, signal=signals.item_scraped)
        process.crawl(crawler, jobs=spec["jobs"])
        process.start()
    counters = crawler.stats.get_stats() if crawler.stats else {}
    Path(out_path).with_name("stats.json").write_text(json.dumps(counters, default=str), encoding="utf-8")


if __name__ == "__main__":
    _child(sys.argv[1], sys.argv[2])
