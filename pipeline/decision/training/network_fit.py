"""Fine-tune the decision network: one encoder, four heads, on labelled items (CPU or GPU).

The encoder starts from the shipped sentiment student (``pipeline/sentiment/model``: multilingual-e5-small
cut to 6 layers and already adapted to Taiwanese headlines), its tokenizer included. Loss per batch:
cross-entropy of the government head, binary cross-entropy of the response head, and half the
cross-entropy of the agency head on items about the office's government that name a bureau. Batches
group texts of similar length (shuffled by group), so little time goes to padding.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.decision import GOVERNMENTS
from pipeline.decision.network import DecisionNet
from pipeline.decision.text import decision_text
from pipeline.decision.training.data import Labelled

BASE = Path(__file__).resolve().parents[2] / "sentiment" / "model"


@dataclass
class Hyper:
    epochs: int = 2
    lr: float = 5e-5
    batch_size: int = 32
    max_length: int = 128
    agency_weight: float = 0.5
    seed: int = 13
    #: the word embeddings and this many lower layers stay as they are (of 6): computed once, they cost
    #: nothing per step, so a CPU trains in hours, not a day; the embedding rows of pieces our data never
    #: shows (most of English) stay e5's own
    frozen_layers: int = 4


def agency_classes(city_wide: str, agencies: Sequence[str], no_agency: str) -> list[str]:
    return [*agencies, city_wide, no_agency]


def new_network(agencies: Sequence[str], base: Path = BASE) -> tuple[DecisionNet, Any]:
    import torch
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # the load report lists the sentiment head we do not use
    tok = AutoTokenizer.from_pretrained(str(base), local_files_only=True)
    encoder = AutoModel.from_pretrained(str(base), local_files_only=True, dtype=torch.float32,
                                        attn_implementation="eager", add_pooling_layer=False)
    sizes = {"government": len(GOVERNMENTS), "response": 1, "agency": len(agencies)}
    return DecisionNet(encoder, sizes), tok


def freeze(net: DecisionNet, layers: int) -> None:
    """No training for the word embeddings and the ``layers`` lowest encoder layers."""
    encoder: Any = net.encoder
    encoder.embeddings.word_embeddings.weight.requires_grad_(False)
    for layer in encoder.encoder.layer[:layers]:
        for p in layer.parameters():
            p.requires_grad_(False)


def _buckets(lengths: Sequence[int], size: int, rng: random.Random) -> list[list[int]]:
    """Batches of similar length, in random order (each epoch draws new ones)."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], rng.random()))
    batches = [order[i:i + size] for i in range(0, len(order), size)]
    rng.shuffle(batches)
    return batches


def train(rows: Sequence[Labelled], agencies: Sequence[str], hp: Hyper, *,
          log: Callable[[str], None] = print, base: Path = BASE) -> tuple[DecisionNet, Any]:
    """A network fine-tuned on ``rows`` (float32, in eval mode), with its tokenizer.

    The frozen lower part (embeddings and ``hp.frozen_layers`` layers) gives every text the same output
    in every epoch, so it is computed once and kept; each step then runs only the layers that learn.
    On a CPU that is most of the time saved."""
    import torch

    torch.manual_seed(hp.seed)
    rng = random.Random(hp.seed)
    net, tok = new_network(agencies, base)
    freeze(net, hp.frozen_layers)
    texts = [decision_text(r.title, r.lead) for r in rows]
    ids_all = tok(texts, truncation=True, max_length=hp.max_length)["input_ids"]
    started = time.time()
    lower = _lower_outputs(net, ids_all, hp.frozen_layers, tok.pad_token_id)
    log(f"lower {hp.frozen_layers} layers computed once for {len(texts)} texts in {time.time() - started:.0f} s")
    gov = torch.tensor([GOVERNMENTS.index(r.government) for r in rows])
    resp = torch.tensor([float(r.response) for r in rows])
    ag_index = {a: i for i, a in enumerate(agencies)}
    ag = torch.tensor([ag_index.get(r.agency, -100) if r.government == "TPE" else -100 for r in rows])
    steps = hp.epochs * math.ceil(len(rows) / hp.batch_size)
    params = [p for p in net.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=hp.lr, weight_decay=0.01)
    warm = max(1, int(0.06 * steps))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warm) * max(0.0, (steps - s) / steps))
    net.train()
    start, step = time.time(), 0
    for epoch in range(hp.epochs):
        for idx in _buckets([len(e) for e in ids_all], hp.batch_size, rng):
            hidden, mask = _pad([lower[i] for i in idx])
            out = net.pool_heads(net.layers(hidden, mask, hp.frozen_layers), mask)
            t = torch.tensor(idx)
            loss = torch.nn.functional.cross_entropy(out["government"], gov[t])
            loss = loss + torch.nn.functional.binary_cross_entropy_with_logits(out["response"][:, 0], resp[t])
            if (ag[t] >= 0).any():
                loss = loss + hp.agency_weight * torch.nn.functional.cross_entropy(out["agency"], ag[t],
                                                                                   ignore_index=-100)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            step += 1
            if step % 50 == 0 or step == steps:
                log(f"epoch {epoch + 1}/{hp.epochs} step {step}/{steps} loss {loss.item():.3f} "
                    f"({time.time() - start:.0f} s)")
    net.eval()
    return net, tok


def _lower_outputs(net: DecisionNet, ids_all: Sequence[Sequence[int]], layers: int, pad: int) -> list[Any]:
    """Each text's output of the embeddings and the ``layers`` lowest layers (no padding kept)."""
    import torch

    out: list[Any] = [None] * len(ids_all)
    order = sorted(range(len(ids_all)), key=lambda i: len(ids_all[i]))
    net.eval()
    with torch.inference_mode():
        for s in range(0, len(order), 64):
            idx = order[s:s + 64]
            width = max(len(ids_all[i]) for i in idx)
            ids = torch.full((len(idx), width), pad, dtype=torch.long)
            mask = torch.zeros((len(idx), width), dtype=torch.long)
            for row, i in enumerate(idx):
                ids[row, :len(ids_all[i])] = torch.tensor(ids_all[i])
                mask[row, :len(ids_all[i])] = 1
            hidden = net.layers(net.embed(ids), mask, 0, layers)
            for row, i in enumerate(idx):
                out[i] = hidden[row, :len(ids_all[i])].clone()
    return out


def _pad(seqs: Sequence[Any]) -> tuple[Any, Any]:
    import torch

    width = max(len(x) for x in seqs)
    hidden = torch.zeros((len(seqs), width, seqs[0].shape[1]))
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for row, x in enumerate(seqs):
        hidden[row, :len(x)] = x
        mask[row, :len(x)] = 1
    return hidden, mask


def train_frozen(rows: Sequence[Labelled], agencies: Sequence[str], hp: Hyper, *,
                 log: Callable[[str], None] = print, base: Path = BASE) -> tuple[DecisionNet, Any]:
    """The quick recipe: the encoder as it is, only the heads fitted (L-BFGS on its pooled outputs).

    About ten times cheaper than :func:`train` on a CPU and clearly weaker (MODEL.md); it exists for
    machines without the time for fine-tuning, and for tests of the build."""
    import torch

    torch.manual_seed(hp.seed)
    net, tok = new_network(agencies, base)
    net.eval()
    texts = [decision_text(r.title, r.lead) for r in rows]
    pooled = torch.zeros((len(texts), net.hidden))
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    start = time.time()
    with torch.inference_mode():
        for s in range(0, len(order), 64):
            idx = order[s:s + 64]
            enc = tok([texts[i] for i in idx], padding=True, truncation=True, max_length=hp.max_length,
                      return_tensors="pt")
            out = net.encoder(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1).float()
            pooled[idx] = (out * mask).sum(1) / mask.sum(1)
    log(f"pooled {len(texts)} texts in {time.time() - start:.0f} s")
    mu, sd = pooled.mean(0), pooled.std(0) + 1e-6
    z = (pooled - mu) / sd
    ag_index = {a: i for i, a in enumerate(agencies)}
    targets = {
        "government": torch.tensor([GOVERNMENTS.index(r.government) for r in rows]),
        "response": torch.tensor([float(r.response) for r in rows]),
        "agency": torch.tensor([ag_index.get(r.agency, -100) if r.government == "TPE" else -100 for r in rows]),
    }
    for name, y in targets.items():
        keep = y >= 0 if name == "agency" else torch.ones(len(y), dtype=torch.bool)
        w, b = _fit_head(z[keep], y[keep], net.sizes[name], binary=name == "response")
        with torch.no_grad():  # fold the standardisation into the head: z = (x - mu) / sd
            net.head(name).weight.copy_(w / sd)
            net.head(name).bias.copy_(b - (w * (mu / sd)).sum(1))
    return net, tok


def _fit_head(z: Any, y: Any, classes: int, *, binary: bool, l2: float = 1e-3) -> tuple[Any, Any]:
    """A linear head (weights [classes, dim], bias) by L-BFGS on fixed inputs."""
    import torch

    w = torch.zeros((classes, z.shape[1]), requires_grad=True)
    b = torch.zeros(classes, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], max_iter=300, line_search_fn="strong_wolfe")

    def closure() -> Any:
        opt.zero_grad()
        logits = z @ w.T + b
        if binary:
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits[:, 0], y)
        else:
            loss = torch.nn.functional.cross_entropy(logits, y)
        loss = loss + l2 * (w * w).sum()
        loss.backward()
        return loss

    opt.step(closure)
    return w.detach(), b.detach()
