"""Sentiment model: load time, throughput on 2 CPU threads, peak memory. Run on demand:

    python benchmarks/sentiment.py [--model builtin] [--texts N] [--batch-size 128]

Each figure comes from a fresh subprocess (so the load time includes importing torch and
transformers, as a newsdesk process pays it, and peak memory is that process's own). Texts are
real headlines from ../shared/data/sentiment/newstitle-dev.csv when present, else synthetic ones
of headline length. Targets (issue 3): >= 200 texts/s after load, load <= 5 s, peak <= 1.5 GB.
The machine's load average is printed too: other busy processes on 2 cores halve the figures.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "data" / "sentiment" / "newstitle-dev.csv"

CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
import torch
torch.set_num_threads(2)
from pipeline.settings import load_settings
from pipeline.sentiment import get_scorer
settings = load_settings(None, {"sentiment": {"model": sys.argv[1], "batch_size": int(sys.argv[2])}},
                         use_env=False)
scorer = get_scorer(settings.sentiment)
load = time.perf_counter() - t0
texts = json.loads(sys.stdin.read())
scorer.score(texts[:64])  # warm-up
t1 = time.perf_counter()
scorer.score(texts)
run = time.perf_counter() - t1
print(json.dumps({"name": scorer.name, "version": scorer.version, "load_s": load,
                  "texts": len(texts), "score_s": run, "texts_per_s": len(texts) / run,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def headlines(n: int) -> list[str]:
    if DEV.is_file():
        with DEV.open(encoding="utf-8", newline="") as fh:
            texts = [row["text"] for row in csv.DictReader(fh)]
    else:
        texts = [f"北市第{i}起捷運延誤 議員質詢市府說明改善計畫" for i in range(n)]
    return (texts * (n // len(texts) + 1))[:n]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="builtin")
    ap.add_argument("--texts", type=int, default=2000)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--runs", type=int, default=2, help="fresh processes; the best run is reported")
    args = ap.parse_args()
    texts = headlines(args.texts)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "2"}
    results = []
    for _ in range(args.runs):
        proc = subprocess.run([sys.executable, "-c", CHILD, args.model, str(args.batch_size)],
                              input=json.dumps(texts), capture_output=True, text=True, env=env, cwd=ROOT,
                              check=False)
        if proc.returncode:
            sys.exit(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "benchmark failed")
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    best = max(results, key=lambda r: r["texts_per_s"])
    mean_len = sum(map(len, texts)) / len(texts)
    print(f"model            {best['name']} {best['version']} ({args.model})")
    print(f"texts            {best['texts']} headlines, mean {mean_len:.1f} characters, "
          f"batch {args.batch_size}")
    runs = ", ".join(f"{r['texts_per_s']:.0f}" for r in results)
    print(f"throughput       {best['texts_per_s']:.0f} texts/s on 2 threads (target >= 200)   runs: {runs}")
    print(f"load             {min(r['load_s'] for r in results):.2f} s incl. imports (target <= 5 s)")
    print(f"peak memory      {max(r['peak_rss_mb'] for r in results):.0f} MB RSS (target <= 1536 MB)")
    print(f"load average     {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1/5/15 min; 2 cores)")


if __name__ == "__main__":
    main()
