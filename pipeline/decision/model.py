"""Load a decision model folder and decide batches of items with it.

A folder holds the network (``config.json``, ``model.safetensors``: :mod:`pipeline.decision.network`),
its tokenizer, the lexical model (``lexical.json`` + ``lexical.safetensors``) and ``decision.json``:
name, version, the head classes, the combiner's and router's parameters, the threshold it was tuned
with, and what it was trained on. ``[decision] model`` chooses the folder: ``current`` (the version
last promoted by ``newsdesk sentiment train`` in ``[decision] models_dir``, else the shipped one),
``builtin`` (the shipped one) or a path.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from pipeline.decision import GOVERNMENT_NAMES, GOVERNMENTS, Decision, DecisionError, Doc
from pipeline.decision.combine import Combiner, Router, Signals, candidates
from pipeline.decision.text import decision_text

if TYPE_CHECKING:
    from pipeline.decision.lexical import LexicalModel
    from pipeline.decision.network import DecisionNet
    from pipeline.settings import Settings

BUILTIN_DIR = Path(__file__).with_name("model")
REBUILD = "make model"
ACTIVE_FILE = "ACTIVE"  # in models_dir: the name of the promoted version's folder


def resolve(settings: Settings) -> Path:
    """The folder ``[decision] model`` names."""
    choice = settings.decision.model
    if choice == "builtin":
        return BUILTIN_DIR
    if choice == "current":
        active = Path(settings.decision.models_dir) / ACTIVE_FILE
        if active.is_file():
            name = active.read_text(encoding="utf-8").strip()
            if name:
                return Path(settings.decision.models_dir) / name
        return BUILTIN_DIR
    return Path(choice)


@dataclass
class Raw:
    """The model's outputs for a batch: probabilities per head (rows in input order)."""

    government: np.ndarray  # [n, len(GOVERNMENTS)]
    response: np.ndarray  # [n]
    agency: np.ndarray  # [n, len(agencies)]
    emotion: np.ndarray | None  # [n] or None
    lex_government: np.ndarray | None
    lex_response: np.ndarray | None
    #: where the network did not run (the lexical model's answer stands in for it), see ``skip_below``
    skipped: np.ndarray | None = None
    #: the lexical model's P(answering agency), columns as ``agency``, when it has them
    lex_agency: np.ndarray | None = None
    #: (names the office's city, names another place) per item
    places: list[tuple[bool, bool]] | None = None


class LoadedModel:
    """A folder in memory: tokenizer, network, lexical model and the fitted parameters."""

    def __init__(self, net: DecisionNet, tokenizer: Any, info: dict[str, Any],
                 lexical: LexicalModel | None = None, path: Path | None = None) -> None:
        self.net = net
        self.tokenizer = tokenizer
        self.info = info
        self.lexical = lexical
        self.path = path
        self.agencies: list[str] = list(info["agencies"])
        self.combiner = Combiner.from_dict(info["combiner"])
        self.router = Router.from_dict(info.get("router", {}))
        self.name = str(info.get("name", path.name if path else "decision"))
        self.version = str(info.get("version", "local"))

    @classmethod
    def from_folder(cls, path: Path) -> LoadedModel:
        from pipeline.decision import network
        from pipeline.decision.encoder import Tokenizer

        if not (path / "decision.json").is_file():
            raise DecisionError(f"decision model folder {path} is missing or has no decision.json; "
                                f"rebuild it with `{REBUILD}`")
        try:
            info: dict[str, Any] = json.loads((path / "decision.json").read_text(encoding="utf-8"))
            if list(info["governments"]) != list(GOVERNMENTS):
                raise ValueError(f"governments {info['governments']} differ from {list(GOVERNMENTS)}")
            net = network.load(path, sizes(info))
            tokenizer = Tokenizer(path)
            lexical = None
            if (path / "lexical.json").is_file():
                from pipeline.decision.lexical import LexicalModel

                lexical = LexicalModel.load(path)
            return cls(net, tokenizer, info, lexical, path)
        except Exception as exc:  # noqa: BLE001 - json, safetensors and transformers raise many kinds
            raise DecisionError(f"cannot load decision model folder {path}: {type(exc).__name__}: {exc}; "
                                f"rebuild it with `{REBUILD}`") from None

    def predict(self, texts: Sequence[str], *, batch_size: int = 64, max_length: int = 128,
                run: Sequence[bool] | None = None,
                lexical: tuple[np.ndarray, np.ndarray, np.ndarray | None] | None = None) -> Raw:
        """All heads for ``texts`` (already prepared by :func:`decision_text`), in input order. Where
        ``run`` is False the network is skipped and the lexical model's answer (``lexical``, computed
        here when not given) stands in for it."""
        import torch

        n = len(texts)
        gov = np.zeros((n, len(GOVERNMENTS)))
        resp = np.zeros(n)
        agency = np.zeros((n, len(self.agencies)))
        emotion = np.zeros(n) if "emotion" in self.net.sizes else None
        lex_gov = lex_resp = lex_agency = None
        if lexical is None and self.lexical is not None and n:
            lexical = self.lexical.predict_all(texts)
        if lexical is not None:
            lex_gov, lex_resp, lex_agency = lexical
        chosen = [i for i in range(n) if run is None or run[i]] if lex_gov is not None else list(range(n))
        order = sorted(chosen, key=lambda i: len(texts[i]))
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                idx = order[start:start + batch_size]
                enc = self.tokenizer([texts[i] for i in idx], padding=True, truncation=True,
                                     max_length=max_length, return_tensors="pt")
                out = self.net(enc["input_ids"], enc["attention_mask"])
                gov[idx] = torch.softmax(out["government"].float(), -1).numpy()
                resp[idx] = torch.sigmoid(out["response"].float()[:, 0]).numpy()
                agency[idx] = torch.softmax(out["agency"].float(), -1).numpy()
                if emotion is not None:
                    emotion[idx] = torch.sigmoid(out["emotion"].float()[:, 0]).numpy()
        skipped = np.ones(n, dtype=bool)
        skipped[chosen] = False
        if lex_gov is not None and lex_resp is not None and skipped.any():
            gov[skipped], resp[skipped] = lex_gov[skipped], lex_resp[skipped]
        if self.lexical is None or self.lexical.agencies != tuple(self.agencies):
            lex_agency = None  # columns of another agency list cannot be averaged with the network's
        return Raw(gov, resp, agency, emotion, lex_gov, lex_resp, skipped, lex_agency)

    def agency_head(self, raw: Raw, i: int) -> dict[str, float]:
        """P(answering agency) of item ``i``: the network's and the lexical model's averaged (the lexical
        model's alone where the network was skipped)."""
        p = raw.agency[i]
        if raw.lex_agency is not None:
            skipped = raw.skipped is not None and bool(raw.skipped[i])
            p = raw.lex_agency[i] if skipped else (p + raw.lex_agency[i]) / 2
        return dict(zip(self.agencies, (float(x) for x in p), strict=True))


def sizes(info: dict[str, Any]) -> dict[str, int]:
    """The heads a folder's network has."""
    return {"government": len(GOVERNMENTS), "response": 1, "agency": len(info["agencies"]),
            "emotion": 1 if info.get("emotion") else 0}


@lru_cache(maxsize=4)
def _load(path: str) -> LoadedModel:
    return LoadedModel.from_folder(Path(path))


def load_folder(path: Path) -> LoadedModel:
    """The folder's model, loaded once per process."""
    return _load(str(path.resolve()))


class FolderDecider:
    """The decision for these settings with a loaded model (cheap to build; the model is shared)."""

    def __init__(self, model: LoadedModel, settings: Settings) -> None:
        from pipeline.decision.places import Places

        self.model = model
        self.settings = settings
        self.ours = settings.office.government
        self.gi = GOVERNMENTS.index(self.ours)
        self.places = Places.from_settings(settings)
        self.candidates = candidates(settings.agency_names())
        self.name = model.name
        self.version = model.version

    def raw(self, docs: Sequence[Doc]) -> Raw:
        """The model's outputs; the network runs only on items that may concern the office: those the
        lexical model gives P(our government) >= ``[decision] skip_below``, or that name the city or
        match the watchlist. The rest (most of the news) keep the lexical model's answer."""
        cfg = self.settings.decision
        places = [self.places.mentions(f"{d.title}\n{d.text[:2000]}") for d in docs]
        texts = [decision_text(d.title, d.text) for d in docs]
        run, lexical = None, None
        if cfg.skip_below > 0 and self.model.lexical is not None and docs:
            lexical = self.model.lexical.predict_all(texts)
            run = [bool(lexical[0][i, self.gi] >= cfg.skip_below or home or doc.matches)
                   for i, (doc, (home, _o)) in enumerate(zip(docs, places, strict=True))]
        raw = self.model.predict(texts, batch_size=cfg.batch_size, max_length=cfg.max_length, run=run,
                                 lexical=lexical)
        raw.places = places
        return raw

    def signals(self, docs: Sequence[Doc], raw: Raw) -> list[Signals]:
        """The combiner's inputs; ``raw`` is :meth:`raw`'s answer for the same ``docs``."""
        assert raw.places is not None, "raw() sets the place mentions"
        out = []
        for i, doc in enumerate(docs):
            home, other = raw.places[i]
            out.append(Signals(
                t_ours=float(raw.government[i, self.gi]), t_resp=float(raw.response[i]),
                l_ours=None if raw.lex_government is None else float(raw.lex_government[i, self.gi]),
                l_resp=None if raw.lex_response is None else float(raw.lex_response[i]),
                home=home, other_only=other and not home,
                official=any(m.kind == "official" for m in doc.matches),
                watchlist=any(m.kind != "official" for m in doc.matches)))
        return out

    def decide(self, docs: Sequence[Doc]) -> list[Decision]:
        if not docs:
            return []
        raw = self.raw(docs)
        signals = self.signals(docs, raw)
        scores = np.asarray(self.model.combiner.score(signals), dtype=float)
        if raw.skipped is not None and raw.lex_government is not None:
            # ruled out by the lexical model: it needs a response from us no more than it concerns us
            scores = np.where(raw.skipped, np.minimum(scores, raw.lex_government[:, self.gi]), scores)
        return [self._one(doc, raw, i, signals[i], float(scores[i])) for i, doc in enumerate(docs)]

    def _one(self, doc: Doc, raw: Raw, i: int, sig: Signals, score: float) -> Decision:
        gov_p = raw.government[i] if raw.lex_government is None else (raw.government[i] + raw.lex_government[i]) / 2
        top = int(np.argmax(gov_p))
        threshold = self.settings.decision.threshold
        needs = score >= threshold
        ours_p = float(gov_p[self.gi])
        agency: str | None = None
        agency_p, via = 0.0, list[str]()
        if needs or top == self.gi:
            head = self.model.agency_head(raw, i)
            agency, agency_p, via = self.model.router.route(head, _matched(doc), self.candidates)
        reasons = [f"政府：{GOVERNMENT_NAMES[GOVERNMENTS[top]]} {gov_p[top]:.0%}"
                   + ("（字詞模型；與本府無涉，未經語意模型）" if raw.skipped is not None and raw.skipped[i] else ""),
                   f"需回應 {score:.0%}（門檻 {threshold:.0%}；語意模型 {sig.t_resp:.0%}"
                   + ("" if sig.l_resp is None else f"，字詞模型 {sig.l_resp:.0%}") + "）"]
        if top != self.gi:
            reasons.append(f"本府（{GOVERNMENT_NAMES[self.ours]}）{ours_p:.0%}")
        if sig.other_only:
            reasons.append("只提及其他縣市")
        terms = [t for m in doc.matches for t in m.terms][:4]
        if terms:
            reasons.append("關鍵詞：" + "、".join(dict.fromkeys(terms)))
        if agency is not None or needs:
            reasons.append(f"分辦：{agency or '未定'}（模型 {agency_p:.0%}"
                           + (f"；關鍵詞 {'、'.join(via[:3])}" if via else "") + "）")
        emotion = None if raw.emotion is None else float(raw.emotion[i])
        return Decision(GOVERNMENTS[top], float(gov_p[top]), ours_p, score, needs, agency, agency_p, reasons,
                        self.name, self.version, emotion)


def _matched(doc: Doc) -> dict[str, list[str]]:
    """Agency → the watchlist terms that pointed to it."""
    out: dict[str, list[str]] = {}
    for m in doc.matches:
        for a in m.agencies:
            out.setdefault(a, []).extend(t for t in m.terms if t not in out.get(a, []))
    return out

