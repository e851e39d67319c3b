"""The sentence encoder: the model it runs, how it refuses other files, its caches, and what
it adds to the search."""

from __future__ import annotations

import logging
import os
import shutil
import sys
import threading
import time
import uuid
from pathlib import Path

import numpy as np
import pytest

from bot.config import Settings
from bot.knowledge import encoder as enc
from bot.knowledge import onnx_rewrite as rw
from bot.knowledge.search import KnowledgeBase
from bot.runtime import load_knowledge

KB_DIR = Path(__file__).resolve().parents[2] / "knowledge"

MODEL = enc.model_files()
# A condition in words is evaluated when a test marked with it is set up, not when the module
# is collected: loading the encoder here cost every xdist worker a model load and rewrite
# (about a CPU-second) before the run's shared encodings cache (tests/conftest.py) existed.
needs_model = pytest.mark.skipif(
    "MODEL is None or enc.shared_encoder() is None",
    reason=f"the sentence model is not installed ({enc.INSTALL})",
)


def test_ci_has_the_sentence_model() -> None:
    # On CI the figures and tests must be those of the search as shipped, never silently
    # the words-only fallback.
    if not os.environ.get("CI"):
        pytest.skip("only on CI, where the README's command installs the model")
    assert enc.shared_encoder() is not None


TEXTS = [
    "A man is eating food.",
    "A man is eating a piece of bread.",
    "The girl is carrying a baby.",
]


@needs_model
def test_encodings_match_the_published_model() -> None:
    model = enc.shared_encoder()
    assert model is not None
    v = model.encode(TEXTS)
    assert v.shape == (3, 384) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    # the cosine similarities sentence-transformers gives for all-MiniLM-L6-v2 in full
    # precision (0.7553 and -0.1050), within what int8 weights and products move them
    assert float(v[0] @ v[1]) == pytest.approx(0.7553, abs=0.015)
    assert float(v[0] @ v[2]) == pytest.approx(-0.1050, abs=0.015)
    assert float(v[1] @ v[2]) < 0.1
    # an encoding does not depend on the texts encoded with it (the cache relies on it)
    alone = model.encode(["A man is eating a piece of bread."])[0]
    assert np.array_equal(alone, v[1])
    assert np.array_equal(model.encode([*reversed(TEXTS), TEXTS[0]])[1], v[1])
    assert model.encode([]).shape == (0, 384)


@needs_model
def test_long_and_hostile_text_is_encoded_without_error() -> None:
    model = enc.shared_encoder()
    assert model is not None
    v = model.encode(["stalking " * 5000, "", "\u0000\ufffd<script>" * 50, "🙂" * 300])
    assert v.shape == (4, 384) and np.isfinite(v).all()


@needs_model
def test_other_files_are_refused(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    assert MODEL is not None
    # CHAMPBOT_ENCODER_DIR: a directory holding both files by their plain names
    copy = tmp_path / "model"
    copy.mkdir()
    for name, path in MODEL.items():
        shutil.copyfile(path, copy / name)
    assert enc.shared_encoder(copy) is not None
    for name in (enc.MODEL_FILE, enc.TOKENIZER_FILE):
        damaged = tmp_path / f"damaged-{name}"
        shutil.copytree(copy, damaged)
        with (damaged / name).open("r+b") as f:  # one byte changed, the size kept
            f.seek(1000)
            byte = f.read(1)
            f.seek(1000)
            f.write(bytes([byte[0] ^ 1]))
        with pytest.raises(enc.EncoderUnavailable, match="not the expected file"):
            enc.SentenceEncoder(enc.model_files(damaged) or {})
        with caplog.at_level(logging.WARNING, logger="bot.knowledge.encoder"):
            assert enc.shared_encoder(damaged) is None
        assert f"damaged-{name}" in caplog.text and "matches words only" in caplog.text
        (damaged / name).unlink()
        with pytest.raises(enc.EncoderUnavailable, match="missing"):
            enc.SentenceEncoder(enc.model_files(damaged) or {})


def test_without_the_model_the_search_matches_words(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings.from_env({"CHAMPBOT_ENCODER_DIR": str(tmp_path / "nowhere")}, dotenv=None)
    with caplog.at_level(logging.WARNING, logger="bot.knowledge.encoder"):
        assert enc.shared_encoder(settings.encoder_dir) is None
    assert "matches words only" in caplog.text
    kb = load_knowledge(settings, KB_DIR)
    assert not kb.semantic and kb.vector("anything") is None
    assert kb.answer_threshold == KnowledgeBase.answer_threshold
    assert kb.calibration == KnowledgeBase.calibration
    assert kb.triage("what is the max sentence for s4a").best is not None
    off = Settings.from_env({"CHAMPBOT_SEMANTIC": "off"}, dotenv=None)
    assert not off.semantic and not load_knowledge(off, KB_DIR).semantic


@needs_model
def test_encodings_are_cached_on_disk(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(enc, "_memory", {})
    monkeypatch.setattr(enc, "_disk_read", set())
    model = enc.shared_encoder()
    assert model is not None
    texts = [f"a text only this test encodes {uuid.uuid4()}" for _ in range(2)]
    first = enc.encode_cached(model, texts, tmp_path)
    path = enc.cache_file(tmp_path)
    assert path is not None and path.parent == tmp_path and path.exists()
    with np.load(path) as data:
        assert len(data["keys"]) == len(data["vectors"]) >= 2
        assert "encodes" not in " ".join(map(str, data["keys"]))  # keys are digests, not text
    # a new process reads them back instead of encoding again
    monkeypatch.setattr(enc, "_memory", {})
    monkeypatch.setattr(enc, "_disk_read", set())

    class Refuses:
        dimensions, model_id = model.dimensions, model.model_id

        def encode(self, texts: list[str]) -> None:
            raise AssertionError(f"encoded again: {texts}")

    again = enc.encode_cached(Refuses(), texts, tmp_path)  # type: ignore[arg-type]
    assert np.array_equal(first, again)


def test_a_damaged_cache_is_ignored(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = enc.cache_file(tmp_path)
    assert path is not None
    path.write_bytes(b"not a numpy file")
    monkeypatch.setattr(enc, "_memory", {})
    monkeypatch.setattr(enc, "_disk_read", set())

    class Fixed:
        dimensions, model_id = 384, enc.ENCODINGS_ID

        def encode(self, texts: list[str]) -> np.ndarray:
            return np.ones((len(texts), 384), dtype=np.float32)

    out = enc.encode_cached(Fixed(), ["x"], tmp_path)  # type: ignore[arg-type]
    assert out.shape == (1, 384)
    with np.load(path) as data:  # rewritten whole
        assert data["vectors"].shape == (1, 384)
    off = Settings.from_env({"CHAMPBOT_CACHE_DIR": "off"}, dotenv=None)
    assert off.encodings_cache is None
    assert Settings.from_env({}, dotenv=None).encodings_cache is not None


@needs_model
def test_the_weight_products_run_in_integers(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import onnx

    assert MODEL is not None
    source = MODEL[enc.MODEL_FILE]
    kept = tmp_path / f"model-{enc.MODEL_ID}-integer{rw.REWRITE}.onnx"
    rewritten = onnx.load_from_string(rw._rewrite(source.read_bytes()).graph)
    ops = [n.op_type for n in rewritten.graph.node]
    # six layers: query, key, value, output, and the two feed-forward products
    assert ops.count("DynamicQuantizeMatMul") == 36
    # and no int8 matrix or embedding table is multiplied out whole to float32 at load
    integer = (onnx.TensorProto.INT8, onnx.TensorProto.UINT8)
    int8 = {i.name for i in rewritten.graph.initializer if i.data_type in integer}
    assert len(int8) >= 36
    # each product's weights are the file's int8 ones shifted to uint8 about a zero point of
    # 128, the same numbers: on a CPU without VNNI, ONNX Runtime's uint8-by-int8 kernel sums
    # pairs of products in 16 bits and saturates, moving the encodings (uint8 by uint8 does not)
    initializers = {i.name: i for i in rewritten.graph.initializer}
    original = {i.name: i for i in onnx.load_from_string(source.read_bytes()).graph.initializer}
    for node in (n for n in rewritten.graph.node if n.op_type == "DynamicQuantizeMatMul"):
        weights, zero = (onnx.numpy_helper.to_array(initializers[n]) for n in node.input[1:4:2])
        assert weights.dtype == np.uint8 and zero.dtype == np.uint8 and (zero == 128).all()
        was = onnx.numpy_helper.to_array(original[node.input[1].removesuffix("__u8")])
        assert was.dtype == np.int8 and np.array_equal(weights.astype(np.int16) - 128, was)
    assert not [n for n in rewritten.graph.node if n.op_type == "Cast" and set(n.input) & int8]
    # the attention mask of an unpadded text is all ones: nothing is computed from it
    assert not [n for n in rewritten.graph.node if "attention_mask" in n.input]
    assert not {"IsNaN", "GatherND"} & set(ops) and ops.count("Softmax") == 6
    # kept in the cache and read back, not made again: the graph, and its weights in a file
    # beside it that ONNX Runtime maps into memory
    made = rw.integer_model(source, model_id=enc.MODEL_ID)
    assert isinstance(made, rw.Rewritten)
    assert rw.integer_model(source, tmp_path, model_id=enc.MODEL_ID) == kept
    weights, table = rw.weights_file(kept), rw.table_file(kept)
    assert kept.stat().st_size < 1_000_000 < 10_000_000 < weights.stat().st_size
    assert np.array_equal(np.load(table), made.table)
    assert _same_model(onnx.load(str(kept)), onnx.load_from_string(made.graph))

    def refuse(source: bytes) -> bytes:
        raise AssertionError("rewritten again")

    monkeypatch.setattr(rw, "_rewrite", refuse)
    assert rw.integer_model(source, tmp_path, model_id=enc.MODEL_ID) == kept
    # a damaged kept file, graph, weights or word table, is not used: the model is made again
    for damaged in (kept, weights, table):
        intact = damaged.read_bytes()
        data = bytearray(intact)
        data[len(data) // 2] ^= 1
        damaged.write_bytes(bytes(data))
        with pytest.raises(AssertionError, match="rewritten again"):
            rw.integer_model(source, tmp_path, model_id=enc.MODEL_ID)
        damaged.write_bytes(intact)
    assert rw.integer_model(source, tmp_path, model_id=enc.MODEL_ID) == kept
    weights.write_bytes(b"")
    monkeypatch.undo()
    assert rw.integer_model(source, tmp_path, model_id=enc.MODEL_ID) == kept
    assert _same_model(onnx.load(str(kept)), onnx.load_from_string(made.graph))
    # skipping the mask changes no encoding, to the last bit
    monkeypatch.setattr(rw, "_without_padding", lambda nodes: nodes)
    with_mask = enc.SentenceEncoder(MODEL, None)
    monkeypatch.undo()
    assert np.array_equal(with_mask.encode(TEXTS), enc.SentenceEncoder(MODEL).encode(TEXTS))
    # and the encoder runs it as it ran the model handed over whole
    from_files, whole = enc.SentenceEncoder(MODEL, tmp_path), enc.SentenceEncoder(MODEL)
    assert np.array_equal(from_files.encode(TEXTS), whole.encode(TEXTS))
    # without a cache, or one that cannot be written, the model is loaded all the same
    unwritable = tmp_path / "a-file"
    unwritable.write_text("")
    unkept = rw.integer_model(source, unwritable, model_id=enc.MODEL_ID)
    assert isinstance(unkept, rw.Rewritten) and unkept.graph == made.graph
    assert np.array_equal(unkept.table, made.table)
    assert enc.SentenceEncoder(MODEL, unwritable).encode(["x"]).shape == (1, 384)


def _gathering_inside(made: rw.Rewritten, *, alone: bool = False) -> bytes:
    """The rewritten model with its word table gathered inside ONNX Runtime again, from
    `input_ids`, as the previous rewrite ran it (the int8 rows and their scales gathered, then
    cast and multiplied); `alone`: those steps only, the rows the model's output."""
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load_from_string(made.graph)
    graph = model.graph
    if alone:
        del graph.node[:], graph.initializer[:], graph.input[:], graph.output[:]
        graph.output.append(helper.make_tensor_value_info(rw.WORD_ROWS, 1, None))
    else:
        graph.input.remove(next(i for i in graph.input if i.name == rw.WORD_ROWS))
    graph.input.append(helper.make_tensor_value_info("input_ids", 7, ["batch", "sequence"]))
    graph.initializer.extend(
        [
            numpy_helper.from_array(made.table["q"], "table_q"),
            numpy_helper.from_array(made.table["scale"][:, None], "table_scale"),
        ]
    )
    gather = [
        helper.make_node("Gather", ["table_q", "input_ids"], ["rows_q"]),
        helper.make_node("Gather", ["table_scale", "input_ids"], ["rows_scale"]),
        helper.make_node("Cast", ["rows_q"], ["rows_f"], to=onnx.TensorProto.FLOAT),
        helper.make_node("Mul", ["rows_f", "rows_scale"], [rw.WORD_ROWS]),
    ]
    rest = list(graph.node)
    del graph.node[:]
    graph.node.extend([*gather, *rest])
    return bytes(model.SerializeToString())


@needs_model
def test_the_word_table_is_read_outside_onnx_runtime(tmp_path: Path) -> None:
    import onnx
    import onnxruntime as ort

    assert MODEL is not None
    made = rw._rewrite(MODEL[enc.MODEL_FILE].read_bytes())
    graph = onnx.load_from_string(made.graph).graph
    words = len(made.table)
    assert words == 30_522 and made.table["q"].shape == (words, 384)
    # no table of the vocabulary's size is left in the graph, and nothing reads the ids
    assert not [i.name for i in graph.initializer if i.dims and i.dims[0] == words]
    assert not [n for n in graph.node if "input_ids" in n.input]
    encoder = enc.SentenceEncoder(MODEL, tmp_path)
    inputs = {i.name for i in encoder._session.get_inputs()}
    assert rw.WORD_ROWS in inputs and "input_ids" not in inputs
    # every row of the table, read from the kept file, is the row ONNX Runtime gathers
    providers = ["CPUExecutionProvider"]
    rows = ort.InferenceSession(_gathering_inside(made, alone=True), providers=providers)
    every = np.arange(words, dtype=np.int64)
    gathered = rows.run(None, {"input_ids": every[None]})[0][0]
    assert np.array_equal(encoder._rows(every.tolist()), gathered)
    with pytest.raises(ValueError, match="outside the word table"):
        encoder._rows([words])
    # and the encodings are those of the model gathering its table itself, to the bit
    reference = ort.InferenceSession(_gathering_inside(made), providers=providers)
    texts = [*TEXTS, "can I arrest for breach of a stalking protection order", "s4a PHA"]
    for encoding in encoder._tokenizer.encode_batch(texts):
        tokens = np.asarray([encoding.ids], dtype=np.int64)
        feed = {"input_ids": tokens, "attention_mask": np.ones_like(tokens)}
        hidden = reference.run(None, {**feed, "token_type_ids": np.zeros_like(tokens)})[0]
        pooled = hidden[0].mean(axis=0)
        expected = (pooled / max(float(np.linalg.norm(pooled)), 1e-12)).astype(np.float32)
        assert np.array_equal(encoder._one(encoding.ids), expected)


def _same_model(one: object, other: object) -> bool:
    """The same nodes and the same weights (wherever each model keeps them)."""
    from onnx import numpy_helper

    def parts(model: object) -> tuple[list[bytes], dict[str, bytes]]:
        graph = model.graph  # type: ignore[attr-defined]
        nodes = [n.SerializeToString() for n in graph.node]
        weights = {i.name: numpy_helper.to_array(i).tobytes() for i in graph.initializer}
        return nodes, weights

    return parts(one) == parts(other)


class Constant:
    """A stand-in model whose every encoding is one fixed unit vector."""

    def __init__(self, model_id: str, dimensions: int, axis: int) -> None:
        self.model_id, self.dimensions, self.axis = model_id, dimensions, axis
        self.calls = 0

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        out[:, self.axis] = 1.0
        return out


def test_encodings_are_kept_per_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(enc, "_memory", {})
    monkeypatch.setattr(enc, "_disk_read", set())
    one, other = Constant("model-one", 8, 0), Constant("model-two", 4, 1)
    texts = ["how common is stalking", "what is an SPO"]
    assert enc.encode_cached(one, texts, tmp_path)[:, 0].tolist() == [1.0, 1.0]
    # the same texts under another model are that model's encodings, in its own file
    got = enc.encode_cached(other, texts, tmp_path)
    assert got.shape == (2, 4) and got[:, 1].tolist() == [1.0, 1.0] and other.calls == 1
    assert enc.cache_file(tmp_path, "model-one") != enc.cache_file(tmp_path, "model-two")
    assert enc.cache_file(tmp_path, "model-one").exists()
    assert enc.cache_file(tmp_path, "model-two").exists()
    # a fresh process reads each model's file back for that model only
    monkeypatch.setattr(enc, "_memory", {})
    monkeypatch.setattr(enc, "_disk_read", set())
    again = Constant("model-one", 8, 0)
    assert enc.encode_cached(again, texts, tmp_path).shape == (2, 8) and again.calls == 0
    third = Constant("model-three", 8, 2)
    assert enc.encode_cached(third, texts, tmp_path)[:, 2].tolist() == [1.0, 1.0]
    assert third.calls == 1


@needs_model
def test_encoding_releases_the_interpreter() -> None:
    # ONNX Runtime runs the model without the GIL: while one thread encodes, another still
    # runs Python. Counted as the share of the encoding time the other thread got the GIL.
    model = enc.shared_encoder()
    assert model is not None
    texts = [f"can I arrest for breach of a stalking protection order {i}" for i in range(60)]
    model.encode(texts[:2])
    done = threading.Event()
    ticks = 0

    def spin() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            time.sleep(0)  # hand the GIL back at once, so only a held GIL keeps it away

    thread = threading.Thread(target=spin)
    started = time.perf_counter()
    thread.start()
    model.encode(texts)
    elapsed = time.perf_counter() - started
    done.set()
    thread.join()
    # A model that held the GIL for a whole run would leave the spinner about one tick per
    # run; released, it ticks hundreds of times a run, fewer when other processes hold the
    # cores (about 20 a run was seen on a loaded machine), so the bar sits well between.
    assert ticks > 5 * len(texts), (ticks, elapsed)


@needs_model
def test_meaning_finds_what_words_miss() -> None:
    words = KnowledgeBase.load(KB_DIR, encoder=None)
    both = KnowledgeBase.load(KB_DIR)
    assert both.semantic
    # words alone leave this uncovered: "lifetime" is in no entry, and counts against it
    question = "how many people get stalked in their lifetime"
    assert both.triage(question).kind == "answered"
    assert both.triage(question).best.entry.id == "stalking-prevalence"  # type: ignore[union-attr]
    assert words.triage(question).kind == "not_covered"
    assert both.triage("stalking protection order explained in a nutshell").kind == "answered"
    # the empty question and stop words alone still match nothing
    assert both.search("") == [] and both.search("the of and what") == []
    # off-topic stays off topic
    assert both.triage("where do i get a parking permit at HQ").kind == "off_topic"


@needs_model
def test_an_english_word_is_not_taken_for_a_typo() -> None:
    kb = KnowledgeBase.load(KB_DIR)
    # "drone" is in no entry, and one letter from "drove", which is: the model's vocabulary
    # says it is English, so it stays itself and counts as what no entry covers
    assert "drone" in kb.query("can we seize a stalker's drone").terms
    assert kb.triage("can we seize a stalker's drone").kind == "not_covered"
    # what the model does not know whole is still a typo
    assert "stalk" in kb.query("stalkng on social media").terms
    assert kb.triage("can i arest for s2a").best.entry.id == "arrest-powers"  # type: ignore[union-attr]


def _private_code_kb() -> int:
    """The private, clean resident kB of ONNX Runtime's native library in this process."""
    from onnxruntime.capi import onnxruntime_pybind11_state as library

    path, chosen, total = os.path.realpath(str(library.__file__)), False, 0
    for line in Path("/proc/self/smaps").read_text().splitlines():
        fields = line.split()
        if fields and not fields[0].endswith(":"):
            chosen = len(fields) > 5 and fields[5] == path and "w" not in fields[1]
        elif chosen and fields[0] == "Private_Clean:":
            total += int(fields[1])
    return total


@needs_model
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="madvise on Linux's mappings")
def test_the_code_loading_ran_is_paged_out() -> None:
    model = enc.SentenceEncoder(MODEL or {})  # a session made: ONNX Runtime's loading code run
    expected = model.encode(TEXTS)
    # what it reports was resident: most of the library's 20 MB, and those of its pages this
    # process alone maps (another process's, such as a test worker's, the kernel leaves) are
    # taken back
    assert enc.page_out_loading_code() > 10_000
    assert _private_code_kb() < 1024
    # and encoding runs as before, faulting in what it needs
    assert np.array_equal(model.encode(TEXTS), expected)
