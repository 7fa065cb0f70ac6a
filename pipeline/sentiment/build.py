"""Inputs of the training recipe: the pruned 4-bit e5 pack, its tokenizer, unlabelled news text.

``make model`` runs :func:`prepare` then ``recipe final``; see MODEL.md.
"""

from __future__ import annotations

import csv
import gzip
import json
import random
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

ENGLISH_PIECES = 12000
_SENTENCE_END = re.compile(r"[。！？!?\n]+")
_BOILERPLATE = ("發稿單位", "發稿時間", "聯絡人", "連絡人", "電話", "http")


def labelled_texts(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [row["text"] for row in csv.DictReader(fh)]


def press_releases(path: Path) -> Iterator[dict[str, str]]:
    """The records of a gzipped JSON Lines file of releases; a bad line is named by file and number."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}: line {number}: not JSON ({exc.msg})") from None


def unlabelled_texts(press: Path, sentences: int = 16000, seed: int = 13) -> list[str]:
    """Press-release titles plus a sample of body sentences (12-80 characters), de-duplicated."""
    titles: dict[str, None] = {}
    pool: dict[str, None] = {}
    for rel in press_releases(press):
        if rel.get("title"):
            titles[rel["title"].strip()] = None
        for sent in _SENTENCE_END.split(rel.get("content") or ""):
            sent = sent.strip()
            if 12 <= len(sent) <= 80 and not any(b in sent for b in _BOILERPLATE):
                pool[sent] = None
    rest = [s for s in pool if s not in titles]
    random.Random(seed).shuffle(rest)
    return list(titles) + rest[:sentences]


def prepare(out: Path, labelled: Path, press: Path, site: Path | None = None) -> dict[str, int]:
    """Write ``pack.npz``, ``tokenizer/`` and ``unlabelled.txt`` into ``out``; sizes as a dict."""
    from pipeline.sentiment import e5, vocab

    model_bin, tok_json = e5.find_assets(site)
    out.mkdir(parents=True, exist_ok=True)
    unlabelled = unlabelled_texts(press)
    corpus = labelled_texts(labelled) + unlabelled + [r.get("content") or "" for r in press_releases(press)]
    full = e5.tokenizer_json(tok_json)
    keep = vocab.keep_ids(full, corpus, english=ENGLISH_PIECES)
    vocab.write_tokenizer(vocab.prune(full, keep), out / "tokenizer")
    image = e5.read_e5(model_bin)
    e5.save_pack(image, np.asarray(keep), out / "pack.npz")
    (out / "unlabelled.txt").write_text("\n".join(unlabelled) + "\n", encoding="utf-8")
    return {"vocabulary": len(keep), "unlabelled": len(unlabelled)}
