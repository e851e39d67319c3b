"""Choosing the cap on uncovered questions answered by cross-validation within the tune split."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from bot.knowledge import KnowledgeBase
from bot.knowledge.crossval import CapReport, choose_cap, folds_of, pick
from bot.knowledge.evaluation import EvalQuestion, load_eval_set

TUNE = """
- {q: "whats max for 4a", expect: s4a-maximum-sentence, split: tune}
- {q: "max sentence for stalking with fear of violence", expect: s4a-maximum-sentence, split: tune}
- {q: "how long does an SPO last", expect: spo-duration, split: tune}
- {q: "spo duration", expect: spo-duration, split: tune}
- {q: "who is allowed to ask the court for an spo", expect: spo-who-can-apply, split: tune}
- {q: "who applies for a stalking protection order", expect: spo-who-can-apply, split: tune}
- {q: "how long does an spo take to get granted", expect: not-covered, split: tune}
- {q: "can an spo be made against a company", expect: not-covered, split: tune}
- {q: "annual leave form?", expect: off-topic, split: tune}
- {q: "what time is the canteen open", expect: off-topic, split: tune}
"""

# held back, with labels that would pull any fit that read them the wrong way
TEST = """
- {q: "whats max for 4a", expect: not-covered, split: test}
- {q: "how long does an SPO last", expect: off-topic, split: test}
- {q: "spo duration", expect: not-covered, split: test}
"""


def _questions(tmp_path: Path, text: str) -> list[EvalQuestion]:
    path = tmp_path / "questions.yaml"
    path.write_text(text, encoding="utf-8")
    return load_eval_set(path)


def test_folds_deal_every_tune_question_once_and_each_label_round_them(tmp_path: Path) -> None:
    questions = _questions(tmp_path, TUNE + TEST)
    folds = folds_of(questions, 2)
    dealt = [q for fold in folds for q in fold]
    assert sorted(q.q for q in dealt) == sorted(q.q for q in questions if q.split == "tune")
    assert len(dealt) == len({id(q) for q in dealt})
    for fold in folds:  # two of each case in the tune split: one in each fold
        labels = Counter(q.expect for q in fold)
        assert labels["not-covered"] == 1 and labels["off-topic"] == 1


def test_the_cap_is_chosen_without_reading_the_test_split(
    fixture_kb: KnowledgeBase, tmp_path: Path
) -> None:
    def fresh() -> KnowledgeBase:
        return KnowledgeBase.from_entries(fixture_kb.entries, normaliser=fixture_kb.normaliser)

    tuned_only = _questions(tmp_path, TUNE)
    with_test = _questions(tmp_path, TUNE + TEST)
    kb = fresh()
    before = kb.calibration
    cap, reports = choose_cap(kb, with_test, caps=(0.5, 0.0), folds=2)
    assert kb.calibration == before  # the folds' calibrations are not kept
    alone_cap, alone = choose_cap(fresh(), tuned_only, caps=(0.5, 0.0), folds=2)
    assert (cap, reports) == (alone_cap, alone)
    for report in reports:  # every tune question is held out once, and only tune questions
        assert report.questions == len(tuned_only) and report.uncovered == 2


def test_the_loosest_cap_within_the_target_that_puts_most_right_wins() -> None:
    loose = CapReport(0.10, questions=100, correct=95, uncovered=20, uncovered_answered=3)
    middle = CapReport(0.05, questions=100, correct=93, uncovered=20, uncovered_answered=2)
    strict = CapReport(0.0, questions=100, correct=90, uncovered=20, uncovered_answered=0)
    # held out, the loose cap answers 15% of the uncovered questions: over a 10% target
    assert pick([loose, middle, strict], 0.10) is middle
    assert pick([loose, middle, strict], 0.20) is loose
    # none within the target: the strictest
    assert pick([loose, middle], 0.05) is middle
