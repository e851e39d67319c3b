"""The impact report's figures in words, with the small-number rule applied: the printed report
(HTML and PDF) and the monthly summary's table show these same rows, so they cannot disagree.

A figure the rule hides reads "fewer than 5" (the threshold); nothing an officer or champion
typed is ever shown: labels are fixed words, and topics are knowledge entries' tags.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.domain.figures import Figures
from bot.domain.impact import Disclosure, Gap, ImpactReport, Month
from bot.views.time import duration, plain_time


@dataclass(frozen=True)
class Row:
    """One figure: what it is, its value as shown, and an optional note on what it counts."""

    label: str
    value: str
    note: str = ""


class Words:
    """Counts, shares and times as the report shows them, hidden where the rule says so."""

    def __init__(self, disclosure: Disclosure) -> None:
        self.d = disclosure
        self.hidden = f"fewer than {disclosure.min_count}"

    def of_set(self, n: int, hidden: bool) -> str:
        """One count of a set (see `Disclosure.hidden`): hidden beside a small one, it reads
        "not shown", since it need not be small itself."""
        if not hidden:
            return self.count(n)
        return self.hidden if not self.d.count(n) else "not shown"

    def count(self, n: int) -> str:
        return f"{n:,}" if self.d.count(n) else self.hidden

    def part(self, part: int, whole: int) -> str:
        """`part` of `whole` as "12 (30%)". Where the part is small it reads "fewer than 5";
        where what is left of the whole is small, a lower bound: "at least 16 (80%)"."""
        if whole == 0:
            return "none"
        if self.d.part(part, whole):
            return f"{part:,} ({part / whole:.0%})"
        return self._bound(part, whole, lambda n: f"at least {n:,} ({n / whole:.0%})")

    def share(self, part: int, whole: int) -> str:
        """`part` of `whole` as a percentage alone: "30%", or "at least 80%"."""
        if whole == 0:
            return "none yet"
        if self.d.part(part, whole):
            return f"{part / whole:.0%}"
        return self._bound(part, whole, lambda n: f"at least {n / whole:.0%}")

    def _bound(self, part: int, whole: int, words: Callable[[int], str]) -> str:
        n = self.d.min_count
        if whole < n:
            return f"too few to show ({self.hidden} in all)"
        if not self.d.count(part):
            return self.hidden
        return words(whole - (n - 1))  # fewer than n are left over

    def times(self, seconds: list[float], median: float | None, p90: float | None) -> str:
        """A median and 90th percentile, shown only when measured over enough requests."""
        if not seconds:
            return "none yet"
        if not self.d.measure(len(seconds)):
            return self.hidden + " measured"
        return f"median {duration(median)}, 90th percentile {duration(p90)}"

    def median(self, seconds: list[float], median: float | None) -> str:
        if not seconds:
            return "–"
        return duration(median) if self.d.measure(len(seconds)) else self.hidden


def period_words(since: datetime, until: datetime, zone: str) -> str:
    """The period as people read it: "1 Dec 2025 to 30 Nov 2026" (the last day included)."""
    tz = ZoneInfo(zone)
    start = since.astimezone(tz)
    end = until.astimezone(tz)
    last = end.date() if (end.hour, end.minute, end.second) != (0, 0, 0) else _day_before(end)
    return f"{start.day} {start:%b %Y} to {last.day} {last:%b %Y}"


def _day_before(moment: datetime) -> date:
    return date.fromordinal(moment.date().toordinal() - 1)


def month_label(first: date) -> str:
    return f"{first:%b %Y}"


def glance(
    figures: Figures, words: Words, *, officers_asked: int, officers_helped: int
) -> list[Row]:
    """The headline figures: who was helped, how fast, and what officers said."""
    q, r, o = figures.questions, figures.requests, figures.outcomes
    said = q.helpful + q.not_helpful
    consult_said = r.helped + r.not_helped
    practice_said = o.changed_practice + o.unchanged_practice
    return [
        Row(
            "Officers helped",
            words.part(officers_helped, officers_asked),
            "answered from the knowledge base or reached a champion, of the officers who asked",
        ),
        Row("Questions asked", words.count(q.total)),
        Row("Answered from the knowledge base", words.part(q.answered, q.total)),
        Row("Cases routed to a champion", words.count(r.total)),
        Row("Cases that reached a champion", words.part(r.reached_champion, r.total)),
        Row(
            "Time to a champion",
            words.times(r.claim_seconds, r.median_claim(), r.p90_claim()),
            "from the request to the first champion taking it",
        ),
        Row(
            "Time to resolution",
            words.times(r.resolve_seconds, r.median_resolve(), r.p90_resolve()),
            "from the request to the champion resolving it",
        ),
        Row(
            "SLA met",
            words.part(r.total - r.sla_breaches, r.total),
            "cases a champion took before they had to be escalated",
        ),
        Row(
            "Answers officers found helpful",
            words.share(q.helpful, said),
            f"of the {words.count(said)} who said" if said else "",
        ),
        Row(
            "Consults officers said helped",
            words.share(r.helped, consult_said),
            f"of the {words.count(consult_said)} who said" if consult_said else "",
        ),
        Row(
            "Advice changed what the officer did",
            words.share(o.changed_practice, practice_said),
            f"of the {words.count(practice_said)} who said" if practice_said else "",
        ),
    ]


def outcome_rows(figures: Figures, words: Words) -> list[Row]:
    """What the consults' advice covered, each as a share of the consults resolved."""
    o = figures.outcomes
    whole = o.resolved
    return [
        Row("Consults resolved", words.count(whole)),
        Row("With the advice recorded", words.part(o.recorded, whole)),
        Row("Stalking offence advised (s2A or s4A)", words.part(o.stalking_offence, whole)),
        Row(
            "Harassment only advised (s2 or s4)",
            words.part(o.harassment_only, whole),
            "no stalking offence advised",
        ),
        Row(
            "Stalking Protection Order applied for or recommended",
            words.part(o.spo_applied_or_recommended, whole),
        ),
        Row("Arrest advised", words.part(o.arrest_advised, whole)),
        Row("MARAC referral", words.part(o.marac, whole)),
        Row("Risk assessment done or advised", words.part(o.risk_assessment, whole)),
        *(Row(f"Referred to {where}", words.part(n, whole)) for where, n in o.referred.items()),
    ]


def cpd_rows(figures: Figures, words: Words) -> list[Row]:
    """Champions' CPD against the yearly requirement; where exactly one state is small, the
    next smallest is hidden with it, so the four cannot be worked back from the total."""
    c = figures.cpd
    states = [
        ("Meeting the requirement, not due soon", c.met),
        ("Meeting it, due within the reminder period", c.due_soon),
        ("Behind on CPD", c.behind),
        ("No CPD recorded", c.none_recorded),
    ]
    hide = words.d.hidden([n for _, n in states])
    return [
        Row("Champions", words.count(c.champions)),
        Row(
            "Meeting the CPD requirement",
            words.part(c.compliant, c.champions),
            f"{c.required_hours:g} hours in the last twelve months",
        ),
        *(
            Row(label, words.of_set(n, True) if i in hide else words.part(n, c.champions))
            for i, (label, n) in enumerate(states)
        ),
    ]


def month_header() -> list[str]:
    return [
        "Month",
        "Questions",
        "Answered from the knowledge base",
        "Cases routed",
        "Median time to a champion",
        "SLA met",
        "Officers helped",
    ]


def month_row(month: Month, words: Words) -> list[str]:
    q, r = month.figures.questions, month.figures.requests
    return [
        month_label(month.start),
        words.count(q.total),
        words.part(q.answered, q.total),
        words.count(r.total),
        words.median(r.claim_seconds, r.median_claim()),
        words.share(r.total - r.sla_breaches, r.total),
        words.part(month.officers_helped, month.officers_asked),
    ]


def gap_rows(gaps: list[Gap], words: Words) -> tuple[list[list[str]], int]:
    """The topics asked most that the knowledge base does not cover, as (rows, how many
    topics were left out because each was asked about too few times to show)."""
    shown = [g for g in gaps if words.d.count(g.total) and g.total > 0]
    rows = []
    for gap in shown:
        hide = words.d.hidden([gap.not_covered, gap.not_helpful])
        parts = [
            words.of_set(n, i in hide) for i, n in enumerate((gap.not_covered, gap.not_helpful))
        ]
        rows.append([gap.topic, *parts, words.count(gap.total)])
    return rows, len(gaps) - len(shown)


def generated_words(report: ImpactReport) -> str:
    return plain_time(report.generated_at, report.zone)
