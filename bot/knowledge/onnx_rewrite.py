"""The sentence model's int8 weight products rewired to ONNX Runtime's integer operator.

Hand-written because no package ships all-MiniLM-L6-v2 in a form whose int8 weights ONNX
Runtime keeps as int8: the graph is edited with the `onnx` library (a kept one), once, and the
result kept in the encodings cache (see `integer_model`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

log = logging.getLogger(__name__)


class EncoderUnavailable(RuntimeError):
    """The model files are missing, unreadable or not the expected ones; says which."""


def sha256_of(path: Path) -> str:
    """The SHA-256 digest of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


REWRITE = 7  # the version of `_rewrite`, in the kept file's name: a new one is made again
WORD_ROWS = "word_embeddings"  # the rewritten model's input: its text's rows of the word table


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


def _scaled_rows(
    node: Any, made_by: Mapping[str, Any], weights: Mapping[str, Any], uses: Mapping[str, int]
) -> tuple[str, str] | None:
    """(int8 rows, scale per row) when the Gather `node` reads rows of Cast(int8) * scales."""
    found = _int8_scaled(node.input[0], made_by, weights, uses)
    axis = next((a.i for a in node.attribute if a.name == "axis"), 0)
    if found is None or axis != 0:
        return None
    rows, scale_dims = list(weights[found[0]].dims), list(weights[found[1]].dims)
    return found if len(rows) == 2 and scale_dims == [rows[0], 1] else None


def _gather_rows(
    node: Any, made_by: Mapping[str, Any], weights: Mapping[str, Any], uses: Mapping[str, int]
) -> list[Any]:
    # An embedding table stored as int8 rows with a scale per row: the rows a question needs
    # are gathered as int8 and scaled then, instead of the whole table being multiplied out
    # to float32 at load.
    from onnx import helper

    found = _scaled_rows(node, made_by, weights, uses)
    if found is None:
        return [node]
    quantised, scale = found
    out, ids = node.output[0], node.input[1]
    return [
        helper.make_node("Gather", [quantised, ids], [f"{out}__q"], axis=0),
        helper.make_node("Gather", [scale, ids], [f"{out}__scale"], axis=0),
        helper.make_node("Cast", [f"{out}__q"], [f"{out}__f"], to=1),  # to float32
        helper.make_node("Mul", [f"{out}__f", f"{out}__scale"], [out]),
    ]


def _row_type(dimensions: int) -> np.dtype[Any]:
    """A row of the word table as kept: its int8 components, then its scale."""
    return np.dtype([("q", np.int8, (dimensions,)), ("scale", "<f4")])


def _word_table(
    node: Any, made_by: Mapping[str, Any], weights: Mapping[str, Any], uses: Mapping[str, int]
) -> np.ndarray:
    # The word-embedding table (30,522 words of 384 int8, 11.7 MB) leaves the graph: read by
    # ONNX Runtime from its mapped weights, the kernel maps 64 kB around each row read, so a
    # few dozen questions make all of it resident in the process. The model takes a text's
    # rows, scaled, as its input instead (`WordRows`, reading them with pread).
    from onnx import numpy_helper

    found = _scaled_rows(node, made_by, weights, uses)
    if found is None:
        raise EncoderUnavailable("the model's word embeddings are not int8 rows with a scale each")
    quantised = numpy_helper.to_array(weights[found[0]])
    table = np.empty(len(quantised), dtype=_row_type(quantised.shape[1]))
    table["q"] = quantised
    table["scale"] = numpy_helper.to_array(weights[found[1]])[:, 0]
    return table


def _from_mask(name: str, made_by: Mapping[str, Any]) -> bool:
    """Whether tensor `name` is computed from the `attention_mask` input."""
    seen, todo = set(), [name]
    while todo:
        current = todo.pop()
        if current == "attention_mask":
            return True
        node = made_by.get(current)
        if node is not None and current not in seen:
            seen.add(current)
            todo += list(node.input)
    return False


def _without_padding(nodes: list[Any]) -> list[Any]:
    # The encoder runs every text alone, unpadded (see `SentenceEncoder.encode`), so the
    # attention mask is all ones: what each layer adds to its attention scores is zero, and
    # the softmax has no row that is all masked (NaN) to be zeroed. Both are skipped here,
    # which changes no number (x + 0 is x), and the mask's own computation goes with them:
    # about 40 of the model's 300 operations run for every question.
    made_by = {out: node for node in nodes for out in node.output}
    readers: dict[str, list[Any]] = {}
    for node in nodes:
        for name in node.input:
            readers.setdefault(name, []).append(node)
    renamed: dict[str, str] = {}
    dropped: set[int] = set()
    for softmax in (n for n in nodes if n.op_type == "Softmax"):
        add = made_by.get(softmax.input[0])
        if add is None or add.op_type != "Add" or len(readers[add.output[0]]) != 1:
            continue
        masks = [i for i in add.input if _from_mask(i, made_by)]
        if len(masks) != 1:
            continue
        scores = add.input[1] if add.input[0] == masks[0] else add.input[0]
        softmax.input[0] = scores
        dropped.add(id(add))
        # Where(IsNaN(p), 0, p): p itself when nothing is masked
        out = softmax.output[0]
        isnan = [n for n in readers.get(out, []) if n.op_type == "IsNaN"]
        for check in isnan:
            for where in readers.get(check.output[0], []):
                if where.op_type == "Where" and list(where.input)[::2] == [check.output[0], out]:
                    renamed[where.output[0]] = out
                    dropped.update((id(where), id(check)))
    for node in nodes:
        for i, name in enumerate(node.input):
            if name in renamed:
                node.input[i] = renamed[name]
    return [n for n in nodes if id(n) not in dropped]


class Rewritten(NamedTuple):
    """A rewritten model: its graph (weights inside) and its word table (see `_word_table`)."""

    graph: bytes
    table: np.ndarray


def _rewrite(source: bytes) -> Rewritten:
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
    nodes: list[Any] = []
    table: np.ndarray | None = None
    rows = ""
    for node in graph.node:
        if node.op_type == "Gather" and list(node.input)[1:] == ["input_ids"] and table is None:
            # the word table's Gather leaves the graph: its readers take the input instead
            table, rows = _word_table(node, made_by, weights, uses), node.output[0]
            continue
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
        # The int8 weights go in as uint8 about a zero point of 128 (the same numbers): with
        # int8 weights, a CPU without VNNI (AVX2 only) sums pairs of uint8-by-int8 products in
        # 16 bits, which saturates and moves the encodings by a few hundredths; uint8 by uint8
        # is exact there, and takes as long.
        names = (f"{quantised}__u8", f"{quantised}__scale", f"{quantised}__zero")
        shifted = numpy_helper.to_array(weights[quantised]).astype(np.int16) + 128
        graph.initializer.append(numpy_helper.from_array(shifted.astype(np.uint8), names[0]))
        graph.initializer.append(
            numpy_helper.from_array(scale.reshape(columns).astype(np.float32), names[1])
        )
        graph.initializer.append(numpy_helper.from_array(np.full(columns, 128, np.uint8), names[2]))
        nodes.append(
            helper.make_node(
                "DynamicQuantizeMatMul",
                [node.input[0], *names],
                list(node.output),
                name=f"{node.name}__integer",
                domain="com.microsoft",
            )
        )
    if not any(n.op_type == "DynamicQuantizeMatMul" for n in nodes):
        raise EncoderUnavailable("the model has no int8 weight products to run as such")
    if table is None:
        raise EncoderUnavailable("the model reads no word embeddings from its input_ids")
    for node in nodes:
        node.input[:] = [WORD_ROWS if name == rows else name for name in node.input]
    nodes = _without_padding(nodes)
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
    for read in [i for i in graph.input if i.name not in needed and i.name != "attention_mask"]:
        graph.input.remove(read)  # input_ids: the model now takes its rows of the table
    shape = ["batch", "sequence", table["q"].shape[1]]
    graph.input.append(helper.make_tensor_value_info(WORD_ROWS, onnx.TensorProto.FLOAT, shape))
    model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    return Rewritten(bytes(model.SerializeToString()), table)


def weights_file(kept: Path) -> Path:
    """The file beside a kept model that holds its weights (see `integer_model`)."""
    return kept.with_suffix(".weights")


def table_file(kept: Path) -> Path:
    """The file beside a kept model that holds its word table (a NumPy array file)."""
    return kept.with_suffix(".rows")


def _digests(kept: Path) -> str:
    return " ".join(sha256_of(f) for f in (kept, weights_file(kept), table_file(kept)))


def _keep(made: Rewritten, kept: Path) -> None:
    # The graph, its weights and its word table in three files, written in a directory of
    # their own and moved into place (a process reading the old ones keeps reading them):
    # ONNX Runtime maps a model's external weights into memory instead of copying them, so
    # they are held once, in the layout its integer products use; the word table's rows are
    # read with pread (`WordRows`).
    import onnx

    model = onnx.load_from_string(made.graph)
    kept.parent.mkdir(parents=True, exist_ok=True)
    moved = (weights_file(kept), table_file(kept), kept, kept.with_suffix(".sha256"))
    with tempfile.TemporaryDirectory(prefix=".rewrite-", dir=kept.parent) as temporary:
        weights, table, graph, digests = (Path(temporary) / f.name for f in moved)
        onnx.save_model(
            model,
            str(graph),
            save_as_external_data=True,
            all_tensors_to_one_file=True,
            location=weights.name,
            size_threshold=4096,
        )
        with table.open("wb") as f:
            np.save(f, made.table, allow_pickle=False)
        digests.write_text(_digests(graph))
        for source, target in zip((weights, table, graph, digests), moved, strict=True):
            os.replace(source, target)


class WordRows:
    """A text's rows of the word table (see `_word_table`), scaled to float32 as the model's
    Cast and Mul did. From a kept file each row is read with `os.pread`: it stays in the page
    cache, shared and not the process's (a mapping would count the pages it touched, and
    the kernel's fault-around 64 kB of them for each row). Thread-safe."""

    def __init__(self, table: np.ndarray | Path) -> None:
        self._table: np.ndarray | None = None
        if isinstance(table, np.ndarray):
            self._table, self.words, self._type = table, len(table), table.dtype
            return
        self._fd = os.open(table, os.O_RDONLY | os.O_CLOEXEC)
        weakref.finalize(self, os.close, self._fd)
        with open(self._fd, "rb", closefd=False) as f:
            version = np.lib.format.read_magic(f)
            if version != (1, 0):
                raise EncoderUnavailable(f"{table} is not a word table")
            shape, _, self._type = np.lib.format.read_array_header_1_0(f)
            self._start = f.tell()
        if len(shape) != 1 or self._type.names != ("q", "scale"):
            raise EncoderUnavailable(f"{table} is not a word table")
        self.words = shape[0]

    def __call__(self, ids: Sequence[int]) -> NDArray[np.float32]:
        """The rows of `ids`, as an array (len(ids), dimensions)."""
        if any(not 0 <= i < self.words for i in ids):
            raise ValueError("a token id outside the word table")
        if self._table is not None:
            rows = self._table[list(ids)]
        else:
            size, start = self._type.itemsize, self._start
            data = b"".join(os.pread(self._fd, size, start + i * size) for i in ids)
            if len(data) != size * len(ids):
                raise EncoderUnavailable("the word table file is shorter than its header says")
            rows = np.frombuffer(data, dtype=self._type)
        return rows["q"].astype(np.float32) * rows["scale"][:, None]


def integer_model(source: Path, cache: Path | None = None, *, model_id: str) -> Path | Rewritten:
    """The model at `source` with its weight products in integers and its word table out of
    the graph (see `_rewrite`), made once and kept in `cache` when given: importing `onnx` and
    rewriting take about a second, checking the kept files a few milliseconds. Returns the
    kept graph, its weights and word table in the files `weights_file` and `table_file` name
    beside it (see `_keep`), or the rewritten model itself when there is no cache or it
    cannot be written. The kept files are checked against the digests written beside them,
    and made again if any differs."""
    kept = cache / f"model-{model_id}-integer{REWRITE}.onnx" if cache is not None else None
    if kept is not None:
        try:
            if _digests(kept) == kept.with_suffix(".sha256").read_text():
                return kept
        except OSError:
            pass
    made = _rewrite(source.read_bytes())
    if kept is None:
        return made
    try:
        _keep(made, kept)
        for stale in kept.parent.glob("model-*-integer*.*"):  # older models or rewrites
            if stale.stem != kept.stem:
                stale.unlink(missing_ok=True)
    except OSError as exc:
        log.warning("cannot keep the rewritten model in %s: %s", cache, exc.__class__.__name__)
        return made
    return kept
