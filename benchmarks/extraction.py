"""Extraction quality on the real pages in ../shared/data/extraction, per set and per field.

Sets (each page is real; only ``outlets`` is generated, to check the parsers' mechanics):

* ``waddle``: 111 Taiwanese outlet pages of 2012 (UDN, China Times, Liberty Times incl. Big5,
  NOWnews, Sina TW, Yam, UHO, BCC, TTV, PTS, Taiwan News) with hand-cleaned gold text whose first
  line is the headline: body F1 against the rest, title against the first line.
* ``twnews``: 7 mobile pages (2016-19) with the checks of that project's ``test_soup_*.py``
  (``test_01_sample``): title contains, time to the minute, reporter, a body sentence.
* ``zh``: 69 Chinese pages (mostly GB2312) with gold body, author and date, scored like
  scrapinghub's article-extraction-benchmark.
* ``taipeitimes``: one page with fundus' expected title, authors, time and paragraphs.
* ``outlets``: tests/fixtures/crawlers/outlets (written after each outlet's markup; not real).

Fields and how they are scored:

* body: shingle precision/recall/F1 per page, averaged (character bigrams for Chinese, word
  4-shingles for English, whitespace ignored); a missing body scores 0.
* title: ``exact`` after folding (NFKC, 臺→台, no spaces or punctuation); ``ok`` also accepts a
  title that is a part of a gold line padded by the set's own artefacts (waddle's first line keeps
  ``【16:15】`` times, ``》`` bullets, breadcrumbs and sub-heads), when it covers at least half of it.
* time: to the precision of the gold value (minute, day or month); pages without one are not scored.
* authors: the same set of names (spaces ignored); a page whose gold says there is none scores
  right only when nothing is returned. ``junk`` counts authors that look like no person's name.
* sentence: every expected body sentence is in the text.

Both newsdesk (:func:`crawlers.extract.extract`) and trafilatura alone are scored on the same bytes;
``newsdesk-batch`` reads each set in one run, as ``newsdesk extract FILE...`` does (site labels learned
per host across its pages).

    python benchmarks/extraction.py [--data ../shared/data/extraction] [--sets waddle,twnews] [--show-worst 5]
"""

from __future__ import annotations

import argparse
import ast
import gzip
import json
import re
import statistics
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

_HAN = re.compile(r"[\u3400-\u9fff]")
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "extraction"


@dataclass
class Case:
    """One page and what is known to be right about it (None: not known, not scored)."""

    set: str
    name: str
    body: bytes
    url: str
    text: str | None = None
    title: str | None = None
    title_in: str | None = None  # the title must contain this (twnews' assertIn)
    published: str | None = None  # "YYYY-MM-DD[ HH:MM[:SS]]", partial values allowed
    authors: list[str] | None = None  # [] means the page names no author
    sentences: list[str] = field(default_factory=list)


@dataclass
class Result:
    """What one extractor returned for one case."""

    title: str = ""
    text: str = ""
    published: datetime | None = None
    authors: list[str] = field(default_factory=list)


# -- scoring -----------------------------------------------------------------------------------


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


def fold(text: str) -> str:
    """Title comparison key: NFKC, 臺 as 台, lower case, no spaces or punctuation."""
    text = unicodedata.normalize("NFKC", text or "").replace("臺", "台").lower()
    return "".join(c for c in text if unicodedata.category(c)[0] in "LN")


_GOLD_TIME = re.compile(r"[【\[(（]\s*\d{1,2}:\d{2}\s*[】\])）]")


def title_scores(pred: str, case: Case) -> tuple[bool, bool] | None:
    """(exact, ok) for the case's title, or None when the case has no title to check."""
    if case.title_in is not None:
        hit = fold(case.title_in) in fold(pred) and len(fold(pred)) <= 2 * len(fold(case.title_in)) + 4
        return hit, hit
    if case.title is None:
        return None
    p, g = fold(pred), fold(case.title)
    if p == g:
        return True, True
    trimmed = fold(_GOLD_TIME.sub("", case.title))
    ok = bool(p) and (p == trimmed or (p in trimmed and len(p) >= 0.5 * len(trimmed)))
    return False, ok


def time_score(pred: datetime | None, gold: str | None) -> bool | None:
    """The gold time to its own precision; None when the gold has no usable date."""
    m = re.match(r"\s*(\d{4})-(\d{1,2})(?:-(\d{1,2}))?(?:\s+(\d{1,2}):(\d{2}))?", gold or "")
    if not m:
        return None
    if pred is None:
        return False
    from crawlers.dates import TAIPEI

    local = pred.astimezone(TAIPEI) if pred.tzinfo else pred
    want = [int(x) for x in m.groups() if x is not None]
    have = [local.year, local.month, local.day, local.hour, local.minute][: len(want)]
    return have == want


def _name(a: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", a)).lower()


def authors_score(pred: list[str], gold: list[str] | None) -> bool | None:
    if gold is None:
        return None
    return {_name(a) for a in pred} == {_name(a) for a in gold}


_NOT_A_NAME = re.compile(r"https?:|www\.|\.com|@|©|copyright|designer|版權|記者|報導|新聞|電子報|日報|時報|"
                         r"中央社|[0-9]{2,}|最新消息|追蹤", re.I)


def junk_authors(pred: list[str]) -> list[str]:
    """Returned authors that are not a person's name (a URL, a credit line, an outlet, a sentence)."""
    return [a for a in pred if _NOT_A_NAME.search(a) or len(a) > 40 or not a.strip()]


def sentences_score(pred: str, sentences: list[str]) -> bool | None:
    if not sentences:
        return None
    text = re.sub(r"\s+", "", pred)
    return all(re.sub(r"\s+", "", s) in text for s in sentences)


# -- the sets ----------------------------------------------------------------------------------


def waddle(data: Path) -> Iterator[Case]:
    folder = data / "waddle-tw"
    for gold in sorted(folder.glob("*.gold.txt")):
        stem = gold.name.removesuffix(".gold.txt")
        _, host, digest = stem.split("_", 2)
        lines = [ln.strip() for ln in gold.read_text(encoding="utf-8").splitlines() if ln.strip()]
        yield Case("waddle", stem[9:45], gzip.decompress((folder / f"{stem}.html.gz").read_bytes()),
                   f"http://{host}/{digest}", text="\n".join(lines[1:]), title=lines[0] if lines else "")


#: twnews channel → the host its pages come from (the sample's own URL is not stored with it)
TWNEWS_HOSTS = {"appledaily": "tw.appledaily.com", "chinatimes": "www.chinatimes.com", "cna": "www.cna.com.tw",
                "ettoday": "www.ettoday.net", "ltn": "news.ltn.com.tw", "setn": "www.setn.com",
                "udn": "udn.com"}


def _asserts(test: Path) -> dict[str, Any]:
    """The expected values in ``test_01_sample`` of a twnews test module, read with ``ast``."""
    tree = ast.parse(test.read_text(encoding="utf-8"))
    want: dict[str, Any] = {}
    for fn in ast.walk(tree):
        if not (isinstance(fn, ast.FunctionDef) and fn.name == "test_01_sample"):
            continue
        for call in ast.walk(fn):
            if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                    and call.func.attr in ("assertIn", "assertEqual") and len(call.args) >= 2):
                continue
            expected, actual = call.args[0], call.args[1]
            target = actual.func if isinstance(actual, ast.Call) else actual
            while isinstance(target, ast.Attribute) and isinstance(target.value, ast.Call):
                target = target.value.func  # nsoup.date().strftime(...) -> date
            if isinstance(target, ast.Attribute) and isinstance(expected, ast.Constant):
                want[target.attr] = expected.value
    return want


def twnews(data: Path) -> Iterator[Case]:
    folder = data / "twnews"
    for page in sorted(folder.glob("*.html.gz")):
        channel = page.name.removesuffix(".html.gz")
        test = folder / f"test_soup_{channel}.py"
        if not test.is_file():
            continue
        want = _asserts(test)
        author = want.get("author")
        yield Case("twnews", channel, gzip.decompress(page.read_bytes()),
                   f"https://{TWNEWS_HOSTS.get(channel, channel)}/", title_in=want.get("title"),
                   published=want.get("date"), authors=[author] if author else [],
                   sentences=[want["contents"]] if want.get("contents") else [])


def zh(data: Path) -> Iterator[Case]:
    folder = data / "zh-web-content"
    ground = folder / "eval"
    body = json.loads((ground / "cleaned_ground.json").read_text(encoding="utf-8"))
    author = json.loads((ground / "author_ground.json").read_text(encoding="utf-8"))
    date = json.loads((ground / "date_ground.json").read_text(encoding="utf-8"))
    for key, value in sorted(body.items()):
        html = (folder / "original" / f"{key}.html").read_bytes()
        m = re.search(rb'<text id="([^"]+)"', html[:500])
        url = m.group(1).decode("latin-1") if m else f"http://example.invalid/{key}"
        names = (author.get(key) or {}).get("articleBody", "").strip()
        when = (date.get(key) or {}).get("articleBody", "").strip()
        yield Case("zh", key[:8], html, url, text=value["articleBody"],
                   authors=None if not names else [] if names == "UNKNOWN" else re.split(r"[\s、]+(?![^()]*\))", names),
                   published=when if re.match(r"\d{4}-\d", when) else None)


def taipeitimes(data: Path) -> Iterator[Case]:
    folder = data / "taipeitimes"
    meta = json.loads((folder / "meta.info").read_text())
    exp = json.loads((folder / "TaipeiTimes.json").read_text())["V1"]
    paras = [p for s in exp["body"]["sections"] for p in s["paragraphs"]]
    for fname, info in meta.items():
        yield Case("taipeitimes", fname, gzip.decompress((folder / fname).read_bytes()), info["url"],
                   text="\n".join(paras), title=exp["title"], published=exp["publishing_date"][:16].replace("T", " "),
                   authors=exp["authors"], sentences=paras)


def outlets(_data: Path) -> Iterator[Case]:
    fixtures = ROOT / "tests" / "fixtures" / "crawlers" / "outlets"
    for expected in sorted(fixtures.glob("*.json")):
        want = json.loads(expected.read_text(encoding="utf-8"))
        yield Case("outlets", expected.stem, gzip.decompress(expected.with_suffix(".html.gz").read_bytes()),
                   want["url"], text="\n".join(want["paragraphs"]), title=want["title"])


SETS: dict[str, Callable[[Path], Iterator[Case]]] = {
    "waddle": waddle, "twnews": twnews, "zh": zh, "taipeitimes": taipeitimes, "outlets": outlets}
FOLDERS = {"waddle": "waddle-tw", "twnews": "twnews", "zh": "zh-web-content", "taipeitimes": "taipeitimes"}


def cases(data: Path, sets: list[str] | None = None) -> list[Case]:
    out: list[Case] = []
    for name in sets or list(SETS):
        folder = FOLDERS.get(name)
        if folder is None or (data / folder).is_dir():
            out.extend(SETS[name](data))
    return out


# -- the extractors ----------------------------------------------------------------------------


def newsdesk(case: Case) -> Result:
    """Each page on its own, as the crawler sees a host's first page."""
    from crawlers.extract import extract

    ex = extract(case.body, case.url)
    return Result(ex.title, ex.text, ex.published_at, list(ex.authors))


_BATCH: dict[str, Any] = {}


def newsdesk_batch(case: Case) -> Result:
    """The pages of a set in one run, as ``newsdesk extract FILE...`` reads them (site labels learned
    across the pages of each host)."""
    from crawlers.extract import SiteNames, extract

    memory = _BATCH.setdefault(case.set, SiteNames())
    ex = extract(case.body, case.url, site_names=memory)
    return Result(ex.title, ex.text, ex.published_at, list(ex.authors))


def trafilatura_alone(case: Case) -> Result:
    import trafilatura

    from crawlers.dates import parse_iso

    doc = trafilatura.bare_extraction(case.body, url=case.url, with_metadata=True)
    if doc is None:
        return Result()
    get = doc.get if isinstance(doc, dict) else lambda k: getattr(doc, k, None)
    author = get("author") or ""
    return Result(get("title") or "", trafilatura.extract(case.body, url=case.url) or "",
                  parse_iso(get("date")), [a.strip() for a in re.split(r"[;,]", author) if a.strip()])


EXTRACTORS: dict[str, Callable[[Case], Result]] = {"newsdesk": newsdesk, "newsdesk-batch": newsdesk_batch,
                                                   "trafilatura": trafilatura_alone}


# -- the report --------------------------------------------------------------------------------


@dataclass
class Scored:
    case: Case
    result: Result
    body: tuple[float, float, float] | None
    title: tuple[bool, bool] | None
    time: bool | None
    authors: bool | None
    junk: list[str]
    sentences: bool | None


def score(case: Case, result: Result) -> Scored:
    return Scored(case, result, prf(result.text, case.text) if case.text is not None else None,
                  title_scores(result.title, case), time_score(result.published, case.published),
                  authors_score(result.authors, case.authors), junk_authors(result.authors),
                  sentences_score(result.text, case.sentences))


def _count(values: list[bool | None]) -> str:
    known = [v for v in values if v is not None]
    return f"{sum(known)}/{len(known)}" if known else "-"


def summary(rows: list[Scored]) -> dict[str, str]:
    bodies = [r.body for r in rows if r.body is not None]
    out = {"pages": str(len(rows))}
    if bodies:
        out.update(P=f"{statistics.mean(b[0] for b in bodies):.3f}", R=f"{statistics.mean(b[1] for b in bodies):.3f}",
                   F1=f"{statistics.mean(b[2] for b in bodies):.3f}")
    out["title exact"] = _count([t[0] if t else None for t in (r.title for r in rows)])
    out["title ok"] = _count([t[1] if t else None for t in (r.title for r in rows)])
    out["time"] = _count([r.time for r in rows])
    out["authors"] = _count([r.authors for r in rows])
    out["junk authors"] = str(sum(len(r.junk) for r in rows))
    out["sentences"] = _count([r.sentences for r in rows])
    return out


def run(data: Path, sets: list[str] | None, extractors: list[str]) -> dict[str, tuple[list[Scored], float]]:
    """Each extractor's scored pages and the seconds it took over all of them."""
    found = cases(data, sets)
    results: dict[str, tuple[list[Scored], float]] = {}
    for name in extractors:
        fn = EXTRACTORS[name]
        t0 = time.perf_counter()
        rows = [score(c, fn(c)) for c in found]
        results[name] = (rows, time.perf_counter() - t0)
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--sets", help=f"comma-separated, of {','.join(SETS)} (default all)")
    ap.add_argument("--extractors", default="newsdesk,trafilatura",
                    help=f"comma-separated, of {','.join(EXTRACTORS)}")
    ap.add_argument("--show-worst", type=int, default=0, help="list the N worst pages per set (body F1)")
    ap.add_argument("--show-misses", action="store_true", help="list each page a field was wrong on")
    args = ap.parse_args()
    if not args.data.is_dir():
        sys.exit(f"{args.data} is absent: nothing to measure")
    import logging

    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    sets = args.sets.split(",") if args.sets else None
    names = args.extractors.split(",")
    results = run(args.data, sets, names)
    cols = ("pages", "P", "R", "F1", "title exact", "title ok", "time", "authors", "junk authors", "sentences")
    print(f"{'set':12s} {'extractor':12s} " + "  ".join(f"{c:>12s}" for c in cols))
    ours = results[names[0]][0]
    groups = sorted({r.case.set for r in ours}, key=list(SETS).index)
    for group in groups:
        for name in names:
            part = [r for r in results[name][0] if r.case.set == group]
            s = summary(part)
            print(f"{group:12s} {name:12s} " + "  ".join(f"{s.get(c, '-'):>12s}" for c in cols))
    for name in names:
        rows, seconds = results[name]
        print(f"{name}: {1000 * seconds / max(1, len(rows)):.1f} ms a page")
    for group in groups:
        bodies = [(r.body, r.case.name) for r in ours if r.case.set == group and r.body is not None]
        for (p, r_, f), name in sorted(bodies, key=lambda b: b[0][2])[: args.show_worst]:
            print(f"  worst {group}/{name}: F1={f:.3f} P={p:.3f} R={r_:.3f}")
    if args.show_misses:
        for r in ours:
            c = r.case
            if r.title and not r.title[1]:
                print(f"  title {c.set}/{c.name}: {r.result.title!r} want {c.title or c.title_in!r}")
            if r.time is False:
                print(f"  time {c.set}/{c.name}: {r.result.published} want {c.published}")
            if r.authors is False or r.junk:
                print(f"  authors {c.set}/{c.name}: {r.result.authors} want {c.authors}")
            if r.sentences is False:
                print(f"  sentences {c.set}/{c.name}: missing in {r.result.text[:80]!r}")


if __name__ == "__main__":
    main()
