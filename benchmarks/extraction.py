"""Extraction quality on ../shared/data/extraction, scored like scrapinghub's article-extraction-benchmark.

Body text: shingle precision/recall/F1 per page, averaged over pages (character bigrams for Chinese,
word 4-shingles for English, whitespace ignored). Also title and date agreement where gold exists.
Compares newsdesk's :func:`crawlers.extract.extract` with trafilatura alone on the same bytes.
Sets: ``zh`` (69 real Chinese pages, mostly GB2312), ``taipeitimes`` (one real page), ``outlets``
(the pages in tests/fixtures/crawlers/outlets: written here after each outlet's markup, one Big5).

    python benchmarks/extraction.py [--data ../shared/data/extraction] [--show-worst 5]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crawlers.extract import extract  # noqa: E402

_HAN = re.compile(r"[\u3400-\u9fff]")


def shingles(text: str) -> Counter[str]:
    """Character bigrams when the text is mostly Chinese, else word 4-shingles."""
    text = text or ""
    if len(_HAN.findall(text)) > 0.3 * max(1, len(re.sub(r"\s", "", text))):
        chars = re.sub(r"\s+", "", text)
        return Counter(chars[i:i + 2] for i in range(len(chars) - 1))
    words = re.findall(r"\w+", text.lower())
    n = 4 if len(words) >= 4 else 1
    return Counter(" ".join(words[i:i + n]) for i in range(len(words) - n + 1))


def prf(pred: str, gold: str) -> tuple[float, float, float]:
    p, g = shingles(pred), shingles(gold)
    if not g:
        return (1.0, 1.0, 1.0) if not p else (0.0, 1.0, 0.0)
    if not p:
        return (0.0, 0.0, 0.0)  # precision of nothing is taken as 0 (the benchmark's convention: a miss)
    tp = sum((p & g).values())
    precision, recall = tp / sum(p.values()), tp / sum(g.values())
    f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
    return precision, recall, f1


def cases(data: Path) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    zh = data / "zh-web-content"
    if zh.is_dir():
        gold = json.loads((zh / "eval" / "cleaned_ground.json").read_text(encoding="utf-8"))
        for key, value in sorted(gold.items()):
            html = (zh / "original" / f"{key}.html").read_bytes()
            m = re.search(rb'<text id="([^"]+)"', html[:500])
            url = m.group(1).decode("latin-1") if m else f"http://example.invalid/{key}"
            out.append({"name": f"zh/{key[:8]}", "body": html, "url": url, "text": value["articleBody"]})
    tt = data / "taipeitimes"
    if tt.is_dir():
        meta = json.loads((tt / "meta.info").read_text())
        for fname, info in meta.items():
            exp = json.loads((tt / "TaipeiTimes.json").read_text())["V1"]
            paras = [p for s in exp["body"]["sections"] for p in s["paragraphs"]]
            out.append({"name": f"taipeitimes/{fname}", "body": gzip.decompress((tt / fname).read_bytes()),
                        "url": info["url"], "text": "\n".join(paras), "title": exp["title"]})
    fixtures = ROOT / "tests" / "fixtures" / "crawlers" / "outlets"
    for expected in sorted(fixtures.glob("*.json")):
        want = json.loads(expected.read_text(encoding="utf-8"))
        out.append({"name": f"outlets/{expected.stem}", "url": want["url"], "title": want["title"],
                    "body": gzip.decompress(expected.with_suffix(".html.gz").read_bytes()),
                    "text": "\n".join(want["paragraphs"])})
    return out


def trafilatura_alone(body: bytes, url: str) -> str:
    import trafilatura

    return trafilatura.extract(body, url=url) or ""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "extraction")
    ap.add_argument("--show-worst", type=int, default=0)
    args = ap.parse_args()
    if not args.data.is_dir():
        sys.exit(f"{args.data} is absent: nothing to measure")
    rows: list[tuple[str, tuple[float, float, float], tuple[float, float, float], object, str]] = []
    t_ours = t_traf = 0.0
    for case in cases(args.data):
        body, url = case["body"], str(case["url"])
        assert isinstance(body, bytes)
        t0 = time.perf_counter()
        ex = extract(body, url)
        t1 = time.perf_counter()
        baseline = trafilatura_alone(body, url)
        t2 = time.perf_counter()
        t_ours += t1 - t0
        t_traf += t2 - t1
        rows.append((str(case["name"]), prf(ex.text, str(case["text"])), prf(baseline, str(case["text"])),
                     case.get("title"), ex.title))
    for group in sorted({r[0].split("/")[0] for r in rows}):
        part = [r for r in rows if r[0].startswith(group + "/")]
        for label, scores in (("newsdesk", [r[1] for r in part]),
                              ("trafilatura alone", [r[2] for r in part])):
            p = statistics.mean(s[0] for s in scores)
            r_ = statistics.mean(s[1] for s in scores)
            f = statistics.mean(s[2] for s in scores)
            print(f"{group:12s} {label:18s} pages={len(part):3d}  "
                  f"precision={p:.3f}  recall={r_:.3f}  F1={f:.3f}")
        titled = [r for r in part if r[3]]
        if titled:
            print(f"{group:12s} titles correct: {sum(r[3] == r[4] for r in titled)}/{len(titled)}")
    n = len(rows)
    print(f"time per page: newsdesk {1000 * t_ours / n:.1f} ms, trafilatura {1000 * t_traf / n:.1f} ms")
    for name, ours, base, *_ in sorted(rows, key=lambda r: r[1][2])[: args.show_worst]:
        print(f"  worst: {name}  newsdesk F1={ours[2]:.3f}  trafilatura F1={base[2]:.3f}")


if __name__ == "__main__":
    main()
