"""The perturbation report: every evaluation question again with neutral words around it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.knowledge.evalset import LIVE_CASE, EvalQuestion, ratio
from bot.knowledge.search import KnowledgeBase, Triage

# Neutral words put around every question for the perturbation report: none should change
# its case or the first entry shown. `{q}` is the question as written.
WRAPPERS: tuple[str, ...] = (
    "hi, {q}",
    "{q} thanks",
    "quick one - {q}",
    "URGENT {q}",
    "{q} (job ref 1006)",
    "PC 4471 here: {q}",
    "morning all, {q}?? cheers",
    "...{q}!!",
)


@dataclass(frozen=True)
class Perturbation:
    """How a split's questions fare with neutral words around them (`WRAPPERS`): of every
    (question, wrapper) pair, the share whose case changes, the share whose first entry shown
    changes, and the number of live-case questions whose case changes under any wrapper."""

    split: str
    pairs: int
    case_changed: float | None
    entry_changed: float | None
    live_cases: int
    live_case_changed: int
    changes: tuple[str, ...] = field(default=())


def first_shown(triage: Triage) -> str | None:
    """The entry an officer is shown first: the answer, or the first one beside the reply."""
    if triage.kind == "off_topic":
        return None
    hit = triage.best or (triage.hits[0] if triage.hits else None)
    return hit.entry.id if hit else None


def perturb(
    kb: KnowledgeBase,
    items: Sequence[tuple[EvalQuestion, Triage]],
    split: str,
    wrappers: Sequence[str] = WRAPPERS,
) -> Perturbation:
    """Each question under each wrapper, against its triage as written."""
    pairs = case_changed = entry_changed = 0
    live = [q for q, _ in items if q.expect == LIVE_CASE]
    live_changed: set[str] = set()
    changes: list[str] = []
    for question, plain in items:
        for wrapper in wrappers:
            wrapped = kb.triage(wrapper.replace("{q}", question.q))
            pairs += 1
            case = wrapped.kind != plain.kind
            entry = first_shown(wrapped) != first_shown(plain)
            case_changed += case
            entry_changed += entry
            if case and question.expect == LIVE_CASE:
                live_changed.add(question.q)
            if case or entry:
                changes.append(
                    f"[{question.split}] {wrapper!r} on {question.q!r}: {plain.kind} "
                    f"{first_shown(plain)} -> {wrapped.kind} {first_shown(wrapped)}"
                )
    return Perturbation(
        split=split,
        pairs=pairs,
        case_changed=ratio(case_changed, pairs),
        entry_changed=ratio(entry_changed, pairs),
        live_cases=len(live),
        live_case_changed=len(live_changed),
        changes=tuple(changes),
    )


def combine(parts: Sequence[Perturbation]) -> Perturbation:
    """The splits' perturbation figures as one (each pair counted once)."""
    pairs = sum(p.pairs for p in parts)

    def share(get: str) -> float | None:
        n = sum(round((getattr(p, get) or 0.0) * p.pairs) for p in parts)
        return ratio(n, pairs)

    return Perturbation(
        split="all",
        pairs=pairs,
        case_changed=share("case_changed"),
        entry_changed=share("entry_changed"),
        live_cases=sum(p.live_cases for p in parts),
        live_case_changed=sum(p.live_case_changed for p in parts),
        changes=tuple(c for p in parts for c in p.changes),
    )
