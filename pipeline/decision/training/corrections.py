"""Officers' corrections retrain the decision, safely: a minimum count, a check on held-back data
before the new version replaces the old, versioned folders and a one-step rollback.

What is retrained is the decision's last layer, the combiner (:mod:`pipeline.decision.combine`): it
is refitted on the rows it was built with (``fit.npz`` in the folder: features and labels, no text)
plus the corrections (``needs a response`` = marked negative), each correction counting
``CORRECTION_WEIGHT`` times. A quarter of the corrections and a quarter of the built rows (chosen by
a hash, the same every time) are held back; the new version is promoted only if its F1 on them is
at least the current one's and its log-loss is not worse by more than ``LOSS_SLACK``. The network
and the lexical model are shared with the parent version (hard links), so a version costs little disk.

``[decision] models_dir`` holds one folder per version, ``ACTIVE`` (the promoted one, read by
``[decision] model = "current"``) and ``HISTORY`` (promotions, newest last) for ``rollback``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.decision import Doc
from pipeline.decision.combine import matrix
from pipeline.decision.model import ACTIVE_FILE, BUILTIN_DIR, FolderDecider, load_folder, resolve
from pipeline.decision.training.fit import fit_combiner, prf
from pipeline.models import Correction, ItemRow
from pipeline.settings import Settings

CORRECTION_WEIGHT = 3.0
LOSS_SLACK = 0.01
HISTORY_FILE = "HISTORY"
FIT_ROWS = "fit.npz"
SHARED_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                "lexical.json", "lexical.safetensors")


class RetrainError(Exception):
    """Retraining cannot run or must not promote; the message says why and what to do."""


@dataclass
class Outcome:
    promoted: bool
    folder: Path
    corrections: int
    held_back: dict[str, dict[str, float]]  # current / new -> f1, log_loss, items
    message: str


def stored_corrections(session: Session) -> list[tuple[int, str, str, str | None, int]]:
    """(item id, title, text, outlet, needs a response 1/0), the latest correction per item."""
    rows = session.execute(select(Correction.item_id, Correction.label, ItemRow.title, ItemRow.text, ItemRow.outlet)
                           .join(ItemRow, ItemRow.id == Correction.item_id)
                           .order_by(Correction.created_at, Correction.id)).all()
    latest: dict[int, tuple[int, str, str, str | None, int]] = {}
    for item_id, label, title, text, outlet in rows:
        latest[item_id] = (item_id, title or "", text or "", outlet, int(label == "negative"))
    return list(latest.values())


def _held_back(key: str) -> bool:
    return int(hashlib.sha1(key.encode()).hexdigest()[:8], 16) % 4 == 0


def _log_loss(p: np.ndarray, y: np.ndarray) -> float:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))) if len(y) else 0.0


def retrain(settings: Settings, session: Session, *, force: bool = False,
            now: datetime | None = None) -> Outcome:
    """Refit the combiner with the corrections; write a version; promote it if the check passes."""
    found = stored_corrections(session)
    need = settings.decision.min_corrections
    if len(found) < need:
        raise RetrainError(f"{len(found)} correction(s) recorded; retraining needs at least {need} "
                           "([decision] min_corrections), so one officer's few marks cannot change every "
                           "alert. Mark more alerts with `newsdesk alerts mark`.")
    if len({y for *_, y in found}) < 2:
        raise RetrainError(f"all {len(found)} corrections say the same thing; retraining needs corrections "
                           "of both kinds (negative and not_negative)")
    current = resolve(settings)
    fit_rows = current / FIT_ROWS
    if not fit_rows.is_file():
        raise RetrainError(f"{current} has no {FIT_ROWS} (the rows its combiner was fitted on); rebuild it "
                           "with `make model`")
    model = load_folder(current)
    decider = FolderDecider(model, settings)
    docs = _docs(found, settings)
    xc = matrix(decider.signals(docs, decider.raw(docs)))
    yc = np.asarray([y for *_, y in found])
    base = np.load(fit_rows)
    xb, yb = base["x"].astype(np.float64), base["y"].astype(np.int64)
    hold_c = np.asarray([_held_back(f"c{item_id}") for item_id, *_ in found])
    hold_b = np.asarray([_held_back(f"b{i}") for i in range(len(yb))])
    x_train = np.vstack([xb[~hold_b], xc[~hold_c]])
    y_train = np.concatenate([yb[~hold_b], yc[~hold_c]])
    w_train = np.concatenate([np.ones(int((~hold_b).sum())), np.full(int((~hold_c).sum()), CORRECTION_WEIGHT)])
    new = fit_combiner(x_train, y_train.tolist(), weights=w_train.tolist())
    x_hold, y_hold = np.vstack([xb[hold_b], xc[hold_c]]), np.concatenate([yb[hold_b], yc[hold_c]])
    th = settings.decision.threshold
    figures = {}
    for name, comb in (("current", model.combiner), ("new", new)):
        p = comb.score_matrix(x_hold)
        figures[name] = {"f1": round(prf(p >= th, y_hold.astype(bool))[2], 4),
                         "log_loss": round(_log_loss(p, y_hold), 4), "items": len(y_hold),
                         "corrections": int(hold_c.sum())}
    better = should_promote(figures["current"], figures["new"])
    when = now or datetime.now(UTC)
    info = dict(model.info)
    info.update(combiner=new.to_dict(), version=f"{model.version}+c{when:%Y%m%d%H%M%S}",
                parent=str(current), corrections=len(found), held_back=figures, retrained_at=when.isoformat())
    folder = write_version(settings, current, info, when)
    np.savez_compressed(folder / FIT_ROWS, x=np.vstack([xb, xc]).astype(np.float32),
                        y=np.concatenate([yb, yc]).astype(np.int8))
    if not (better or force):
        return Outcome(False, folder, len(found), figures,
                       f"not promoted: on held-back data the new version is worse (F1 {figures['new']['f1']} vs "
                       f"{figures['current']['f1']}, log-loss {figures['new']['log_loss']} vs "
                       f"{figures['current']['log_loss']}); the current model stays. `--force` promotes anyway.")
    promote(settings, folder)
    return Outcome(True, folder, len(found), figures,
                   f"promoted {folder.name}: held-back F1 {figures['new']['f1']} (was {figures['current']['f1']})")


def should_promote(current: dict[str, float], new: dict[str, float]) -> bool:
    """At least the current F1 on held-back data, and a log-loss not worse by more than the slack."""
    return new["f1"] >= current["f1"] and new["log_loss"] <= current["log_loss"] + LOSS_SLACK


def _docs(found: Sequence[tuple[int, str, str, str | None, int]], settings: Settings) -> list[Doc]:
    from pipeline.decision.training.data import Labelled
    from pipeline.decision.training.recipe import docs_for

    rows = [Labelled(f"c{i}", title, text, outlet or "", settings.office.government, y, "", "correction")
            for i, title, text, outlet, y in found]
    return docs_for(rows, settings)


def write_version(settings: Settings, parent: Path, info: dict[str, Any], when: datetime) -> Path:
    root = Path(settings.decision.models_dir)
    folder = root / f"decision-{when:%Y%m%d-%H%M%S}"
    folder.mkdir(parents=True, exist_ok=False)
    for name in SHARED_FILES:
        src = parent / name
        if src.is_file():
            try:
                os.link(src, folder / name)
            except OSError:
                shutil.copy2(src, folder / name)
    (folder / "decision.json").write_text(json.dumps(info, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return folder


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def promote(settings: Settings, folder: Path) -> None:
    root = Path(settings.decision.models_dir)
    history = _history(root)
    _write_atomic(root / HISTORY_FILE, "\n".join([*history, folder.name]) + "\n")
    _write_atomic(root / ACTIVE_FILE, folder.name + "\n")


def _history(root: Path) -> list[str]:
    path = root / HISTORY_FILE
    return [x for x in path.read_text(encoding="utf-8").split()] if path.is_file() else []


def rollback(settings: Settings) -> str:
    """Make the previously promoted version active (the shipped model when none); returns its name."""
    root = Path(settings.decision.models_dir)
    history = _history(root)
    if not history:
        raise RetrainError(f"nothing to roll back: no version was promoted in {root}; the shipped model is in use")
    history.pop()
    _write_atomic(root / HISTORY_FILE, "\n".join(history) + ("\n" if history else ""))
    if history:
        _write_atomic(root / ACTIVE_FILE, history[-1] + "\n")
        return history[-1]
    (root / ACTIVE_FILE).unlink(missing_ok=True)
    return f"the shipped model ({BUILTIN_DIR})"


def versions(settings: Settings) -> list[tuple[str, bool, dict[str, Any]]]:
    """(folder name, active, decision.json) of every version, oldest first."""
    root = Path(settings.decision.models_dir)
    active = resolve(settings)
    out = []
    for folder in sorted(root.glob("decision-*")) if root.is_dir() else []:
        try:
            info = json.loads((folder / "decision.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            info = {}
        out.append((folder.name, folder.resolve() == active.resolve(), info))
    return out
