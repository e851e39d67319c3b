"""The evaluation set: loading, figures per split, failures, and tuning on the tune split."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.knowledge import KnowledgeBase
from bot.knowledge.evalset import is_correct
from bot.knowledge.evaluation import (
    EvalQuestion,
    EvalSetError,
    calibrate,
    evaluate,
    format_report,
    load_eval_set,
    tune,
)
from bot.knowledge.tuning import fit_margins

EVAL = """
- {q: "whats max for 4a", expect: s4a-maximum-sentence, split: tune}
- {q: "who can apply for an spo", expect: spo-who-can-apply, split: tune}
- {q: "how long does an SPO last", expect: spo-duration, split: tune}
- {q: "annual leave form?", expect: off-topic, split: tune}
- {q: "what number do i ring about my pension", expect: off-topic, split: tune}
- {q: "my victim says he keeps texting her", expect: live-case, split: tune}
- {q: "spo breach sentance", expect: spo-breach, split: test}
- {q: "wot counts as cyber stalking", expect: cyberstalking, split: test}
- {q: "what time is the canteen open", expect: off-topic, split: test}
- {q: "is the helpline open at weekends", expect: spo-duration, split: test}
- {q: "he has breached his SPO", expect: live-case, split: test}
- {q: "does a stalking conviction affect his firearms cert", expect: not-covered, split: test}
"""


@pytest.fixture
def eval_file(tmp_path: Path) -> Path:
    path = tmp_path / "eval" / "questions.yaml"
    path.parent.mkdir()
    path.write_text(EVAL, encoding="utf-8")
    return path


def test_figures_per_split(fixture_kb: KnowledgeBase, eval_file: Path) -> None:
    questions = load_eval_set(eval_file)
    assert len(questions) == 12 and {q.split for q in questions} == {"tune", "test"}
    report = evaluate(fixture_kb, questions)
    assert set(report.splits) == {"tune", "test", "all"}
    tune_split, test = report["tune"], report["test"]
    assert tune_split.top1 == 1.0 and tune_split.mrr == 1.0
    assert tune_split.off_topic_precision == 1.0 and tune_split.live_case_recall == 1.0
    assert test.entry_questions == 3 and test.top1 == pytest.approx(2 / 3)
    assert test.not_covered_questions == 1 and test.not_covered_answered == 0.0
    assert [f.question.q for f in test.failures] == ["is the helpline open at weekends"]
    text = format_report(report, show_failures=True)
    assert "top-1 (answered)" in text and "off-topic precision" in text
    assert "is the helpline open at weekends" in text


def test_tuning_reads_only_the_tune_split(fixture_kb: KnowledgeBase, eval_file: Path) -> None:
    kb = KnowledgeBase.from_entries(fixture_kb.entries, normaliser=fixture_kb.normaliser)
    questions = load_eval_set(eval_file)
    result = tune(kb, questions)
    assert result.accuracy == 1.0
    assert kb.answer_threshold == result.answer_threshold
    assert kb.topic_threshold == result.topic_threshold
    only_tune = [q for q in questions if q.split == "tune"]
    again = KnowledgeBase.from_entries(fixture_kb.entries, normaliser=fixture_kb.normaliser)
    assert tune(again, only_tune) == result


def test_calibration_is_fitted_on_the_tune_split(
    fixture_kb: KnowledgeBase, eval_file: Path
) -> None:
    kb = KnowledgeBase.from_entries(fixture_kb.entries, normaliser=fixture_kb.normaliser)
    a, b, c = calibrate(kb, load_eval_set(eval_file))
    assert a > 0 and kb.calibration == (a, b, c)
    hits = kb.search("spo breach sentance", limit=10)
    assert hits[0].score > 0.5 > hits[-1].score  # a right answer is likely, a stray one not


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("- {q: hi}\n", "field 'expect'"),
        ("- {expect: x}\n", "field 'q'"),
        ("- {q: hi, expect: x, split: train}\n", "field 'split'"),
        ("just text\n", "a list"),
        ("- {q: hi, expect: [spo-duration], split: tune}\n", "two different entry ids"),
        ("- {q: hi, expect: [spo-duration, spo-duration], split: tune}\n", "two different"),
        ("- {q: hi, expect: [spo-duration, off-topic], split: tune}\n", "two different"),
    ],
)
def test_malformed_eval_sets_are_named(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "questions.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(EvalSetError, match=words):
        load_eval_set(path)


GREETINGS = """
- {q: "hi", expect: greeting, split: tune}
- {q: "what can you do?", expect: greeting, split: test}
- {q: "thanks!", expect: greeting, split: test}
- {q: "how long does an SPO last", expect: spo-duration, split: test}
"""


def test_the_greeting_label(fixture_kb: KnowledgeBase, tmp_path: Path) -> None:
    path = tmp_path / "q.yaml"
    path.write_text(GREETINGS, encoding="utf-8")
    report = evaluate(fixture_kb, load_eval_set(path), wrappers=())
    assert report["test"].greeting_recall == 1.0 and report["test"].greeting_precision == 1.0
    assert report["all"].failures == () and report.perturbation == {}
    assert "greeting recall" in format_report(report)


def test_the_perturbation_report(fixture_kb: KnowledgeBase, eval_file: Path) -> None:
    questions = load_eval_set(eval_file)
    report = evaluate(fixture_kb, questions, wrappers=("hi, {q}", "{q} (job ref 1006)"))
    moved = report.perturbation
    assert set(moved) == {"tune", "test", "all"}
    assert moved["all"].pairs == 2 * len(questions) and moved["all"].live_cases == 2
    assert moved["all"].case_changed == 0.0 and moved["all"].live_case_changed == 0
    # a wrapper that changes the question is caught, and named
    changed = evaluate(fixture_kb, questions, wrappers=("{q} with an spo breach",)).perturbation
    assert changed["all"].entry_changed and changed["all"].entry_changed > 0
    assert any("with an spo breach" in c for c in changed["all"].changes)
    text = format_report(report, show_failures=True)
    assert "case changed" in text and "live cases changed" in text and "0/2" in text


def test_the_also_margin_is_fitted_to_the_runner_ups_worth_offering(kb: KnowledgeBase) -> None:
    close = kb.assess("does an english spo work in scotland")
    clear = kb.assess("what is the penalty for breaching an spo")
    first, second = close.hits[:2]
    # the close question's right entry is its runner-up; the clear one's first entry is right
    useful = EvalQuestion("does an english spo work in scotland", second.entry.id, "tune")
    right = EvalQuestion("what is the penalty", clear.hits[0].entry.id, "tune")
    also, _, _ = fit_margins(kb, [(useful, close), (right, clear)], {})
    gap = first.raw - second.raw
    assert gap <= also < gap + 0.011  # just wide enough to offer it, no wider


BINDING = """
- {q: "whats max for 4a", expect: s4a-maximum-sentence, split: tune}
- {q: "how long does an SPO last", expect: spo-duration, split: tune}
- {q: "who is allowed to ask the court for an spo", expect: spo-who-can-apply, split: tune}
- {q: "what number can a victim ring for support", expect: national-stalking-helpline, split: tune}
- {q: "how long does an spo take to get granted", expect: not-covered, split: tune}
- {q: "annual leave form?", expect: off-topic, split: tune}
"""


def test_uncovered_questions_are_not_answered_to_win_more_answers(
    fixture_kb: KnowledgeBase, tmp_path: Path
) -> None:
    path = tmp_path / "questions.yaml"
    path.write_text(BINDING, encoding="utf-8")
    questions = load_eval_set(path)

    def fresh() -> KnowledgeBase:
        return KnowledgeBase.from_entries(fixture_kb.entries, normaliser=fixture_kb.normaliser)

    # left free, answering the uncovered question wins two more answers than it costs
    free = tune(fresh(), questions, max_uncovered_answered=1.0)
    assert free.uncovered_answered is not None and free.uncovered_answered > 0.1
    held = tune(fresh(), questions)
    assert held.uncovered_answered == 0.0 and held.answer_threshold > free.answer_threshold


def test_an_answer_that_leaves_much_of_the_question_out_is_less_sure(kb: KnowledgeBase) -> None:
    query = kb.query("how long does an spo last")
    more = kb.query(
        "how long does an spo last if she moves to scotland and gets a non molestation order"
    )
    number = [e.id for e in kb.entries].index("spo-duration")
    assert kb.lacking(query, number) == 0.0
    assert kb.lacking(more, number) > 0.3
    if kb.calibration is not None and len(kb.calibration) == 3:
        assert kb.calibration[2] < 0  # what the entry lacks counts against it


def test_a_typo_guess_or_an_unknown_word_is_not_what_an_entry_lacks(kb: KnowledgeBase) -> None:
    number = [e.id for e in kb.entries].index("stalking-prevalence")
    guessed = kb.query("how many people get stalked in their lifetine")
    assert guessed.guessed  # "lifetine" is in no entry, and is read as one that others use
    assert kb.lacking(guessed, number) == 0.0
    # "lifetime" is English (the sentence model knows it): no guess, a word no entry uses
    unknown = kb.query("how many people get stalked in their lifetime")
    assert kb.lacking(unknown, number) == 0.0
    if kb.semantic:
        assert not unknown.guessed and "lifetim" in unknown.terms
    assert kb.lacking(kb.query("how many people get stalked in a nutshell"), number) == 0.0
    # a word other entries use and this one does not still counts against it
    assert kb.lacking(kb.query("how many people get stalked by spyware"), number) > 0.3


TWO = "how long does an spo last and who can apply for one"


def test_a_question_two_entries_answer_is_right_only_with_both(
    fixture_kb: KnowledgeBase, tmp_path: Path
) -> None:
    path = tmp_path / "questions.yaml"
    path.write_text(
        f'- {{q: "{TWO}", expect: [spo-who-can-apply, spo-duration], split: tune}}\n',
        encoding="utf-8",
    )
    (question,) = load_eval_set(path)
    assert (question.expect, question.also) == ("spo-who-can-apply", "spo-duration")
    assessment = fixture_kb.assess(TWO)
    both = fixture_kb.decide(assessment, margins=(0.0, 0.5, 0.0))
    alone = fixture_kb.decide(assessment, margins=(0.0, 0.0, 0.0))
    assert both.second is not None and alone.second is None
    assert is_correct(question, both) and not is_correct(question, alone)
    report = evaluate(fixture_kb, [question], wrappers=())["tune"]
    assert report.pairs == 1 and report.shown_top1 == 1.0  # either entry first is shown right


def test_the_second_margin_is_fitted_to_the_two_entry_questions(fixture_kb: KnowledgeBase) -> None:
    assessment = fixture_kb.assess(TWO)
    first, second = assessment.hits[:2]
    assert assessment.joined and {first.entry.id, second.entry.id} == {
        "spo-duration",
        "spo-who-can-apply",
    }
    pair = EvalQuestion(TWO, "spo-who-can-apply", "tune", also="spo-duration")
    _, margin, share = fit_margins(fixture_kb, [(pair, assessment)], {})
    gap = first.raw - second.raw
    assert gap <= margin < gap + 0.021  # just wide enough to show both, no wider
    shown = fixture_kb.decide(assessment, margins=(0.0, margin, share))
    assert shown.second is not None and shown.second.entry.id == second.entry.id
    # labelled with its first entry alone, nothing on the split wants a second entry shown
    single = EvalQuestion(TWO, first.entry.id, "tune")
    defaults = (fixture_kb.also_margin, fixture_kb.second_margin, fixture_kb.second_share)
    assert fit_margins(fixture_kb, [(single, assessment)], {}) == defaults
