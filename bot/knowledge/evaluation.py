"""Measures the search on an evaluation set (`knowledge/eval/questions.yaml`) and tunes it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from bot.knowledge.evalset import (
    CASES,
    GREETING,
    LIVE_CASE,
    NOT_COVERED,
    OFF_TOPIC,
    SPLITS,
    EvalQuestion,
    EvalSetError,
    is_correct,
    is_shown_first,
    load_eval_set,
)
from bot.knowledge.evalset import ratio as _ratio
from bot.knowledge.perturbation import WRAPPERS, Perturbation, combine, perturb
from bot.knowledge.search import KnowledgeBase, Triage
from bot.knowledge.tuning import Tuning, calibrate, tune

__all__ = [
    "CASES",
    "GREETING",
    "LIVE_CASE",
    "NOT_COVERED",
    "OFF_TOPIC",
    "SPLITS",
    "WRAPPERS",
    "EvalQuestion",
    "EvalReport",
    "EvalSetError",
    "Perturbation",
    "Tuning",
    "calibrate",
    "evaluate",
    "format_report",
    "load_eval_set",
    "tune",
]


@dataclass(frozen=True)
class Failure:
    """A question the search got wrong, with what it did instead."""

    question: EvalQuestion
    kind: str
    got: tuple[tuple[str, float], ...]

    def __str__(self) -> str:
        got = ", ".join(f"{entry_id} {score:.2f}" for entry_id, score in self.got) or "-"
        q = self.question
        expected = q.expect if q.also is None else f"{q.expect} + {q.also}"
        return f"[{q.split}] {q.q!r}: expected {expected}, got {self.kind} ({got})"


@dataclass(frozen=True)
class SplitReport:
    """The figures for one split. Ratios are None where there is nothing to divide by.

    - top1: of the questions that expect an entry, the share whose triage puts that entry
      first in an answer (answered, or shown beside a live case);
    - top3: the share whose expected entry is among the first three entries the officer sees;
    - shown_top1: the share whose expected entry is the first one the officer is shown in
      full, whether answered, shown as the closest to an uncovered question, or beside a
      live case;
    - search_top1 and mrr: the same questions on the ranking alone (`search`, ten deep),
      whatever the thresholds decide;
    - off_topic_* and live_case_*: precision and recall of those two cases;
    - not_covered_answered: of the questions on the subject that no entry answers, the share
      given an entry as if it answered them (lower is better);
    - pairs and pairs_both: the questions labelled with two entries, and the share answered
      with both (they count in top1 only then; in the others, either entry counts)."""

    split: str
    questions: int
    entry_questions: int
    top1: float | None
    top3: float | None
    search_top1: float | None
    shown_top1: float | None
    mrr: float | None
    off_topic_precision: float | None
    off_topic_recall: float | None
    live_case_precision: float | None
    live_case_recall: float | None
    not_covered_questions: int = 0
    not_covered_answered: float | None = None
    greeting_precision: float | None = None
    greeting_recall: float | None = None
    pairs: int = 0
    pairs_both: float | None = None
    failures: tuple[Failure, ...] = field(default=())


@dataclass(frozen=True)
class EvalReport:
    """One report per split present in the evaluation set, and one over all of them."""

    splits: dict[str, SplitReport]
    perturbation: dict[str, Perturbation] = field(default_factory=dict)

    def __getitem__(self, split: str) -> SplitReport:
        return self.splits[split]


def _report(
    split: str,
    items: Sequence[tuple[EvalQuestion, Triage, list[str]]],
) -> SplitReport:
    entry_items = [(q, t, r) for q, t, r in items if q.expect not in CASES]
    top1 = sum(is_correct(q, t) for q, t, _ in entry_items)
    top3 = sum(
        t.kind != "off_topic" and any(q.answers(h.entry.id) for h in t.hits[:3])
        for q, t, _ in entry_items
    )
    search_top1 = sum(bool(r) and q.answers(r[0]) for q, _, r in entry_items)
    shown_top1 = sum(is_shown_first(q, t) for q, t, _ in entry_items)
    rr = sum(
        1.0 / (next(i for i, e in enumerate(r) if q.answers(e)) + 1)
        for q, _, r in entry_items
        if any(q.answers(e) for e in r)
    )
    pairs = [(q, t) for q, t, _ in entry_items if q.also is not None]

    def precision_recall(label: str, kind: str) -> tuple[float | None, float | None]:
        predicted = [q for q, t, _ in items if t.kind == kind]
        actual = [q for q, _, _ in items if q.expect == label]
        hit = sum(q.expect == label for q in predicted)
        return _ratio(hit, len(predicted)), _ratio(hit, len(actual))

    off_p, off_r = precision_recall(OFF_TOPIC, "off_topic")
    live_p, live_r = precision_recall(LIVE_CASE, "live_case")
    greet_p, greet_r = precision_recall(GREETING, "greeting")
    uncovered = [q for q, _, _ in items if q.expect == NOT_COVERED]
    # an uncovered question is handled safely if it is not given a wrong entry as the answer
    wrongly_answered = sum(q.expect == NOT_COVERED and t.kind == "answered" for q, t, _ in items)
    failures = tuple(
        Failure(q, t.kind, tuple((h.entry.id, h.score) for h in t.hits[:3]))
        for q, t, _ in items
        if not is_correct(q, t)
    )
    n = len(entry_items)
    return SplitReport(
        split=split,
        questions=len(items),
        entry_questions=n,
        top1=_ratio(top1, n),
        top3=_ratio(top3, n),
        search_top1=_ratio(search_top1, n),
        shown_top1=_ratio(shown_top1, n),
        mrr=rr / n if n else None,
        off_topic_precision=off_p,
        off_topic_recall=off_r,
        live_case_precision=live_p,
        live_case_recall=live_r,
        not_covered_questions=len(uncovered),
        not_covered_answered=_ratio(wrongly_answered, len(uncovered)),
        greeting_precision=greet_p,
        greeting_recall=greet_r,
        pairs=len(pairs),
        pairs_both=_ratio(sum(is_correct(q, t) for q, t in pairs), len(pairs)),
        failures=failures,
    )


def evaluate(
    kb: KnowledgeBase,
    questions: Iterable[EvalQuestion],
    *,
    wrappers: Sequence[str] = WRAPPERS,
) -> EvalReport:
    """Run every question through the triage and the ranking (ten deep) and report per split
    and overall; then every question again under each of the neutral `wrappers` (none: no
    perturbation report), reporting what changes."""
    items: list[tuple[EvalQuestion, Triage, list[str]]] = []
    for question in questions:
        assessment = kb.assess(question.q)  # the question is analysed and encoded once
        triage = kb.decide(assessment)
        ranked = [h.entry.id for h in kb.rank(assessment.query, 10, assessment.vector)]
        items.append((question, triage, ranked))
    splits = {s: _report(s, [i for i in items if i[0].split == s]) for s in SPLITS}
    splits = {s: r for s, r in splits.items() if r.questions}
    splits["all"] = _report("all", items)
    perturbation: dict[str, Perturbation] = {}
    if wrappers:
        for name in splits:
            chosen = [(q, t) for q, t, _ in items if name == "all" or q.split == name]
            if name == "all":
                parts = [p for s, p in perturbation.items() if s != "all"]
                perturbation[name] = (
                    combine(parts) if parts else perturb(kb, chosen, name, wrappers)
                )
            else:
                perturbation[name] = perturb(kb, chosen, name, wrappers)
    return EvalReport(splits=splits, perturbation=perturbation)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def format_report(report: EvalReport, *, show_failures: bool = False) -> str:
    """The report as a plain-text table, failures listed after it when asked."""
    rows = [
        ("questions", lambda r: str(r.questions)),
        ("expecting an entry", lambda r: str(r.entry_questions)),
        ("top-1 (answered)", lambda r: _pct(r.top1)),
        ("top-1 (shown first)", lambda r: _pct(r.shown_top1)),
        ("top-3 (triage)", lambda r: _pct(r.top3)),
        ("top-1 (ranking only)", lambda r: _pct(r.search_top1)),
        ("MRR (ranking only)", lambda r: "-" if r.mrr is None else f"{r.mrr:.3f}"),
        ("off-topic precision", lambda r: _pct(r.off_topic_precision)),
        ("off-topic recall", lambda r: _pct(r.off_topic_recall)),
        ("live-case precision", lambda r: _pct(r.live_case_precision)),
        ("live-case recall", lambda r: _pct(r.live_case_recall)),
        ("uncovered answered", lambda r: _pct(r.not_covered_answered)),
        ("greeting precision", lambda r: _pct(r.greeting_precision)),
        ("greeting recall", lambda r: _pct(r.greeting_recall)),
        ("two-entry questions", lambda r: str(r.pairs)),
        ("... given both", lambda r: _pct(r.pairs_both)),
    ]
    names = list(report.splits)
    lines = [f"{'':22}" + "".join(f"{n:>10}" for n in names)]
    for label, cell in rows:
        lines.append(f"{label:22}" + "".join(f"{cell(report.splits[n]):>10}" for n in names))
    moved = report.perturbation
    if moved:
        lines.append("")
        lines.append(f"with neutral words around each question ({len(WRAPPERS)} wrappers):")
        perturbed: list[tuple[str, Callable[[Perturbation], str]]] = [
            ("pairs", lambda p: str(p.pairs)),
            ("case changed", lambda p: _pct(p.case_changed)),
            ("first entry changed", lambda p: _pct(p.entry_changed)),
            ("live cases changed", lambda p: f"{p.live_case_changed}/{p.live_cases}"),
        ]
        for label, get in perturbed:
            lines.append(f"{label:22}" + "".join(f"{get(moved[n]):>10}" for n in moved))
    if show_failures:
        failures = report.splits["all"].failures
        lines.append("")
        lines.append(f"failures ({len(failures)}):" if failures else "no failures")
        lines.extend(f"  {f}" for f in failures)
        if "all" in moved:
            changes = moved["all"].changes
            lines.append("")
            lines.append(
                f"changed by neutral words ({len(changes)}):" if changes else "none changed"
            )
            lines.extend(f"  {c}" for c in changes)
    return "\n".join(lines)
