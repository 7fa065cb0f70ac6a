"""How often the sentiment model flags a city government's own press releases. Run on demand:

    python benchmarks/sentiment_releases.py [FILE.jsonl.gz] [--model builtin] [--sample 20]

FILE defaults to ../shared/data/press/tainan-releases-2024.jsonl.gz (8,140 real releases of another
city government). Official releases are almost never negative news about the city, so the share
flagged is a rough false-positive ceiling on the office's own kind of text; the printed sample of
flagged titles shows whether they are real incidents and rebuttals or mistakes. Titles are scored
(releases have no lead of the news kind); records without a title are counted and skipped.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.sentiment import get_scorer  # noqa: E402
from pipeline.sentiment.build import press_releases  # noqa: E402
from pipeline.settings import load_settings  # noqa: E402

DEFAULT = ROOT.parent / "shared" / "data" / "press" / "tainan-releases-2024.jsonl.gz"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("file", nargs="?", type=Path, default=DEFAULT)
    ap.add_argument("--model", default="builtin")
    ap.add_argument("--sample", type=int, default=20, help="flagged titles to print")
    args = ap.parse_args()
    if not args.file.is_file():
        sys.exit(f"{args.file}: no such file (the releases ship in ../shared/data/press)")
    titles: list[str] = []
    departments: list[str] = []
    untitled = 0
    try:
        records = list(press_releases(args.file))
    except (OSError, ValueError) as exc:  # not gzip, or a line that is not JSON
        sys.exit(f"{args.file}: {exc}" if str(args.file) not in str(exc) else str(exc))
    for record in records:
        title = record.get("title")
        if not isinstance(title, str) or not title.strip():
            untitled += 1
            continue
        titles.append(title.strip())
        departments.append(str(record.get("department") or "?"))
    settings = load_settings(None, {"sentiment": {"model": args.model}}, use_env=False)
    scorer = get_scorer(settings.sentiment)
    threshold = settings.sentiment.threshold
    scores = scorer.score(titles)
    flagged = [i for i, s in enumerate(scores) if s >= threshold]
    print(f"model       {scorer.name} {scorer.version} ({args.model}), threshold {threshold}")
    print(f"releases    {len(titles)} titled ({untitled} without a title, skipped)")
    print(f"flagged     {len(flagged)} ({len(flagged) / max(1, len(titles)):.2%})")
    print("by department (top 5): " + ", ".join(
        f"{d} {n}" for d, n in Counter(departments[i] for i in flagged).most_common(5)))
    for i in sorted(random.Random(3).sample(flagged, min(args.sample, len(flagged)))):
        print(f"  {scores[i]:.2f}  {titles[i]}")


if __name__ == "__main__":
    main()
