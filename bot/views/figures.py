"""The network's figures in words, the same on every surface: `/champbot stats`, App Home and
`champbot report` each lay out these lines, so they cannot disagree."""

from __future__ import annotations

from collections.abc import Mapping

from bot.domain.figures import CpdFigures, OutcomeFigures, QuestionFigures, RequestFigures
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


def cpd_line(c: CpdFigures) -> str:
    """Champions' CPD compliance today."""
    if not c.champions:
        return "champions' CPD: no champions on the roster"
    line = (
        f"champions' CPD: {c.compliant} of {c.champions} meet the {c.required_hours:g} hours a "
        f"year ({c.compliance or 0:.0%})"
    )
    late = [
        f"{n} {what}"
        for n, what in (
            (c.due_soon, "due soon"),
            (c.behind, "behind"),
            (c.none_recorded, "with nothing recorded"),
        )
        if n
    ]
    return line + (f"; {', '.join(late)}" if late else "")


def _pct(part: int, o: OutcomeFigures) -> str:
    shared = o.of_resolved(part)
    return f"{part} ({shared:.0%})" if shared is not None else str(part)


def consult_outcome_lines(o: OutcomeFigures) -> list[str]:
    """What the consults advised, as shares of the consults resolved."""
    if not o.resolved:
        return ["no consults resolved yet"]
    referred = ", ".join(f"{where} {n}" for where, n in o.referred.items())
    return [
        f"consults resolved: {o.resolved}, {o.recorded} with what the advice covered",
        f"stalking offence advised (s2A, s4A): {_pct(o.stalking_offence, o)}; "
        f"harassment only (s2, s4): {_pct(o.harassment_only, o)}",
        f"SPO applied for or recommended: {_pct(o.spo_applied_or_recommended, o)}",
        f"arrest advised: {_pct(o.arrest_advised, o)}",
        f"MARAC referrals: {_pct(o.marac, o)}",
        f"referred on: {referred}",
    ]


def changed_line(o: OutcomeFigures) -> str:
    """What officers said the advice changed."""
    said = o.changed_practice + o.unchanged_practice
    if not said:
        return "advice changed what the officer did: none has said yet"
    return (
        f"advice changed what the officer did: {o.changed_practice} of the {said} who said "
        f"({o.changed_share:.0%})"
    )
