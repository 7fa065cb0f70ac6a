"""Prune a SentencePiece-Unigram ``tokenizer.json`` (XLM-R's 250k pieces) to what our texts use.

82% of multilingual-e5-small's weights are its embedding table, most of it for scripts a Taiwanese
press office never reads. We keep: the special tokens; every piece the given corpus tokenizes to;
every single-character piece of the scripts newsdesk meets (CJK, kana, bopomofo, ASCII, punctuation,
fullwidth forms, emoji); and the ``english`` most likely ASCII pieces. Unigram tokenisation over the
kept pieces still covers any text in those scripts (a lost multi-character piece falls back to
shorter ones); characters outside them become ``<unk>``, as before for unseen characters.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

#: Unicode ranges whose single-character pieces are always kept.
KEEP_RANGES: tuple[tuple[int, int], ...] = (
    (0x20, 0x7E), (0xA0, 0xFF), (0x2000, 0x206F), (0x2100, 0x23FF), (0x2460, 0x27BF),
    (0x3000, 0x30FF), (0x3100, 0x312F), (0x31A0, 0x31BF), (0x3200, 0x33FF), (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0xFE30, 0xFE4F), (0xFF00, 0xFFEF), (0x1F300, 0x1FAFF),
)


def _wanted_char(piece: str) -> bool:
    core = piece.removeprefix("\u2581")
    if len(core) != 1:
        return False
    cp = ord(core)
    return any(lo <= cp <= hi for lo, hi in KEEP_RANGES)


def keep_ids(tokenizer: dict[str, Any], corpus: Iterable[str], *, english: int = 8000) -> list[int]:
    """Ids (ascending) of the pieces to keep."""
    from tokenizers import Tokenizer

    vocab: list[list[Any]] = tokenizer["model"]["vocab"]
    tok = Tokenizer.from_str(json.dumps(tokenizer))
    keep = {t["id"] for t in tokenizer.get("added_tokens", [])}
    keep.update(range(4))
    texts = [t for t in corpus if t]
    for start in range(0, len(texts), 2000):
        for enc in tok.encode_batch(texts[start:start + 2000], add_special_tokens=False):
            keep.update(enc.ids)
    keep.update(i for i, (piece, _s) in enumerate(vocab) if _wanted_char(piece))
    special = {t["id"] for t in tokenizer.get("added_tokens", [])} | set(range(4))
    ascii_ids = sorted((i for i, (p, _s) in enumerate(vocab)
                        if i not in special and p.removeprefix("\u2581").isascii() and p != "\u2581"),
                       key=lambda i: -vocab[i][1])
    keep.update(ascii_ids[:english])
    return sorted(i for i in keep if i < len(vocab) or i in special)


def prune(tokenizer: dict[str, Any], ids: Sequence[int]) -> dict[str, Any]:
    """A copy of ``tokenizer`` holding only ``ids``, renumbered in the same order."""
    new_id = {old: new for new, old in enumerate(ids)}
    out = copy.deepcopy(tokenizer)
    vocab = tokenizer["model"]["vocab"]
    out["model"]["vocab"] = [vocab[i] if i < len(vocab) else [_added(tokenizer, i), 0.0] for i in ids]
    out["model"]["unk_id"] = new_id[tokenizer["model"]["unk_id"]]
    for tok in out.get("added_tokens", []):
        tok["id"] = new_id[tok["id"]]
    post = out.get("post_processor") or {}
    for special in (post.get("special_tokens") or {}).values():
        special["ids"] = [new_id[i] for i in special["ids"]]
    return out


def _added(tokenizer: dict[str, Any], i: int) -> str:
    return next(str(t["content"]) for t in tokenizer["added_tokens"] if t["id"] == i)


def write_tokenizer(tokenizer: dict[str, Any], folder: Path, *, model_max_length: int = 512) -> None:
    """``tokenizer.json`` plus the ``tokenizer_config.json`` that ``AutoTokenizer`` needs."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tokenizer.json").write_text(json.dumps(tokenizer, ensure_ascii=False), encoding="utf-8")
    config = {"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": model_max_length,
              "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>",
              "cls_token": "<s>", "sep_token": "</s>", "mask_token": "<mask>",
              "model_input_names": ["input_ids", "attention_mask"]}
    (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=1), encoding="utf-8")
