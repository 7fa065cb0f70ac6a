"""A tiny character-level BERT classifier, built and trained from scratch with ``transformers``.

What the tests build for themselves (no download, a few seconds): a vocabulary made from the
training texts' characters (plus ASCII, so English works), one or two layers. The shipped model is
made by ``recipe.py`` (see MODEL.md).
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def build_vocab(texts: Sequence[str], max_size: int = 6000, min_count: int = 1) -> list[str]:
    counts = Counter(ch for t in texts for ch in t if not ch.isspace())
    ascii_chars = [chr(c) for c in range(33, 127)]
    chars = [c for c, n in counts.most_common(max_size) if n >= min_count]
    vocab = SPECIAL + sorted(set(ascii_chars) | set(chars))
    vocab += ["##" + c for c in ascii_chars if c.isalnum()]
    return vocab


def train_tiny(texts: Sequence[str], labels: Sequence[int], out_dir: Path, *, epochs: int = 4,
               hidden: int = 128, layers: int = 2, seed: int = 13, name: str = "newsdesk-tiny-char",
               version: str = "0", id2label: dict[int, str] | None = None,
               label_map: dict[str, str] | None = None) -> Path:
    """Train a tiny classifier and save it as a transformers folder.

    By default label 1 = negative, 0 = not_negative; with ``id2label`` the labels are class indices
    into it, and ``label_map`` (class name -> negative / not_negative) goes into ``newsdesk.json``."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

    random.seed(seed)
    torch.manual_seed(seed)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    vocab = build_vocab(texts)
    # the vocabulary as a mapping: transformers 5 ignores ``vocab_file`` (every character became [UNK])
    tok = BertTokenizer(vocab={piece: i for i, piece in enumerate(vocab)}, do_lower_case=False,
                        tokenize_chinese_chars=True)
    id2label = id2label or {0: "not_negative", 1: "negative"}
    config = BertConfig(vocab_size=len(vocab), hidden_size=hidden, num_hidden_layers=layers,
                        num_attention_heads=max(1, hidden // 64), intermediate_size=hidden * 4,
                        max_position_embeddings=256,
                        id2label=id2label, label2id={v: k for k, v in id2label.items()})
    model = BertForSequenceClassification(config)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    order = list(range(len(texts)))
    model.train()
    for _ in range(epochs):
        random.shuffle(order)
        for start in range(0, len(order), 32):
            idx = order[start:start + 32]
            enc = tok([texts[i] for i in idx], padding=True, truncation=True, max_length=64,
                      return_tensors="pt")
            loss = model(**enc, labels=torch.tensor([labels[i] for i in idx])).loss
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    model.save_pretrained(out_dir)
    tok.save_pretrained(out_dir)
    meta: dict[str, object] = {"name": name, "version": version}
    if label_map:
        meta["labels"] = label_map
    (out_dir / "newsdesk.json").write_text(json.dumps(meta), encoding="utf-8")
    return out_dir
