"""The evaluation set (`knowledge/eval/questions.yaml`): its labels and how it is read."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

if TYPE_CHECKING:
    from bot.knowledge.results import Triage

OFF_TOPIC = "off-topic"
LIVE_CASE = "live-case"
NOT_COVERED = "not-covered"  # on the subject, but no entry answers it
GREETING = "greeting"  # hello, thanks, help, "what can you do?": the introduction
CASES = (OFF_TOPIC, LIVE_CASE, NOT_COVERED, GREETING)
SPLITS = ("tune", "test")


class EvalSetError(ValueError):
    """The evaluation set file is malformed; the message names the file and the item."""


@dataclass(frozen=True)
class EvalQuestion:
    """One question with what it should get: an entry id, or one of the `CASES` labels; or
    two entry ids (`expect: [a, b]` in the file), for a question that two entries answer
    between them (`expect` then the first, `also` the second): it should get both."""

    q: str
    expect: str
    split: str
    also: str | None = None

    def answers(self, entry_id: str) -> bool:
        """Whether that entry is (one of) the question's own."""
        return entry_id == self.expect or entry_id == self.also


def load_eval_set(path: str | Path) -> list[EvalQuestion]:
    """Read an evaluation set: a YAML list of {q, expect, split}; `expect` an entry id, a
    case label, or a list of two entry ids."""
    path = Path(path)
    where = f"{path.parent.name}/{path.name}"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise EvalSetError(f"{where}: cannot be read ({exc.__class__.__name__})") from None
    if isinstance(data, dict) and isinstance(data.get("questions"), list):
        data = data["questions"]
    if not isinstance(data, list):
        raise EvalSetError(f"{where}: expected a list of questions")
    out: list[EvalQuestion] = []
    for n, item in enumerate(data, 1):
        if not isinstance(item, dict):
            raise EvalSetError(f"{where}: item {n}: expected q, expect and split")
        q, expect, split = item.get("q"), item.get("expect"), item.get("split", "test")
        if not isinstance(q, str) or not q.strip():
            raise EvalSetError(f"{where}: item {n}: field 'q': expected the question text")
        also: str | None = None
        if isinstance(expect, list):
            ids = [e.strip() for e in expect if isinstance(e, str) and e.strip()]
            if len(ids) != 2 or len(set(ids)) != 2 or set(ids) & set(CASES):
                raise EvalSetError(
                    f"{where}: item {n}: field 'expect': expected two different entry ids"
                )
            expect, also = ids
        if not isinstance(expect, str) or not expect.strip():
            raise EvalSetError(f"{where}: item {n}: field 'expect': expected an entry id")
        if split not in SPLITS:
            raise EvalSetError(f"{where}: item {n}: field 'split': expected tune or test")
        out.append(EvalQuestion(q=q.strip(), expect=expect.strip(), split=str(split), also=also))
    return out


def ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def is_shown_first(question: EvalQuestion, triage: Triage) -> bool:
    """Whether the first entry the officer is shown in full is one the question expects
    (answered, shown as the closest to an uncovered question, or beside a live case)."""
    return (
        triage.kind != "off_topic"
        and bool(triage.hits)
        and question.answers(triage.hits[0].entry.id)
    )


def is_correct(question: EvalQuestion, triage: Triage) -> bool:
    """Whether the triage put the question in its labelled case, or answered it (or showed
    it beside a live case) with its labelled entry first; a question labelled with two
    entries is right only when it is answered with both, one first and the other beside it."""
    if question.expect == OFF_TOPIC:
        return triage.kind == "off_topic"
    if question.expect == LIVE_CASE:
        return triage.kind == "live_case"
    if question.expect == NOT_COVERED:
        return triage.kind == "not_covered"
    if question.expect == GREETING:
        return triage.kind == "greeting"
    if triage.kind not in ("answered", "live_case") or triage.best is None:
        return False
    if question.also is not None:
        second = triage.second
        return second is not None and {triage.best.entry.id, second.entry.id} == {
            question.expect,
            question.also,
        }
    return triage.best.entry.id == question.expect
