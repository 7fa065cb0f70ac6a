"""Labelled items for the decision: our labels joined with the shared texts, the office's gold set,
English translations, and officers' corrections.

Our label files (``labels/*.csv``) carry no news text (it belongs to the outlets): each row names an
item of ``../shared/data/news/taiwan-news-2026-07.jsonl.gz`` by its line (``n<line>``) or a row of
``needs-response-dev.csv`` (``d<row>``), with the first 10 hex digits of the SHA-1 of its title, so a
changed file is noticed rather than mislabelled. See ``labels/LABELS.md`` for how they were made.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from pipeline.decision import GOVERNMENTS

LABELS_DIR = Path(__file__).with_name("labels")
REPO = Path(__file__).resolve().parents[3]
NEWS = "data/news/taiwan-news-2026-07.jsonl.gz"
DEV = "data/sentiment/needs-response-dev.csv"


class DataError(Exception):
    """Missing or inconsistent training data; the message names the file and the row."""


@dataclass(frozen=True)
class Labelled:
    key: str  # n<line> (July news), d<row> (the office's dev file), or c<id> (a correction)
    title: str
    lead: str
    outlet: str
    government: str
    response: int
    agency: str  # "" unless government is TPE
    source: str  # july-ours | dev-july | dev-newstitle | english | correction
    annotator: str = ""
    published: str = ""
    language: str = "zh-Hant"


def shared_dir() -> Path:
    """``NEWSDESK_SHARED`` or ``../shared`` beside the repository."""
    return Path(os.environ.get("NEWSDESK_SHARED") or REPO.parent / "shared")


def title_hash(title: str) -> str:
    return hashlib.sha1(title.encode("utf-8")).hexdigest()[:10]


def _need(path: Path) -> Path:
    if not path.is_file():
        raise DataError(f"{path} not found: the decision is trained on ../shared/data (set NEWSDESK_SHARED "
                        "to its folder)")
    return path


@cache
def news() -> list[dict[str, str]]:
    path = _need(shared_dir() / NEWS)
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def corpus_lead(row: dict[str, str]) -> str:
    """The item's lead; the aggregator's copy of the title is left for ``decision_text`` to drop."""
    return (row.get("lead") or "").strip()


def read_dev() -> list[Labelled]:
    """The office's 1,265 labelled items (800 July 2026 news with leads, 465 NewsTitle headlines)."""
    path = _need(shared_dir() / DEV)
    out = []
    with path.open(encoding="utf-8", newline="") as fh:
        for i, row in enumerate(csv.DictReader(fh)):
            source = "dev-july" if row["source"] == "news-2026-07" else "dev-newstitle"
            out.append(Labelled(f"d{i}", row["title"], row["lead"], row["outlet"], row["government"],
                                int(row["needs_response"]), row["agency"], source, "office",
                                row.get("published", "")))
    return out


def read_labels(path: Path, *, roles: Iterable[str] = ("primary",)) -> list[Labelled]:
    """Our labels of July news joined with the shared texts (rows of the given roles)."""
    wanted = set(roles)
    rows = news()
    dev = {d.key: d for d in read_dev()}
    out = []
    with path.open(encoding="utf-8", newline="") as fh:
        for number, row in enumerate(csv.DictReader(fh), 2):
            if row["role"] not in wanted:
                continue
            key = row["key"]
            if row["government"] not in GOVERNMENTS or row["needs_response"] not in ("0", "1"):
                raise DataError(f"{path}:{number}: bad label {row['government']!r}/{row['needs_response']!r}")
            if key.startswith("n"):
                src = rows[int(key[1:])]
                title, lead, outlet, published = src["title"], corpus_lead(src), src["outlet"], src["published"]
            elif key in dev:
                d = dev[key]
                title, lead, outlet, published = d.title, d.lead, d.outlet, d.published
            else:
                raise DataError(f"{path}:{number}: unknown key {key!r}")
            if title_hash(title) != row["title_sha1"]:
                raise DataError(f"{path}:{number}: {key} is not the item that was labelled (title changed)")
            out.append(Labelled(key, title, lead, outlet, row["government"], int(row["needs_response"]),
                                row["agency"], "july-ours", row["annotator"], published))
    return out


def read_english(path: Path, labelled: dict[str, Labelled]) -> list[Labelled]:
    """English versions (``key, title_en, lead_en``) carrying the labels of the items they translate."""
    out = []
    with path.open(encoding="utf-8", newline="") as fh:
        for number, row in enumerate(csv.DictReader(fh), 2):
            src = labelled.get(row["key"])
            if src is None:
                raise DataError(f"{path}:{number}: {row['key']!r} is not a labelled item")
            out.append(replace(src, title=row["title_en"], lead=row["lead_en"], source="english",
                               language="en", outlet="translation"))
    return out


def label_files() -> list[Path]:
    return sorted(LABELS_DIR.glob("july-2026-*.csv"))


def training_set() -> list[Labelled]:
    """What the network and the lexical model learn from: our labels, NewsTitle gold, English versions
    of our labels (the office's July gold set is kept out: the combiner is fitted and checked on it)."""
    ours = [x for f in label_files() for x in read_labels(f)]
    ours = [x for x in ours if x.key.startswith("n")]
    newstitle = [d for d in read_dev() if d.source == "dev-newstitle"]
    english = read_english(LABELS_DIR / "english-train.csv", {x.key: x for x in ours})
    return ours + newstitle + english


def gold_july() -> list[Labelled]:
    """The office's 800 labelled July items: the held-out set for fitting and checking the combiner."""
    return [d for d in read_dev() if d.source == "dev-july"]


def gold_english() -> list[Labelled]:
    """English versions of 200 of the office's July items (their labels carried over)."""
    return read_english(LABELS_DIR / "english-eval.csv", {d.key: d for d in gold_july()})
