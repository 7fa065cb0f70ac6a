"""Import a year of real releases and tally them; compare with an independent count.

    python benchmarks/press_tally.py [FILE]   (default ../shared/data/press/tainan-releases-2024.jsonl.gz)

Prints the import and tally times and whether the tally (by month and by agency) equals a count made
straight from the file. Target: import + tally in under 10 s.
"""

from __future__ import annotations

import gzip
import json
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.db import open_database  # noqa: E402
from pipeline.settings import load_settings  # noqa: E402
from press.agencies import AgencyNames  # noqa: E402
from press.importer import import_releases, open_lines  # noqa: E402
from press.tally import tally_releases  # noqa: E402

DEFAULT = ROOT.parent / "shared" / "data" / "press" / "tainan-releases-2024.jsonl.gz"


def independent(path: Path, names: AgencyNames) -> tuple[Counter[str], Counter[str]]:
    months: Counter[str] = Counter()
    agencies: Counter[str] = Counter()
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError:
                continue
            title = row.get("title")
            day = row.get("published_at") or row.get("published")
            if not title or not day:
                continue
            months[str(day)[:7]] += 1
            unit = row.get("agency") or row.get("department")
            if not unit:
                from press.agencies import issuer_from_body

                unit = issuer_from_body(row.get("body") or row.get("content"))
            agencies[names.short(unit)] += 1
    return months, agencies


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(None, {"database_url": f"sqlite:///{tmp}/bench.db"}, use_env=False)
        sessions = open_database(settings.database_url)
        names = AgencyNames((a.short, a.name) for a in settings.agencies)
        t0 = time.perf_counter()
        with sessions() as session:
            summary = import_releases(session, path, names)
            session.commit()
        t1 = time.perf_counter()
        start, end = datetime(1912, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)
        with sessions() as session:
            by_month = {r.key[0]: r.count for r in tally_releases(session, start, end, ("month",))}
            by_agency = {r.key[0]: r.count for r in tally_releases(session, start, end, ("agency",))}
        t2 = time.perf_counter()
    months, agencies = independent(path, names)
    with open_lines(path) as fh:
        lines = sum(1 for line in fh if line.strip())
    print(summary.describe(str(path)).splitlines()[0])
    print(
        f"lines in file {lines:,}; releases imported {summary.imported:,}; rejected {len(summary.rejected):,}"
    )
    print(f"import {t1 - t0:.2f} s, tally {t2 - t1:.2f} s, total {t2 - t0:.2f} s (target < 10 s)")
    print(f"tally by month equals independent count: {by_month == dict(months)}")
    print(
        f"tally by agency equals independent count: {by_agency == dict(agencies)} ({len(agencies)} agencies)"
    )
    for month in sorted(by_month):
        print(f"  {month}  {by_month[month]:>6,}")
    print(f"  total    {sum(by_month.values()):>6,}")


if __name__ == "__main__":
    main()
