"""The decision network's encoder and tokenizer at run time, without importing transformers.

Importing ``transformers.models.bert`` costs about 4 s on 2 cores, most of a newsdesk process's start,
and a few hundred MB: more than the model itself. The network is a plain BERT encoder (absolute
positions, post-LayerNorm, exact GELU, eager attention), so this module runs the same weights with
torch alone and reads ``tokenizer.json`` with the ``tokenizers`` library. Parameter names are
transformers' own (``embeddings.word_embeddings.weight``, ``encoder.layer.0.attention.self.query``…),
so one ``model.safetensors`` serves both; training (:mod:`pipeline.decision.training`) keeps using
transformers' ``BertModel``. ``tests/pipeline/decision/test_parts.py`` checks that the two give the
same outputs and the same token ids.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn


@dataclass
class EncoderConfig:
    """The fields of a BERT ``config.json`` this encoder uses (the rest is kept as read)."""

    raw: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        try:
            return self.raw[name]
        except KeyError:
            raise AttributeError(name) from None

    @classmethod
    def from_folder(cls, path: Path) -> EncoderConfig:
        raw = json.loads((path / "config.json").read_text(encoding="utf-8"))
        if raw.get("model_type") != "bert" or raw.get("hidden_act", "gelu") != "gelu":
            raise ValueError(f"{path / 'config.json'}: a BERT encoder with exact GELU is expected")
        if raw.get("position_embedding_type", "absolute") != "absolute":
            raise ValueError(f"{path / 'config.json'}: only absolute positions are supported")
        return cls(raw)

    def save_pretrained(self, path: str) -> None:
        Path(path).mkdir(parents=True, exist_ok=True)
        (Path(path) / "config.json").write_text(json.dumps(self.raw, ensure_ascii=False, indent=2) + "\n",
                                                encoding="utf-8")


class Embeddings(nn.Module):
    def __init__(self, c: EncoderConfig) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(c.vocab_size, c.hidden_size)
        self.position_embeddings = nn.Embedding(c.max_position_embeddings, c.hidden_size)
        self.token_type_embeddings = nn.Embedding(c.type_vocab_size, c.hidden_size)
        self.LayerNorm = nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        n = input_ids.shape[1]
        positions = torch.arange(n, device=input_ids.device)[None, :]
        x = self.word_embeddings(input_ids) + self.token_type_embeddings(torch.zeros_like(positions))
        return self.LayerNorm(x + self.position_embeddings(positions))


class _Dense(nn.Module):
    """``dense`` (+ ``LayerNorm`` over the residual): transformers' ``*Output`` blocks."""

    def __init__(self, n_in: int, n_out: int, eps: float | None) -> None:
        super().__init__()
        self.dense = nn.Linear(n_in, n_out)
        if eps is not None:
            self.LayerNorm = nn.LayerNorm(n_out, eps=eps)


class _SelfAttention(nn.Module):
    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)


class _Attention(nn.Module):
    def __init__(self, c: EncoderConfig) -> None:
        super().__init__()
        self.self = _SelfAttention(c.hidden_size)
        self.output = _Dense(c.hidden_size, c.hidden_size, c.layer_norm_eps)


class Layer(nn.Module):
    def __init__(self, c: EncoderConfig) -> None:
        super().__init__()
        self.heads = int(c.num_attention_heads)
        self.attention = _Attention(c)
        self.intermediate = _Dense(c.hidden_size, c.intermediate_size, None)
        self.output = _Dense(c.intermediate_size, c.hidden_size, c.layer_norm_eps)

    def forward(self, x: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """``attention_mask``: additive, [batch, 1, 1, tokens] (0 where a token is, very negative else)."""
        b, n, h = x.shape
        d = h // self.heads
        att = self.attention.self

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.view(b, n, self.heads, d).transpose(1, 2)

        q, k, v = split(att.query(x)), split(att.key(x)), split(att.value(x))
        weights = torch.softmax(torch.matmul(q, k.transpose(2, 3)) * (d ** -0.5) + attention_mask, dim=-1)
        context = torch.matmul(weights, v).transpose(1, 2).reshape(b, n, h)
        out = self.attention.output
        x = out.LayerNorm(out.dense(context) + x)
        inner = nn.functional.gelu(self.intermediate.dense(x))
        return self.output.LayerNorm(self.output.dense(inner) + x)


class _Layers(nn.Module):
    def __init__(self, c: EncoderConfig) -> None:
        super().__init__()
        self.layer = nn.ModuleList(Layer(c) for _ in range(int(c.num_hidden_layers)))


@dataclass
class EncoderOutput:
    last_hidden_state: torch.Tensor


class Encoder(nn.Module):
    """A BERT encoder (no pooler), called as transformers' ``BertModel`` is by :class:`DecisionNet`."""

    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.config = config
        self.embeddings = Embeddings(config)
        self.encoder = _Layers(config)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> EncoderOutput:
        x = self.embeddings(input_ids)
        mask = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min
        for layer in self.encoder.layer:
            x = layer(x, mask)
        return EncoderOutput(x)


class Tokenizer:
    """``tokenizer.json`` through the ``tokenizers`` library, called like a transformers tokenizer:
    ``tok(texts, padding=True, truncation=True, max_length=N, return_tensors="pt")``."""

    def __init__(self, folder: Path) -> None:
        from tokenizers import Tokenizer as Fast

        self.folder = folder
        self.fast = Fast.from_file(str(folder / "tokenizer.json"))
        settings = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
        pad = settings.get("pad_token", "<pad>")
        pad = pad.get("content") if isinstance(pad, dict) else pad
        pad_id = self.fast.token_to_id(str(pad))
        if pad_id is None:
            raise ValueError(f"{folder / 'tokenizer.json'} has no pad token {pad!r}")
        self.pad_id = pad_id
        self.fast.no_padding()
        self.fast.no_truncation()

    def __call__(self, texts: Sequence[str], *, padding: bool = True, truncation: bool = True,
                 max_length: int = 512, return_tensors: str = "pt") -> dict[str, torch.Tensor]:
        if truncation:
            self.fast.enable_truncation(max_length)
        encs = self.fast.encode_batch(list(texts))
        width = max((len(e.ids) for e in encs), default=0)
        ids = torch.full((len(encs), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(encs), width), dtype=torch.long)
        for i, e in enumerate(encs):
            ids[i, :len(e.ids)] = torch.tensor(e.ids, dtype=torch.long)
            mask[i, :len(e.ids)] = 1
        return {"input_ids": ids, "attention_mask": mask}

    def save_pretrained(self, path: str) -> None:
        for name in ("tokenizer.json", "tokenizer_config.json"):
            if (self.folder / name).resolve() != (Path(path) / name).resolve():
                shutil.copyfile(self.folder / name, Path(path) / name)
