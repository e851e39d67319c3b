"""The network's figures in words, the same on every surface: `/champbot stats`, App Home and
`champbot report` each lay out these lines, so they cannot disagree."""

from __future__ import annotations

from collections.abc import Mapping

from bot.domain.figures import QuestionFigures, RequestFigures
from bot.models import Outcome
from bot.views.time import duration

OUTCOME_LABELS = {
    Outcome.ANSWERED: "answered from the knowledge base",
    Outcome.LIVE_CASE: "live cases",
    Outcome.NOT_COVERED: "not covered yet",
    Outcome.OFF_TOPIC: "off topic",
}


def _share(part: int, whole: int) -> str:
    return f" ({part / whole:.0%})" if whole else ""


def outcome_lines(q: QuestionFigures) -> list[str]:
    """Each outcome with its count and share of the questions."""
    return [
        f"{label}: {q.by_outcome.get(outcome, 0)}{_share(q.by_outcome.get(outcome, 0), q.total)}"
        for outcome, label in OUTCOME_LABELS.items()
    ]


def feedback_line(q: QuestionFigures) -> str:
    """What officers said of the knowledge base's answers."""
    return f"feedback on answers: {q.helpful} helpful, {q.not_helpful} not what was needed"


def states_line(r: RequestFigures) -> str:
    """Where the requests stand now, each counted once."""
    return ", ".join(f"{n} {state}" for state, n in r.states.items())


def claim_line(r: RequestFigures) -> str:
    """How long officers waited for a champion."""
    return (
        f"time to a champion: median {duration(r.median_claim())}, "
        f"90th percentile {duration(r.p90_claim())}"
        + (f" ({r.reached_champion} reached one)" if r.reached_champion else "")
    )


def resolve_line(r: RequestFigures) -> str:
    """How long requests took to resolve."""
    return (
        f"time to resolve: median {duration(r.median_resolve())}, "
        f"90th percentile {duration(r.p90_resolve())}"
    )


def helped_line(r: RequestFigures) -> str:
    """What officers said of a champion's advice."""
    said = r.helped + r.not_helped
    if not said:
        return "officers helped: none has said yet"
    return f"officers helped: {r.helped} of the {said} who said ({r.helped_share:.0%})"


def champions_line(r: RequestFigures, names: Mapping[str, str]) -> str | None:
    """Resolved requests per champion, by name; "a champion" where no name is known."""
    if not r.by_champion:
        return None
    return "resolved per champion: " + ", ".join(
        f"{names.get(uid, 'a champion')} {n}" for uid, n in list(r.by_champion.items())[:20]
    )


def entries_line(q: QuestionFigures, titles: Mapping[str, str]) -> str | None:
    """The knowledge base's most used entries, by title (the id only for an entry since removed)."""
    if not q.top_entries:
        return None
    return "most used entries: " + "; ".join(f"{titles.get(e, e)} ({n})" for e, n in q.top_entries)
