"""Cost of normalise → dedupe → match as the store grows (sentiment excluded).

    python benchmarks/pipeline.py [--items 1000000] [--batch 1000] [--db PATH] [--report-every 100000]

Synthetic items (seeded): Traditional Chinese text of 100-320 characters, four fifths random
two-character words over ~2,700 characters, one fifth common news words and the watchlist's own
keywords (so match has work to do), in this mix per 100 items:
70 new stories, 10 same copy from another outlet, 12 edited copies (new first line, changed
numbers), 5 re-crawls of a known URL with tracking parameters, 3 same copy re-posted by the same
outlet under a new URL. Items go through the real stages on a SQLite file in batches of ``--batch``
(one transaction each, like ``newsdesk run``). Reported: items/s over the first 10,000 items and over
the last 10,000, the ratio, peak resident memory, and the database size. Dedupe merges its recent
tables into the big ones every 20,000 items, so a 10,000-item window holds one merge or none; the
rate over the first and the last 100,000 items (``--amortise``) counts the merges fairly. On a shared machine, also
time 10,000 items on a fresh database against 10,000 more on the grown one, back to back:

    python benchmarks/pipeline.py --items 10000
    python benchmarks/pipeline.py --items 10000 --db grown.db --offset 1000000
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.db import open_database  # noqa: E402
from pipeline.items import Item  # noqa: E402
from pipeline.settings import load_settings  # noqa: E402
from pipeline.stages import Context, run_item  # noqa: E402
from pipeline.stages.dedupe import dedupe  # noqa: E402
from pipeline.stages.match import match  # noqa: E402
from pipeline.stages.normalize import normalize  # noqa: E402
from pipeline.textnorm import fold_table  # noqa: E402

WORDS = ("市府 今天 表示 民眾 記者 指出 相關 單位 工程 計畫 預算 議員 質詢 市長 說明 活動 "
         "交通 安全 社區 學校 醫院 環境 經濟 發展 政策 公共 服務 設施 改善 檢討 調查 結果 報告 民意 "
         "網友 留言 批評 支持 反對 問題 處理 進度 延宕 費用 補助 申請 規定 法規 修正 會議 決議 通過 "
         "颱風 豪雨 停電 施工 道路 坑洞 路燈 號誌 車禍 警方 消防 救護 火警 詐騙 治安 垃圾 回收 噪音 "
         "公園 綠地 住宅 房價 租金 青年 長者 兒童 托育 教育 老師 學生 考試 營養 午餐 觀光 旅客 夜市 "
         "商圈 店家 業者 員工 勞工 薪資 工時 颱風假 停班 停課 淹水 抽水站 捷運 公車 轉乘 票價 月票").split()
OUTLETS = ["cna", "ltn", "udn", "chinatimes", "ettoday", "setn", "tvbs", "storm", "nownews", "pts", "yahoo",
           "ptt", "dcard"]


class Synth:
    """A seeded stream of items with a known share of copies."""

    def __init__(self, settings_keywords: list[str], seed: int = 7, offset: int = 0) -> None:
        self.rng = random.Random(seed + offset)
        # two-character words over ~2,700 Traditional characters (those OpenCC folds), plus common news
        # words and the watchlist's keywords: unrelated stories share few shingles, as real ones do
        chars = sorted(chr(c) for c in fold_table() if 0x4E00 <= c <= 0x9FFF)
        firsts, seconds = self.rng.choices(chars, k=50_000), self.rng.choices(chars, k=50_000)
        self.words = [a + b for a, b in zip(firsts, seconds, strict=True)]
        self.vocab = WORDS + settings_keywords
        self.stories: list[tuple[str, str, str]] = []  # (url, title, text) of recent stories
        self.n = offset
        self.start = datetime(2024, 1, 1, tzinfo=UTC)

    def text(self) -> str:
        n = self.rng.randint(50, 160)
        words = self.rng.choices(self.words, k=n - n // 5) + self.rng.choices(self.vocab, k=n // 5)
        self.rng.shuffle(words)
        out = []
        for i, w in enumerate(words):
            out.append(w)
            if i % 9 == 8:
                out.append(self.rng.choice("，。；"))
        return "".join(out) + "。"

    def __next__(self) -> Item:
        self.n += 1
        rng = self.rng
        when = self.start + timedelta(seconds=self.n * 3)  # ~1,200 items an hour, a year in 1M items
        roll = rng.randrange(100)
        outlet = rng.choice(OUTLETS)
        if roll < 70 or not self.stories:
            url, title, text = f"https://{outlet}.example.tw/news/{self.n}", self.text()[:30], self.text()
            self.stories.append((url, title, text))
            if len(self.stories) > 2000:
                self.stories = self.stories[-1000:]
            return Item(url=url, title=title, text=text, source=outlet, outlet=outlet, published_at=when)
        url, title, text = rng.choice(self.stories[-1000:])
        if roll < 80:  # another outlet runs the same copy
            return Item(url=f"https://{outlet}.example.tw/w/{self.n}", title=title, text=text, source=outlet,
                        outlet=outlet, published_at=when)
        if roll < 92:  # edited: a new first line and changed numbers
            edited = f"【{rng.choice(WORDS)}{rng.choice(WORDS)}】{text.replace('一', '1')}"
            return Item(url=f"https://{outlet}.example.tw/e/{self.n}", title=title, text=edited,
                        source=outlet, outlet=outlet, published_at=when)
        if roll < 97:  # the same URL again, with tracking parameters
            return Item(url=f"{url}?utm_source=fb&fbclid={self.n}", title=title, text=text, source="x",
                        outlet="x", published_at=when)
        host = url.split("/")[2].split(".")[0]
        return Item(url=f"https://{host}.example.tw/re/{self.n}", title=title, text=text, source=host,
                    outlet=host, published_at=when)


def rates(marks: list[tuple[int, float, float]], start: int, end: int) -> tuple[float, float]:
    """(items per wall second, items per CPU second) between the marks at ``start`` and ``end`` items."""
    a = next(m for m in marks if m[0] >= start)
    b = next(m for m in marks if m[0] >= end)
    n = b[0] - a[0]
    return n / max(b[1] - a[1], 1e-9), n / max(b[2] - a[2], 1e-9)


def set_cache(engine: Engine, mb: int) -> None:
    """A larger SQLite page cache on every new connection (the B-trees of a grown store fit)."""

    def pragma(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute(f"PRAGMA cache_size=-{mb * 1024}")

    event.listen(engine, "connect", pragma)
    engine.dispose()  # the migration's pooled connection predates the listener


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--items", type=int, default=1_000_000)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--db", type=Path, help="SQLite file (default: a temporary one, removed after)")
    ap.add_argument("--report-every", type=int, default=100_000)
    ap.add_argument("--sqlite-cache-mb", type=int, default=0,
                    help="PRAGMA cache_size for each connection (0: SQLite's default, about 2 MB)")
    ap.add_argument("--amortise", type=int, default=100_000,
                    help="also compare the first and the last this many items (when there are twice as many)")
    ap.add_argument("--offset", type=int, default=0,
                    help="continue a stream: item numbers (URLs, times) start here, e.g. on a grown --db")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "bench.db"
        settings = load_settings(None, {"database_url": f"sqlite:///{db}"}, use_env=False)
        sessions = open_database(settings.database_url)
        if args.sqlite_cache_mb:
            set_cache(sessions.kw["bind"], args.sqlite_cache_mb)
        synth = Synth([k for a in settings.agencies for k in a.keywords], offset=args.offset)
        stages = [normalize, dedupe, match]
        counts: Counter[str] = Counter()
        window = min(10_000, args.items)
        marks: list[tuple[int, float, float]] = [(0, time.perf_counter(), time.process_time())]
        done = 0
        while done < args.items:
            n = min(args.batch, args.items - done)
            with sessions() as session:
                ctx = Context(settings=settings, session=session, counts=counts)
                for _ in range(n):
                    run_item(next(synth), stages, ctx)
                session.commit()
            done += n
            marks.append((done, time.perf_counter(), time.process_time()))
            if done % args.report_every == 0 or done == args.items:
                wall, cpu = rates(marks, done - window, done)
                print(f"{done:>9,} items  last {window:,}: {wall:,.0f} items/s wall, {cpu:,.0f} items/CPU-s  "
                      f"peak RSS {rss_mb():,.0f} MB", flush=True)
        size = db.stat().st_size / 1e6
    total = marks[-1][1] - marks[0][1]
    first_wall, first_cpu = rates(marks, 0, window)
    last_wall, last_cpu = rates(marks, done - window, done)
    print(f"items: {done:,} in {total:,.0f}s (overall {done / total:,.0f} items/s)")
    print(f"first {window:,}: {first_wall:,.0f} items/s wall, {first_cpu:,.0f} items per CPU-second")
    print(f"last {window:,}:  {last_wall:,.0f} items/s wall, {last_cpu:,.0f} items per CPU-second")
    print(f"ratio last/first: wall {last_wall / first_wall:.2f}, CPU {last_cpu / first_cpu:.2f} "
          "(CPU time is the fair figure on a shared machine)")
    if done >= 2 * args.amortise:
        aw, ac = rates(marks, 0, args.amortise)
        bw, bc = rates(marks, done - args.amortise, done)
        print(f"first {args.amortise:,}: {aw:,.0f} items/s wall, {ac:,.0f} per CPU-s; last {args.amortise:,}: "
              f"{bw:,.0f} items/s wall, {bc:,.0f} per CPU-s; ratio wall {bw / aw:.2f}, CPU {bc / ac:.2f}")
    print(f"peak RSS {rss_mb():,.0f} MB; database {size:,.0f} MB")
    print("outcomes: " + ", ".join(f"{k}={v:,}" for k, v in sorted(counts.items())))


if __name__ == "__main__":
    main()
