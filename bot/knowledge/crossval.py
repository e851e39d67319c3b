"""Chooses how strict the tuning is about uncovered questions, by cross-validation within the
tune split (the test split is never read).

`tuning.tune` admits only settings that give at most a cap of the tune split's uncovered
questions an entry as the answer. Fitted on the questions it is then measured on, that share
is optimistic: a cap of 10% met on the tune split lets more than that through on questions it
has not seen. `choose_cap` estimates the unseen share for each candidate cap: the tune split
is cut into folds (each label dealt round them in turn; with several deals, each deals them
differently and the figures are pooled over all), and for each fold the
calibration and thresholds are fitted on the others and tried on it. The cap chosen is the
one that puts the most held-out questions in the right case among those whose pooled
held-out share of uncovered questions answered is within `target`; if none is, the
strictest."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.knowledge.evalset import (
    CASES,
    NOT_COVERED,
    OFF_TOPIC,
    EvalQuestion,
    is_correct,
    is_shown_first,
)
from bot.knowledge.results import Assessment
from bot.knowledge.search import KnowledgeBase
from bot.knowledge.tuning import calibrate, choose, fit_related, grid_results

CAPS = (0.10, 0.075, 0.05, 0.025, 0.0)


@dataclass
class CapReport:
    """How one cap fared on the held-out folds, pooled."""

    cap: float
    questions: int = 0
    correct: int = 0
    expecting: int = 0
    shown_first: int = 0
    uncovered: int = 0
    uncovered_answered: int = 0
    declined: int = 0  # questions judged off topic
    declined_wrongly: int = 0  # ... that were not

    @property
    def uncovered_share(self) -> float | None:
        return self.uncovered_answered / self.uncovered if self.uncovered else None

    def __str__(self) -> str:
        def pct(n: int, d: int) -> str:
            return f"{100 * n / d:.1f}%" if d else "-"

        return (
            f"cap {self.cap:.3f}: right case {pct(self.correct, self.questions)}, "
            f"shown first {pct(self.shown_first, self.expecting)}, uncovered answered "
            f"{pct(self.uncovered_answered, self.uncovered)} "
            f"({self.uncovered_answered}/{self.uncovered}), declined wrongly "
            f"{self.declined_wrongly}/{self.declined}"
        )


def folds_of(
    questions: Sequence[EvalQuestion], folds: int, deal: int = 0
) -> list[list[EvalQuestion]]:
    """The tune split's questions dealt into `folds` folds, each label round them in turn
    (continuing from one label to the next), so every fold has its share of each case; each
    `deal` deals them differently (every `deal`-th question of a label goes round first)."""
    dealt: list[list[EvalQuestion]] = [[] for _ in range(folds)]
    by_label: dict[str, list[EvalQuestion]] = defaultdict(list)
    for q in questions:
        if q.split == "tune":
            by_label[q.expect if q.expect in CASES else "entry"].append(q)
    turn = 0
    for label in sorted(by_label):
        group = by_label[label]
        step = deal + 1
        for q in (group[i] for start in range(step) for i in range(start, len(group), step)):
            dealt[turn % folds].append(q)
            turn += 1
    return dealt


def choose_cap(
    kb: KnowledgeBase,
    questions: Iterable[EvalQuestion],
    *,
    caps: Sequence[float] = CAPS,
    folds: int = 5,
    deals: int = 1,
    target: float = 0.10,
) -> tuple[float, list[CapReport]]:
    """The cap on uncovered questions answered to tune with (see the module's docstring), and
    each candidate's held-out figures, pooled over the folds of `deals` different deals. The
    knowledge base's calibration is left as it was."""
    given = list(questions)
    dealings = [folds_of(given, folds, d) for d in range(deals)]
    runs = [(dealt, k) for dealt in dealings for k in range(folds)]
    reports = {cap: CapReport(cap) for cap in caps}
    saved = kb.calibration
    try:
        for dealt, k in runs:
            held = dealt[k]
            training = [q for i, f in enumerate(dealt) if i != k for q in f]
            kb.calibration = saved
            calibrate(kb, training)
            assessed = [(q, kb.assess(q.q)) for q in training]
            results = grid_results(kb, assessed)
            trial = [(q, kb.assess(q.q)) for q in held]
            for cap in caps:
                point = choose(results, max_uncovered_answered=cap)
                thresholds = {
                    "answer_threshold": point.answer,
                    "topic_threshold": point.topic,
                    "sure_threshold": point.sure,
                }
                related = fit_related(kb, assessed, thresholds, ceiling=point.answer)
                _score(kb, reports[cap], trial, thresholds, related)
    finally:
        kb.calibration = saved
    ordered = [reports[cap] for cap in caps]
    return pick(ordered, target).cap, ordered


def pick(reports: Sequence[CapReport], target: float) -> CapReport:
    """Of the caps whose held-out share of uncovered questions answered is within `target`,
    the one with the most held-out questions in the right case (then shown their entry
    first, then the stricter cap: an entry given as the answer to a question it does not
    answer costs more than a right one offered as the closest); if none is within it, the
    strictest cap."""
    within = [r for r in reports if r.uncovered_share is None or r.uncovered_share <= target]
    if within:
        return max(within, key=lambda r: (r.correct, r.shown_first, -r.cap))
    return min(reports, key=lambda r: r.cap)


def _score(
    kb: KnowledgeBase,
    report: CapReport,
    trial: Sequence[tuple[EvalQuestion, Assessment]],
    thresholds: dict[str, float],
    related: float,
) -> None:
    for q, a in trial:
        t = kb.decide(a, related_threshold=related, **thresholds)  # type: ignore[arg-type]
        report.questions += 1
        report.correct += is_correct(q, t)
        if t.kind == "off_topic":
            report.declined += 1
            report.declined_wrongly += q.expect != OFF_TOPIC
        if q.expect == NOT_COVERED:
            report.uncovered += 1
            report.uncovered_answered += t.kind == "answered"
        elif q.expect not in CASES:
            report.expecting += 1
            report.shown_first += is_shown_first(q, t)


__all__ = ["CAPS", "CapReport", "choose_cap", "folds_of", "pick"]
