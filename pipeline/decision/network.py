"""The network behind the decision: a small BERT encoder, mean-pooled, with one linear head per question.

Heads: ``government`` (one class per :data:`~pipeline.decision.GOVERNMENTS`), ``response`` (one logit:
negative coverage of that government that needs a response), ``agency`` (one class per bureau the
model was trained on) and, optionally, ``emotion`` (one logit: negative emotion, the old sentiment
question, kept as a feature for charts and the digest). One forward pass answers all of them.

Saved as one ``model.safetensors`` (``encoder.*`` and ``heads.*`` tensors) beside the encoder's
``config.json``; building the network is kept apart in :mod:`pipeline.decision.training`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import torch
from torch import nn

HEADS = ("government", "response", "agency", "emotion")


class DecisionNet(nn.Module):
    def __init__(self, encoder: nn.Module, sizes: dict[str, int], dropout: float = 0.1) -> None:
        super().__init__()
        self.encoder = encoder
        self.hidden = int(cast(Any, encoder).config.hidden_size)
        self.sizes = {name: n for name, n in sizes.items() if n}
        self.drop = nn.Dropout(dropout)
        self.heads = nn.ModuleDict({name: nn.Linear(self.hidden, n) for name, n in self.sizes.items()})

    def head(self, name: str) -> nn.Linear:
        return cast(nn.Linear, self.heads[name])

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> dict[str, torch.Tensor]:
        out = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return self.pool_heads(out, attention_mask)

    def pool_heads(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> dict[str, torch.Tensor]:
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = self.drop((hidden * mask).sum(1) / mask.sum(1).clamp(min=1))
        return {name: self.head(name)(pooled) for name in self.sizes}

    def layers(self, hidden: torch.Tensor, attention_mask: torch.Tensor, start: int, stop: int | None = None
               ) -> torch.Tensor:
        """Encoder layers ``start:stop`` over ``hidden`` (the embeddings' output for ``start`` 0), as the
        encoder itself runs them (eager attention, padding masked)."""
        encoder: Any = self.encoder
        extended = (1.0 - attention_mask[:, None, None, :].to(hidden.dtype)) * torch.finfo(hidden.dtype).min
        for layer in encoder.encoder.layer[start:stop]:
            out = layer(hidden, attention_mask=extended)
            hidden = out[0] if isinstance(out, tuple) else out
        return hidden

    def embed(self, input_ids: torch.Tensor) -> torch.Tensor:
        return cast(torch.Tensor, cast(Any, self.encoder).embeddings(input_ids=input_ids))


def build(config: Any, sizes: dict[str, int]) -> DecisionNet:
    """An untrained network of this encoder config (weights are loaded afterwards): transformers'
    ``BertModel`` for a transformers config (training), :class:`~pipeline.decision.encoder.Encoder`
    for an :class:`~pipeline.decision.encoder.EncoderConfig` (run time, no transformers import)."""
    from pipeline.decision.encoder import Encoder, EncoderConfig

    if isinstance(config, EncoderConfig):
        return DecisionNet(Encoder(config), sizes)
    from transformers import BertModel

    return DecisionNet(BertModel(config, add_pooling_layer=False), sizes)


#: The word embeddings (most of the weights) are stored as int8 rows with one scale each: half the
#: size of bfloat16, and the error (under 0.4% of a row's largest value) is far below what matters.
WORDS = "encoder.embeddings.word_embeddings.weight"


def load(path: Path, sizes: dict[str, int], dtype: torch.dtype | None = None) -> DecisionNet:
    """The network stored in folder ``path`` (``config.json`` + ``model.safetensors``)."""
    from safetensors.torch import load_file

    from pipeline.decision.encoder import EncoderConfig

    net = build(EncoderConfig.from_folder(path), sizes)
    state = load_file(str(path / "model.safetensors"))
    if dtype is None:
        dtype = state[f"{WORDS}.scale"].dtype if f"{WORDS}.scale" in state else next(iter(state.values())).dtype
    if f"{WORDS}.int8" in state:
        state[WORDS] = state.pop(f"{WORDS}.int8").to(torch.float32) * state.pop(f"{WORDS}.scale").to(torch.float32)
    missing, unexpected = net.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise ValueError(f"weights do not fit the network: missing {missing[:3]}, unexpected {unexpected[:3]}")
    net.eval()
    return net.to(dtype)


def save(net: DecisionNet, path: Path, dtype: torch.dtype = torch.bfloat16) -> None:
    from safetensors.torch import save_file

    path.mkdir(parents=True, exist_ok=True)
    cast(Any, net.encoder).config.save_pretrained(str(path))
    state = {k: v.detach().to(dtype).contiguous() for k, v in net.state_dict().items() if k != WORDS}
    words = net.state_dict()[WORDS].detach().to(torch.float32)
    scale = words.abs().amax(dim=1, keepdim=True).clamp(min=1e-8) / 127
    state[f"{WORDS}.int8"] = torch.round(words / scale).to(torch.int8).contiguous()
    state[f"{WORDS}.scale"] = scale.to(dtype).contiguous()
    save_file(state, str(path / "model.safetensors"))
