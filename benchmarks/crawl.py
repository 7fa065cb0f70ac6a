"""Crawl throughput with extraction on, against a local site on 127.0.0.1, next to ``scrapy bench``.

Both run in this same invocation on the same machine:

1. ``scrapy bench`` (its own local link-following site, 10 s) → pages/s from its final stats;
2. newsdesk's crawl (the same child-process Scrapy run as ``collect``, extraction in the spider)
   over N generated news pages (site chrome + a 1,000-character article) served by a local
   threaded HTTP server → pages/s over Scrapy's elapsed time, and over the wall time including
   the child's start-up.

    python benchmarks/crawl.py [--pages 600] [--concurrency 8]

Target (issue 4): newsdesk pages/s ≥ 0.5 × scrapy bench pages/s.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawlers.scrapy_run import run_jobs  # noqa: E402
from pipeline.settings import CrawlSettings  # noqa: E402

PARAGRAPH = ("臺北市政府今天表示，為改善市區交通，將在主要幹道增設公車專用道，並調整號誌時相，"
             "交通局也會持續監測尖峰時段車流，評估實施成效。")


def page(i: int) -> bytes:
    nav = "".join(f'<li><a href="/list/{c}">分類{c}</a></li>' for c in range(30))
    related = "".join(f'<li><a href="/news/{(i + k) % 1000}">相關新聞標題第{k}則</a></li>' for k in range(15))
    body = "".join(f"<p>{PARAGRAPH}（第{i}篇第{k}段）</p>" for k in range(8))
    return (f'<!DOCTYPE html><html lang="zh-Hant"><head><meta charset="utf-8"><title>新聞{i} - 測試報</title>'
            f'<meta property="og:title" content="市府新聞第{i}則"><meta property="article:published_time" '
            f'content="2024-09-02T10:{i % 60:02d}:00+08:00"><script>var x = {i};</script></head><body>'
            f'<header><ul>{nav}</ul></header><article><h1>市府新聞第{i}則</h1>{body}</article>'
            f'<aside><ul>{related}</ul></aside><footer>版權所有 測試報</footer></body></html>').encode()


def serve(pages: int) -> ThreadingHTTPServer:
    cache = {f"/news/{i}": page(i) for i in range(pages)}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            body = cache.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def scrapy_bench() -> float:
    proc = subprocess.run([sys.executable, "-m", "scrapy", "bench", "-s", "LOG_LEVEL=INFO"],
                          capture_output=True, text=True, timeout=120, cwd="/tmp")
    log = proc.stdout + proc.stderr
    pages = re.search(r"'response_received_count': (\d+)", log)
    secs = re.search(r"'elapsed_time_seconds': ([\d.]+)", log)
    if not pages or not secs:
        sys.exit(f"could not read scrapy bench's stats:\n{log[-2000:]}")
    return int(pages.group(1)) / float(secs.group(1))


def newsdesk(pages: int, concurrency: int) -> tuple[float, float, int]:
    server = serve(pages)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    jobs = [{"id": str(i), "url": f"{base}/news/{i}", "kind": "article", "allowed_hosts": ["127.0.0.1"]}
            for i in range(pages)]
    crawl = CrawlSettings(allow_private_hosts=True, download_delay=0, concurrency_per_domain=concurrency)
    stats: dict[str, Any] = {}
    t0 = time.perf_counter()
    results = run_jobs(jobs, crawl, stats=stats)
    wall = time.perf_counter() - t0
    server.shutdown()
    ok = sum(1 for r in results if "extracted" in r and r["extracted"]["text"])
    return ok / float(stats["elapsed_time_seconds"]), ok / wall, ok


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=600)
    ap.add_argument("--concurrency", type=int, default=8, help="requests per domain (scrapy bench uses 8)")
    args = ap.parse_args()
    bench = scrapy_bench()
    crawl_rate, wall_rate, ok = newsdesk(args.pages, args.concurrency)
    print(f"scrapy bench:                 {bench:7.1f} pages/s")
    print(f"newsdesk crawl + extraction:  {crawl_rate:7.1f} pages/s over Scrapy's elapsed time "
          f"({ok}/{args.pages} pages extracted)")
    print(f"newsdesk incl. child start:   {wall_rate:7.1f} pages/s over wall time")
    print(f"ratio (crawl / bench):        {crawl_rate / bench:7.2f}  (target >= 0.50)")


if __name__ == "__main__":
    main()
