"""Benchmark: this knowledge base search against rank_bm25 and bm25s, for accuracy and speed.

Run on its own from the repository root: `python bench/retrieval.py` (options: --help).

Every system is given the same entries; the peers get title + questions + body as one document
and a plain tokeniser (lower case, split on non-alphanumerics). Accuracy is measured on the
evaluation set (knowledge/eval/questions.yaml): top-1, top-3 and MRR on the ranking, over the
questions that expect an entry; then off-topic handling, where the peers get a score threshold
tuned on the tune split (ours uses its own triage with thresholds tuned on the same split).
Speed is the time per query at the real size and with synthetic entries added (10,000 and
100,000 in all, the real ones kept inside). The peers' time is their scoring call alone
(`get_scores` / `retrieve`) on already-tokenised queries, after indexing. Ours is shown twice:
the whole `search(text)` call (text in, calibrated hits out: normalisation, typo correction,
sentence encoding, retrieval and reranking), and its scoring alone on an already-analysed
query and its encoding, which is the like-for-like comparison with the peers.

This search runs as shipped, matching words and meaning when the sentence model is installed;
its words-only mode (the fallback without the model) is measured beside it. Synthetic entries
are random words, so encoding them would measure nothing: they get random unit vectors, which
cost the same to score as real encodings (the real entries keep their real ones).
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import random
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import bm25s  # noqa: E402
import numpy as np  # noqa: E402
from rank_bm25 import BM25Okapi  # noqa: E402

from bot.knowledge import Entry, KnowledgeBase, load_entries  # noqa: E402
from bot.knowledge.encoder import Encoder, shared_encoder  # noqa: E402
from bot.knowledge.evaluation import (  # noqa: E402
    CASES,
    LIVE_CASE,
    NOT_COVERED,
    OFF_TOPIC,
    EvalQuestion,
    calibrate,
    evaluate,
    load_eval_set,
    tune,
)
from bot.knowledge.framing import Scope  # noqa: E402
from bot.knowledge.normalise import Normaliser  # noqa: E402
from bot.knowledge.vocabulary import load_vocabulary  # noqa: E402

_PLAIN = re.compile(r"[a-z0-9]+")


def plain_tokens(text: str) -> list[str]:
    """The peers' tokeniser: lower case, split on anything not a letter or digit."""
    return _PLAIN.findall(text.lower())


def document(entry: Entry) -> str:
    return " ".join((entry.title, *entry.questions, entry.body))


# --- synthetic entries -------------------------------------------------------------------


# A word in every synthetic entry's title, phrasings and answer, so the benchmark's encoder can
# tell their texts from the real ones; being in every synthetic entry, it weighs nothing.
MARK = "zqxsynthetic"


def synthetic_entries(real: Sequence[Entry], count: int, seed: int = 20261128) -> list[Entry]:
    """`count` entries made deterministically from the real entries' own words, drawn with
    their real frequencies, in fields of about the real lengths."""
    rng = random.Random(seed)
    counts: Counter[str] = Counter()
    for e in real:
        counts.update(re.findall(r"[A-Za-z0-9']+", document(e)))
    words = list(counts)
    cum = list(np.cumsum([counts[w] for w in words], dtype=float))
    tags = sorted({t for e in real for t in e.tags}) or ["misc"]
    template = real[0]

    def text(n: int) -> str:
        return " ".join(rng.choices(words, cum_weights=cum, k=n))

    out = []
    for i in range(count):
        out.append(
            replace(
                template,
                id=f"synthetic-{i}",
                title=f"{text(rng.randint(5, 11)).capitalize()} {MARK}?",
                questions=tuple(
                    f"{text(rng.randint(4, 10))} {MARK}" for _ in range(rng.randint(2, 5))
                ),
                tags=tuple(rng.sample(tags, min(3, len(tags)))),
                body=f"{MARK} {text(rng.randint(40, 160))}",
                path=template.path.with_name(f"synthetic-{i}.md"),
            )
        )
    return out


# --- the three systems ---------------------------------------------------------------------


@dataclass
class System:
    """A search system under test: ranks entry ids for a question, and a timed call."""

    name: str
    rank: Callable[[str, int], list[tuple[str, float]]]
    timed: Callable[[str], Callable[[], object]]


class SyntheticEncoder:
    """The real encoder for the real entries and the questions; a random unit vector, fixed by
    the text, for a synthetic entry's text (see the module's docstring)."""

    def __init__(self, real: Encoder) -> None:
        self.real, self.dimensions = real, real.dimensions
        self.model_id = f"synthetic-{real.model_id}"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        real = [i for i, t in enumerate(texts) if MARK not in t]
        if real:
            out[real] = self.real.encode([texts[i] for i in real])
        for i, t in enumerate(texts):
            if MARK in t:
                seed = int.from_bytes(hashlib.sha1(t.encode()).digest()[:8], "little")
                v = np.random.default_rng(seed).standard_normal(self.dimensions)
                out[i] = v / np.linalg.norm(v)
        return out


def ours(
    entries: Sequence[Entry],
    real: Sequence[Entry] = (),
    *,
    normaliser: Normaliser,
    scope: Scope | None = None,
    words_only: bool = False,
) -> tuple[System, KnowledgeBase]:
    encoder: Encoder | None = None if words_only else shared_encoder()
    if encoder is not None and real and len(entries) > len(real):
        encoder = SyntheticEncoder(encoder)
    kb = KnowledgeBase.from_entries(entries, normaliser=normaliser, scope=scope, encoder=encoder)
    label = "this search, words only" if not kb.semantic else "this search"

    def rank(q: str, k: int) -> list[tuple[str, float]]:
        return [(h.entry.id, h.score) for h in kb.search(q, limit=k)]

    def timed(q: str) -> Callable[[], object]:
        return lambda: kb.search(q, limit=5)

    return System(f"{label} (text in)", rank, timed), kb


def dense_only(kb: KnowledgeBase) -> System:
    """The sentence model alone: entries ranked by the cosine similarity of the question's
    encoding to their nearest phrasing, no words. Timed from the text (encoding included)."""
    assert kb.encoder is not None and kb._nearest is not None
    encoder, nearest, entries = kb.encoder, kb._nearest, kb.entries

    def ranked(q: str, k: int) -> list[tuple[str, float]]:
        vector = encoder.encode([kb._expand(q)])[0]
        return [(entries[d].id, s) for d, s in nearest.nearest(vector, k)]

    def timed(q: str) -> Callable[[], object]:
        return lambda: ranked(q, 5)

    return System("the sentence model alone (dense)", ranked, timed)


def ours_scoring(kb: KnowledgeBase) -> System:
    """The same search, timed from an analysed query: the like-for-like row with the peers."""
    label = "this search, words only" if not kb.semantic else "this search"

    def rank(q: str, k: int) -> list[tuple[str, float]]:
        return [(h.entry.id, h.score) for h in kb.search(q, limit=k)]

    def timed(q: str) -> Callable[[], object]:
        query, vector = kb.query(q), kb.vector(q)
        return lambda: kb.rank(query, 5, vector)

    return System(f"{label} (scoring only)", rank, timed)


def rank_bm25_system(entries: Sequence[Entry]) -> System:
    ids = [e.id for e in entries]
    bm25 = BM25Okapi([plain_tokens(document(e)) for e in entries])

    def rank(q: str, k: int) -> list[tuple[str, float]]:
        scores = bm25.get_scores(plain_tokens(q))
        top = np.argsort(-scores, kind="stable")[:k]
        return [(ids[i], float(scores[i])) for i in top]

    def timed(q: str) -> Callable[[], object]:
        tokens = plain_tokens(q)
        return lambda: bm25.get_scores(tokens)

    return System("rank_bm25 BM25Okapi", rank, timed)


def bm25s_system(entries: Sequence[Entry]) -> System:
    ids = [e.id for e in entries]
    retriever = bm25s.BM25()
    retriever.index([plain_tokens(document(e)) for e in entries], show_progress=False)
    vocab = retriever.vocab_dict

    def tokens_for(q: str) -> list[str]:
        # bm25s refuses words it has never seen; dropping them is what a caller must do
        return [t for t in plain_tokens(q) if t in vocab]

    def rank(q: str, k: int) -> list[tuple[str, float]]:
        tokens = tokens_for(q)
        if not tokens:
            return [(ids[i], 0.0) for i in range(min(k, len(ids)))]
        docs, scores = retriever.retrieve([tokens], k=min(k, len(ids)), show_progress=False)
        return [(ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0], strict=True)]

    def timed(q: str) -> Callable[[], object]:
        tokens = tokens_for(q) or [next(iter(vocab))]
        return lambda: retriever.retrieve([tokens], k=5, show_progress=False)

    return System("bm25s", rank, timed)


# --- accuracy -------------------------------------------------------------------------------


@dataclass
class Accuracy:
    top1: float
    top3: float
    mrr: float
    off_precision: float | None
    off_recall: float | None
    threshold: str


def _ratio(a: int, b: int) -> float | None:
    return a / b if b else None


def ranking_accuracy(system: System, questions: Sequence[EvalQuestion]) -> tuple[float, ...]:
    wanted = [q for q in questions if q.expect not in CASES]
    top1 = top3 = 0
    rr = 0.0
    for q in wanted:
        ranked = [i for i, _ in system.rank(q.q, 10)]
        places = [i for i, e in enumerate(ranked) if q.answers(e)]  # either of two entries
        top1 += bool(places) and places[0] == 0
        top3 += bool(places) and places[0] < 3
        rr += 1.0 / (places[0] + 1) if places else 0.0
    n = len(wanted) or 1
    return top1 / n, top3 / n, rr / n


def peer_threshold(system: System, questions: Sequence[EvalQuestion]) -> float:
    """The top-score threshold that puts most tune questions in the right case (an entry
    question is right when its expected entry is first and above the threshold; an off-topic
    one when the top score is below it)."""
    tuning = [q for q in questions if q.split == "tune" and q.expect != LIVE_CASE]
    tops = [(q, system.rank(q.q, 1)) for q in tuning]
    candidates = sorted({s for _, r in tops for _, s in r} | {0.0})
    candidates = [c + 1e-9 for c in candidates] + [0.0]

    def right(threshold: float) -> int:
        n = 0
        for q, r in tops:
            score = r[0][1] if r else 0.0
            if q.expect in (OFF_TOPIC, NOT_COVERED):
                n += score < threshold
            else:
                n += bool(r) and q.answers(r[0][0]) and score >= threshold
        return n

    return max(candidates, key=lambda c: (right(c), -c))


def peer_off_topic(
    system: System, questions: Sequence[EvalQuestion], threshold: float
) -> tuple[float | None, float | None]:
    test = [q for q in questions if q.split == "test"]
    predicted = [q for q in test if (system.rank(q.q, 1) or [("", 0.0)])[0][1] < threshold]
    hit = sum(q.expect == OFF_TOPIC for q in predicted)
    return _ratio(hit, len(predicted)), _ratio(hit, sum(q.expect == OFF_TOPIC for q in test))


# --- speed ----------------------------------------------------------------------------------


def time_systems(
    systems: Sequence[System], questions: Sequence[str], repeats: int, budget: float
) -> tuple[list[list[float]], list[list[float]]]:
    """Seconds per call for each system over `repeats` passes of every question. The passes
    take turns between the systems, so background load falls on all of them alike; a system
    stops repeating once it has used `budget` seconds (rank_bm25 at 100,000 entries)."""
    calls = [[system.timed(q) for q in questions] for system in systems]
    for system_calls in calls:  # warm up
        for call in system_calls:
            call()
    times: list[list[float]] = [[] for _ in systems]
    cpu: list[list[float]] = [[] for _ in systems]  # the thread's CPU time: load-proof
    spent = [0.0 for _ in systems]
    gc.disable()
    try:
        for _ in range(repeats):
            for i, system_calls in enumerate(calls):
                if spent[i] > budget:
                    continue
                for call in system_calls:
                    c0, t0 = time.thread_time(), time.perf_counter()
                    call()
                    elapsed = time.perf_counter() - t0
                    cpu[i].append(time.thread_time() - c0)
                    times[i].append(elapsed)
                    spent[i] += elapsed
    finally:
        gc.enable()
    return times, cpu


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--kb", type=Path, default=ROOT / "knowledge")
    p.add_argument("--eval", type=Path, default=None, help="default: <kb>/eval/questions.yaml")
    p.add_argument("--sizes", default="10000,100000", help="synthetic sizes, comma-separated")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--budget", type=float, default=60.0, help="seconds of timing per system")
    args = p.parse_args(argv)

    kb_dir = args.kb
    real = load_entries(kb_dir)
    eval_path = args.eval or kb_dir / "eval" / "questions.yaml"
    if not real or not eval_path.is_file():
        fixtures = ROOT / "tests" / "knowledge" / "fixtures"
        print(f"(no entries or evaluation set in {args.kb}: using the test fixtures)\n")
        kb_dir, eval_path = fixtures / "kb", fixtures / "eval.yaml"
        real = load_entries(kb_dir)
    vocabulary = load_vocabulary(kb_dir)
    nz, scope = vocabulary.normaliser(), vocabulary.scope
    questions = load_eval_set(eval_path)
    texts = [q.q for q in questions]
    test = [q for q in questions if q.split == "test"] or questions
    print(f"{len(real)} entries; {len(questions)} evaluation questions ({len(test)} in test)\n")

    mine, kb = ours(real, normaliser=nz, scope=scope)
    calibration = calibrate(kb, questions)
    tuning = tune(kb, questions)
    words, words_kb = ours(real, normaliser=nz, scope=scope, words_only=True)
    calibrate(words_kb, questions)
    words_tuning = tune(words_kb, questions)
    peers = [rank_bm25_system(real), bm25s_system(real)]
    if kb.semantic:
        peers.append(dense_only(kb))
    print("## Accuracy on the test split (ranking over questions that expect an entry)\n")
    print(
        "| system | top-1 | top-3 | MRR | off-topic precision | off-topic recall | off-topic rule |"
    )
    print("|---|---|---|---|---|---|---|")
    reports = {}
    for system, base, chosen in ((mine, kb, tuning), (words, words_kb, words_tuning)):
        evaluated = evaluate(base, questions)
        reports[system.name] = report = evaluated["test" if "test" in evaluated.splits else "all"]
        t1, t3, mrr = ranking_accuracy(system, test)
        print(
            f"| {system.name.removesuffix(' (text in)')} | {_pct(t1)} | {_pct(t3)} | {mrr:.3f} | "
            f"{_pct(report.off_topic_precision)} | {_pct(report.off_topic_recall)} | "
            f"triage (answer >= {chosen.answer_threshold}, topic >= {chosen.topic_threshold}) |"
        )
    report = reports[mine.name]
    settings = (calibration, tuning)
    for peer in peers:
        threshold = peer_threshold(peer, questions)
        t1, t3, mrr = ranking_accuracy(peer, test)
        off_p, off_r = peer_off_topic(peer, questions, threshold)
        print(
            f"| {peer.name} | {_pct(t1)} | {_pct(t3)} | {mrr:.3f} | {_pct(off_p)} | "
            f"{_pct(off_r)} | top score < {threshold:.3f} |"
        )
    print(
        f"\nCalibration (a, b, c) = {tuple(round(v, 2) for v in settings[0])}; "
        f"sure threshold {settings[1].sure_threshold}.\n"
        f"This search's own triage on the test split: top-1 answered {_pct(report.top1)}, "
        f"shown first {_pct(report.shown_top1)}, "
        f"top-3 {_pct(report.top3)}, live-case precision {_pct(report.live_case_precision)}, "
        f"recall {_pct(report.live_case_recall)}.\n"
    )

    sizes = [len(real)] + [int(s) for s in args.sizes.split(",") if s.strip()]
    print("## Time per query (milliseconds)\n")
    print(
        "| entries | system | CPU median | median | p99 | top-1 (all entry questions) "
        "| index build (s) |"
    )
    print("|---|---|---|---|---|---|---|")
    for size in sizes:
        entries = list(real) + synthetic_entries(real, max(0, size - len(real)))
        random.Random(size).shuffle(entries)
        built: list[tuple[System, float]] = []
        t0 = time.perf_counter()
        system, big = ours(entries, real, normaliser=nz, scope=scope)
        built.append((system, time.perf_counter() - t0))
        big.calibration = kb.calibration
        built.append((ours_scoring(big), time.perf_counter() - t0))
        if big.semantic:
            built.append((dense_only(big), time.perf_counter() - t0))
        t0 = time.perf_counter()
        _, words_big = ours(entries, real, normaliser=nz, scope=scope, words_only=True)
        words_big.calibration = words_kb.calibration
        built.append((ours_scoring(words_big), time.perf_counter() - t0))
        for make in (rank_bm25_system, bm25s_system):
            t0 = time.perf_counter()
            built.append((make(entries), time.perf_counter() - t0))
        timings, cpu = time_systems(
            [system for system, _ in built], texts, args.repeats, args.budget
        )
        for (system, build), times, cpu_times in zip(built, timings, cpu, strict=True):
            top1 = ranking_accuracy(system, questions)[0]
            p99 = float(np.percentile(times, 99))
            print(
                f"| {size:,} | {system.name} | {_ms(statistics.median(cpu_times))} | "
                f"{_ms(statistics.median(times))} | {_ms(p99)} | {_pct(top1)} | {build:.1f} |"
            )
            sys.stdout.flush()
        del built
        gc.collect()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
