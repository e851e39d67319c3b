"""Fits the search's calibration, thresholds and margins on the "tune" split of the evaluation
set (`champbot kb tune` prints them for `bot/knowledge/search.py`); the "test" split is held
back and only reported on.

The procedure, in order:

1. `calibrate`: Platt scaling of the top hit's raw score to the chance that it is right
   (logistic regression by Newton's method).
2. `tune`: a grid over (answer, topic, sure) thresholds. A setting is admissible when, on the
   tune split, its off-topic precision is at least `min_off_topic_precision` (nothing on the
   subject declined as off topic) and at most `max_uncovered_answered` of the on-topic
   questions no entry answers are given an entry as the answer; among admissible settings
   (or, when none is, those that fail fewest constraints) the most questions put in the right
   case wins, ties going to the middle of the best range, which generalises better than its
   edge.
3. `fit_related`: the highest related threshold (the bar for the closest entries offered beside
   an uncovered question) at which the most questions are shown their entry first.
4. `fit_margins`, with those thresholds: the raw-score margins for what is shown beside an
   answer. A close runner-up offered as "Also: ..." is worth a tap exactly when the answer is
   the wrong entry and the runner-up the right one; a second entry shown whole, when a question
   joins two asks and the answer alone is not the right entry; both judged on the ranking (the
   first two entries), whatever the thresholds decide, as it has more such cases than the
   answered questions alone. A question labelled with two entries (`expect: [a, b]`) wants
   the second shown whole when those two lead the ranking, and never counts for "Also". Each
   margin is the one whose offers best match those cases (F2 on the tune split: recall first,
   as a button costs a tap), ties going to the smaller margin, so fewer buttons (for the
   second, the larger share)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from bot.knowledge.evalset import (
    CASES,
    LIVE_CASE,
    NOT_COVERED,
    OFF_TOPIC,
    EvalQuestion,
    is_correct,
    is_shown_first,
    ratio,
)
from bot.knowledge.search import Assessment, KnowledgeBase


def calibrate(
    kb: KnowledgeBase, questions: Iterable[EvalQuestion], *, apply: bool = True
) -> tuple[float, ...]:
    """Fit the calibration of the knowledge base's scores on the "tune" split: for each
    question that expects an entry or is off topic, the top hit's raw score and the share of
    the question its entry lacks (`KnowledgeBase.lacking`) against whether that hit is right
    (an off-topic question's never is), by logistic regression. Returns (a, b, c): the chance
    is 1 / (1 + e^-(a raw + c lacking + b)); with `apply` the knowledge base reports calibrated
    scores from then on."""
    saved, kb.calibration = kb.calibration, None
    try:
        rows: list[tuple[float, float, float]] = []
        outcome: list[float] = []
        for q in questions:
            if q.split != "tune" or q.expect == LIVE_CASE:
                continue
            query = kb.query(q.q)
            hits = kb.rank(query, 1, kb.vector(q.q))
            if hits:
                number = kb.entries.index(hits[0].entry)
                rows.append((hits[0].raw, kb.lacking(query, number), 1.0))
                outcome.append(float(q.answers(hits[0].entry.id)))
            else:  # nothing matched: no answer would have been right
                rows.append((0.0, 1.0, 1.0))
                outcome.append(0.0)
    finally:
        kb.calibration = saved
    if not rows or len(set(outcome)) < 2:
        raise ValueError("calibration needs right and wrong top hits in the tune split")
    x, y = np.array(rows), np.array(outcome)
    w = np.zeros(x.shape[1])
    for _ in range(200):  # Newton's method on the logistic loss, lightly regularised
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        gradient = x.T @ (p - y) + 1e-3 * w
        hessian = (x * (p * (1.0 - p))[:, None]).T @ x + 1e-3 * np.eye(x.shape[1])
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if float(np.abs(step).sum()) < 1e-9:
            break
    a, c, b = (round(float(v), 2) for v in w)
    if apply:
        kb.calibration = (a, b, c)
    return a, b, c


@dataclass(frozen=True)
class Tuning:
    """The thresholds and margins chosen on the tune split, and how the tune split fared."""

    answer_threshold: float
    related_threshold: float
    topic_threshold: float
    sure_threshold: float
    accuracy: float
    off_topic_precision: float | None
    uncovered_answered: float | None = None
    also_margin: float | None = None
    second_margin: float | None = None
    second_share: float | None = None


def _grid(start: float, stop: float, step: float) -> list[float]:
    count = round((stop - start) / step)
    return [round(start + i * step, 4) for i in range(count + 1)]


def _middle(values: Iterable[float]) -> float:
    ordered = sorted(set(values))
    return ordered[len(ordered) // 2]


def tune(
    kb: KnowledgeBase,
    questions: Iterable[EvalQuestion],
    *,
    min_off_topic_precision: float = 1.0,
    max_uncovered_answered: float = 0.10,
    apply: bool = True,
) -> Tuning:
    """Grid-search the thresholds (answer, topic, sure) on the "tune" split only, then fit the
    margins with them (see the module's docstring). With `apply`, the knowledge base keeps
    what was chosen."""
    tuning = [q for q in questions if q.split == "tune"]
    if not tuning:
        raise ValueError("the evaluation set has no questions in the tune split")
    assessed: list[tuple[EvalQuestion, Assessment]] = [(q, kb.assess(q.q)) for q in tuning]
    chosen = choose(
        grid_results(kb, assessed),
        min_off_topic_precision=min_off_topic_precision,
        max_uncovered_answered=max_uncovered_answered,
    )
    answer, topic, sure = chosen.answer, chosen.topic, chosen.sure
    thresholds = {"answer_threshold": answer, "topic_threshold": topic, "sure_threshold": sure}
    related = fit_related(kb, assessed, thresholds, ceiling=answer)
    also, second, share = fit_margins(kb, assessed, thresholds)
    if apply:
        kb.answer_threshold = answer
        kb.topic_threshold = topic
        kb.sure_threshold = sure
        kb.related_threshold = related
        kb.also_margin, kb.second_margin, kb.second_share = also, second, share
    return Tuning(
        answer_threshold=answer,
        related_threshold=related,
        topic_threshold=topic,
        sure_threshold=sure,
        accuracy=chosen.share,
        off_topic_precision=chosen.precision,
        uncovered_answered=chosen.wrongly,
        also_margin=also,
        second_margin=second,
        second_share=share,
    )


@dataclass(frozen=True)
class GridPoint:
    """One (answer, topic, sure) setting and how the questions it was tried on fared: how
    many went in the right case (and the share), the off-topic precision and the share of
    uncovered questions given an entry as the answer."""

    answer: float
    topic: float
    sure: float
    correct: int
    share: float
    precision: float | None
    wrongly: float | None


def grid_results(
    kb: KnowledgeBase, assessed: Sequence[tuple[EvalQuestion, Assessment]]
) -> list[GridPoint]:
    """Every setting of the (answer, topic, sure) grid tried on the assessed questions."""
    if not assessed:
        raise ValueError("the evaluation set has no questions in the tune split")
    results: list[GridPoint] = []
    grid = itertools.product(_grid(0.2, 0.99, 0.01), _grid(0.1, 1.0, 0.05), _grid(0.4, 0.9, 0.1))
    uncovered = sum(q.expect == NOT_COVERED for q, _ in assessed)
    for answer, topic, sure in grid:
        triages = [
            (q, kb.decide(a, answer_threshold=answer, topic_threshold=topic, sure_threshold=sure))
            for q, a in assessed
        ]
        correct = sum(is_correct(q, t) for q, t in triages)
        predicted_off = [q for q, t in triages if t.kind == "off_topic"]
        precision = ratio(sum(q.expect == OFF_TOPIC for q in predicted_off), len(predicted_off))
        answered = sum(q.expect == NOT_COVERED and t.kind == "answered" for q, t in triages)
        share = correct / len(assessed)
        results.append(
            GridPoint(answer, topic, sure, correct, share, precision, ratio(answered, uncovered))
        )
    return results


def choose(
    results: Sequence[GridPoint],
    *,
    min_off_topic_precision: float = 1.0,
    max_uncovered_answered: float = 0.10,
) -> GridPoint:
    """The admissible setting (see the module's docstring) that puts the most questions in
    the right case, ties going to the middle of the best range."""

    def met(r: GridPoint) -> int:
        return (r.precision is None or r.precision >= min_off_topic_precision) + (
            r.wrongly is None or r.wrongly <= max_uncovered_answered
        )

    best_key = max((met(r), r.correct) for r in results)
    best = [r for r in results if (met(r), r.correct) == best_key]
    answer = _middle(r.answer for r in best)
    topic = _middle(r.topic for r in best if r.answer == answer)
    sure = _middle(r.sure for r in best if r.answer == answer and r.topic == topic)
    return next(r for r in best if (r.answer, r.topic, r.sure) == (answer, topic, sure))


def fit_related(
    kb: KnowledgeBase,
    assessed: Sequence[tuple[EvalQuestion, Assessment]],
    thresholds: dict[str, float],
    *,
    ceiling: float,
) -> float:
    """The related threshold: the highest, up to `ceiling`, at which the most questions that
    expect an entry are shown it first (answered, or the closest entry to a question judged
    not covered), so that no more near-misses are offered than help."""
    expecting = [(q, a) for q, a in assessed if q.expect not in CASES]
    scored: list[tuple[int, float]] = []
    for related in _grid(0.0, ceiling, 0.01):
        shown = 0
        for q, a in expecting:
            t = kb.decide(a, related_threshold=related, **thresholds)  # type: ignore[arg-type]
            shown += is_shown_first(q, t)
        scored.append((shown, related))
    return max(scored)[1]


def _f2(offered: Sequence[bool], useful: Sequence[bool]) -> float:
    """F-beta with beta 2: recall counts four times precision, as a button costs a tap and a
    missing one the answer."""
    hit = sum(o and u for o, u in zip(offered, useful, strict=True))
    if not hit:
        return 0.0
    return 5 * hit / (4 * sum(useful) + sum(offered))


def fit_margins(
    kb: KnowledgeBase,
    assessed: Sequence[tuple[EvalQuestion, Assessment]],
    thresholds: dict[str, float],
) -> tuple[float, float, float]:
    """The (also, second, share) margins that best match when a runner-up is worth showing
    (see the module's docstring) on the questions among `assessed` that expect an entry; the
    knowledge base's own margins where no runner-up on the split was worth showing."""
    ranked = [(q, a) for q, a in assessed if q.expect not in CASES and len(a.hits) > 1]

    def useful(q: EvalQuestion, a: Assessment) -> bool:
        if q.also is not None:  # two entries answer it: worth showing both when they lead
            return {a.hits[0].entry.id, a.hits[1].entry.id} == {q.expect, q.also}
        return not q.answers(a.hits[0].entry.id) and q.answers(a.hits[1].entry.id)

    singles = [(q, a) for q, a in ranked if q.also is None]
    wanted = [useful(q, a) for q, a in singles]
    also = kb.also_margin
    if any(wanted):
        gaps = [a.hits[0].raw - a.hits[1].raw for _, a in singles]
        scored = [(_f2([g <= m for g in gaps], wanted), -m) for m in _grid(0.0, 0.4, 0.01)]
        also = -max(scored)[1]
    joined = [(q, a) for q, a in ranked if a.joined]
    wanted = [useful(q, a) for q, a in joined]
    if not any(wanted):
        return also, kb.second_margin, kb.second_share
    second_scores: list[tuple[float, float, float]] = []
    for margin, share in itertools.product(_grid(0.0, 0.5, 0.02), _grid(0.0, 0.5, 0.05)):
        offered = [
            kb.decide(a, **thresholds, margins=(also, margin, share)).second is not None
            for _, a in joined
        ]
        second_scores.append((_f2(offered, wanted), -margin, share))
    f2, neg_margin, share = max(second_scores)
    if f2 <= 0:  # no setting shows a useful second entry: the split cannot tell them apart
        return also, kb.second_margin, kb.second_share
    return also, -neg_margin, share
