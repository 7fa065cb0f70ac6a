"""The pipeline's own cost next to the sentiment model's, per item (CPU, single process).

    python benchmarks/overhead.py [--items 2000]

The same synthetic items as ``benchmarks/pipeline.py`` go through normalize → dedupe → match →
triage on a temporary SQLite file (the pipeline's share), and their ``scoring_text`` through the
configured model in batches of ``[sentiment] batch_size`` (the model's share). Reported: CPU and wall
seconds per 1,000 items for each and the pipeline's share of the total. Storing and alerting are the lead's
stages and are not included.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.pipeline import Synth  # noqa: E402
from pipeline.db import open_database  # noqa: E402
from pipeline.items import Sentiment  # noqa: E402
from pipeline.sentiment import get_scorer  # noqa: E402
from pipeline.settings import load_settings  # noqa: E402
from pipeline.stages import Context, run_item  # noqa: E402
from pipeline.stages.dedupe import dedupe  # noqa: E402
from pipeline.stages.match import match  # noqa: E402
from pipeline.stages.normalize import normalize  # noqa: E402
from pipeline.stages.triage import triage  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--items", type=int, default=2000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(None, {"database_url": f"sqlite:///{tmp}/o.db"}, use_env=False)
        sessions = open_database(settings.database_url)
        synth = Synth([k for a in settings.agencies for k in a.keywords])
        items = [next(synth) for _ in range(args.items)]
        scorer = get_scorer(settings.sentiment)
        scorer.score(["暖身"])  # load the model outside the timing
        w0, t0 = time.perf_counter(), time.process_time()
        with sessions() as session:
            ctx = Context(settings=settings, session=session)
            kept = [i for i in (run_item(it, [normalize, dedupe, match], ctx) for it in items) if i]
            w1, t1 = time.perf_counter(), time.process_time()
            scores = scorer.score([i.scoring_text for i in kept])
            w2, t2 = time.perf_counter(), time.process_time()
            for it, p in zip(kept, scores, strict=True):
                it.sentiment = Sentiment("negative" if p >= 0.5 else "not_negative", p, "m", "1")
                triage(it, ctx)
            w3, t3 = time.perf_counter(), time.process_time()
            session.commit()
    pipeline_s = (t1 - t0) + (t3 - t2)
    model_s = t2 - t1
    per_k = 1000 / len(items)
    print(f"{len(items):,} items ({len(kept):,} after dedupe), CPU seconds per 1,000 items:")
    print(f"  pipeline (normalize, dedupe, match, triage): {pipeline_s * per_k:.2f}")
    print(f"  sentiment model ({settings.sentiment.model}):  {model_s * per_k:.2f}")
    print(f"  pipeline share of the total: {pipeline_s / (pipeline_s + model_s):.0%} of CPU time")
    pipeline_w, model_w = (w1 - w0) + (w3 - w2), w2 - w1
    print(f"wall seconds per 1,000 items: pipeline {pipeline_w * per_k:.2f}, model {model_w * per_k:.2f}, "
          f"pipeline share {pipeline_w / (pipeline_w + model_w):.0%} (the model uses every core)")


if __name__ == "__main__":
    main()
