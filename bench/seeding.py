"""A year (or any period) of one force's activity, made through the services as Slack's flows
would make it: the roster, champions' CPD, officers' questions (triaged by the real knowledge
search), live cases routed, escalated past their SLA, claimed, resolved with the champion's
picks, and officers' feedback. For the impact report's tests and `bench/report.py`.

`replicate` copies a seeded force's rows many times over (new ids, new people) for the
benchmark's 43 forces, which the services would take far too long to make one by one.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from bot.config import Settings
from bot.db import Database
from bot.domain import question_text
from bot.domain.cpd import ActivityForm, ActivityKind
from bot.domain.outcomes import (
    ArrestAdvised,
    OffenceAdvised,
    OutcomePicks,
    Referral,
    RiskStep,
    SpoAdvice,
)
from bot.knowledge import KnowledgeBase
from bot.knowledge.search import Triage
from bot.models import (
    ConsultOutcome,
    CpdActivity,
    CurationItem,
    Member,
    Offer,
    Outcome,
    Question,
    Request,
    Role,
    Surface,
)
from bot.services import cpd, outcomes, questions, requests, roster, sweeps

# Questions as officers put them, by what the knowledge search makes of them (checked when a
# seed starts: a text the search no longer places as listed is left out).
TEXTS: dict[Outcome, list[str]] = {
    Outcome.ANSWERED: [
        "whats the difference between stalking and harassment",
        "max sentence for s4a",
        "who can apply for an spo",
        "what does FOUR stand for",
        "how long does a restraining order last",
        "wot counts as cyber stalking",
        "can i get a warrant to search for stalking evidence",
        "what is the national stalking helpline number",
        "what is a stalking protection order",
        "when should i refer to marac",
        "what is the s2a offence",
        "how do i record a stalking crime",
        "what is the time limit for charging s2",
        "can an spo be made on conviction",
        "what support can paladin give a victim",
        "is tracking someone with an airtag stalking",
    ],
    Outcome.LIVE_CASE: [
        "my victim says her ex keeps following her home, should i arrest him",
        "he has breached his bail conditions again and turned up at her work, what do i charge",
        "the suspect keeps sending her messages from new accounts, can i arrest now",
        "victim says her former partner sits outside her house every night, what offence is this",
        "she reported he left flowers and a note on her car after being told to stop, charge s2a?",
        "my suspect has been arrested for s4a, should we apply for an interim spo",
    ],
    Outcome.NOT_COVERED: [
        "how do drones fit into stalking law",
        "what training do champions get",
        "is using a dating app to find someone stalking",
        "how do i evidence online stalking from a vpn",
        "stalking of a police officer by a member of the public",
        "can the victim choose not to go to court",
    ],
    Outcome.OFF_TOPIC: [
        "parking permit at hq",
        "how do i book annual leave",
        "my laptop wont connect to the vpn",
        "what time does the canteen shut",
    ],
}
# Shares of the questions that are not live cases.
MIX = {Outcome.ANSWERED: 0.72, Outcome.NOT_COVERED: 0.2, Outcome.OFF_TOPIC: 0.08}
BATCH = 200  # events made in one transaction


@dataclass(frozen=True)
class Plan:
    """What to make: `questions` in all, `consults` of them live cases, over [since, until)."""

    since: datetime
    until: datetime
    questions: int = 5000
    consults: int = 1000
    champions: int = 20
    leads: int = 2
    officers: int = 400
    force: str = "F01"  # in every user id, so that forces never share a person
    seed: int = 13
    marac: int | None = None  # exactly this many MARAC referrals, when given
    feedback: float = 0.4  # the share of answers officers rate


@dataclass
class Seeded:
    """Who was made, for tests to act as."""

    champions: list[str] = field(default_factory=list)
    leads: list[str] = field(default_factory=list)
    officers: list[str] = field(default_factory=list)
    requests: int = 0
    marac: int = 0


class CachedSearch:
    """The knowledge base with each distinct question triaged once: a seed asks the same few
    questions thousands of times, and the search's answer to a text never changes."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self._triage: dict[str, Triage] = {}

    def triage(self, text: str) -> Triage:
        if text not in self._triage:
            self._triage[text] = self.kb.triage(text)
        return self._triage[text]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.kb, name)


def pools(kb: CachedSearch, subject: str) -> dict[Outcome, list[str]]:
    """TEXTS, each kept only where the search still places it as listed."""
    out: dict[Outcome, list[str]] = {}
    for outcome, texts in TEXTS.items():
        kept = [
            t for t in texts if kb.triage(question_text.clean_question(t)).kind == outcome.value
        ]
        if not kept:
            raise RuntimeError(f"no seed question is triaged {outcome.value} any more")
        out[outcome] = kept
    return out


def _moments(rng: random.Random, n: int, since: datetime, until: datetime) -> list[datetime]:
    """`n` moments spread over [since, until), in the working day mostly, oldest first."""
    span = (until - since).total_seconds() - 4 * 3600
    return sorted(since + timedelta(seconds=rng.uniform(0, span)) for _ in range(n))


def _minutes(rng: random.Random, median: float, spread: float = 0.8) -> timedelta:
    return timedelta(minutes=rng.lognormvariate(0, spread) * median)


def _picks(rng: random.Random, marac: bool) -> OutcomePicks:
    offence = rng.choices([*OffenceAdvised, None], weights=[14, 34, 5, 16, 5, 10, 6, 10], k=1)[0]
    arrest = rng.choices([*ArrestAdvised, None], weights=[40, 28, 20, 12], k=1)[0]
    spo = rng.choices([*SpoAdvice, None], weights=[9, 24, 14, 33, 20], k=1)[0]
    risk = {RiskStep.ASSESSMENT} if rng.random() < 0.6 else set()
    if rng.random() < 0.15:
        risk.add(RiskStep.ESCALATED)
    if marac:
        risk.add(RiskStep.MARAC)
    referrals = {
        where
        for where, p in ((Referral.ISAC, 0.4), (Referral.HELPLINE, 0.3), (Referral.PALADIN, 0.15))
        if rng.random() < p
    }
    return OutcomePicks(offence, arrest, spo, frozenset(risk), frozenset(referrals))


def _cpd(session: Session, rng: random.Random, champions: list[str], plan: Plan) -> None:
    """Each champion's initial course before the period, and CPD in it: most meet the yearly
    requirement, a few fall due soon, fall behind, or have nothing recorded."""
    start = plan.since.date()
    for n, uid in enumerate(champions):
        if n % 10 == 9:
            continue  # nothing recorded
        course = ActivityForm(
            "Stalking champion course",
            start - timedelta(days=rng.randint(30, 300)),
            "7",
            provider="Paladin",
            kind=ActivityKind.INITIAL,
        )
        at = datetime.combine(course.held_on, datetime.min.time(), tzinfo=UTC)
        me = roster.get(session=session, slack_user_id=uid)  # the champion logs their own
        cpd.log(session=session, user_id=uid, caller=me, form=course, key=f"seed-{uid}-0", now=at)
        sessions = 1 if n % 10 == 8 else 3
        for k in range(sessions):
            held = plan.until.date() - timedelta(days=rng.randint(20, 330))
            if n % 10 == 7 and k == 0:
                held = plan.until.date() - timedelta(days=350)  # falls out of the year soon
            form = ActivityForm("Network CPD session", held, "2", provider="Paladin")
            at = datetime.combine(held, datetime.min.time(), tzinfo=UTC) + timedelta(hours=12)
            cpd.log(
                session=session,
                user_id=uid,
                caller=me,
                form=form,
                key=f"seed-{uid}-{k + 1}",
                now=at,
            )


def seed_force(
    db: Database, kb: KnowledgeBase | CachedSearch, settings: Settings, plan: Plan
) -> Seeded:
    """Make `plan`'s activity in `db`, through the services, oldest first."""
    rng = random.Random(plan.seed)
    search = kb if isinstance(kb, CachedSearch) else CachedSearch(kb)
    texts = pools(search, settings.subject)
    made = Seeded(
        champions=[f"U{plan.force}C{n:02d}" for n in range(1, plan.champions + 1)],
        leads=[f"U{plan.force}L{n:02d}" for n in range(1, plan.leads + 1)],
        officers=[f"U{plan.force}O{n:04d}" for n in range(1, plan.officers + 1)],
    )
    with db.session() as s:
        for uid in made.champions:
            roster.add(session=s, slack_user_id=uid, role=Role.CHAMPION)
        for uid in made.leads:
            roster.add(session=s, slack_user_id=uid, role=Role.LEAD)
        _cpd(s, rng, made.champions, plan)
    kinds = list(MIX)
    plain = [
        (at, rng.choices(kinds, weights=[MIX[k] for k in kinds], k=1)[0], -1)
        for at in _moments(rng, plan.questions - plan.consults, plan.since, plan.until)
    ]
    cases = [
        (at, Outcome.LIVE_CASE, n)
        for n, at in enumerate(_moments(rng, plan.consults, plan.since, plan.until))
    ]
    marac_at = set(rng.sample(range(len(cases)), plan.marac)) if plan.marac is not None else None
    events = sorted(plain + cases, key=lambda event: event[0])
    for first in range(0, len(events), BATCH):
        with db.session() as s:
            for at, kind, case in events[first : first + BATCH]:
                _event(s, rng, search, settings, texts, made, plan, at, kind, case, marac_at)
    return made


def _event(
    s: Session,
    rng: random.Random,
    search: CachedSearch,
    settings: Settings,
    texts: dict[Outcome, list[str]],
    made: Seeded,
    plan: Plan,
    at: datetime,
    kind: Outcome,
    case: int,
    marac_at: set[int] | None,
) -> None:
    officer = rng.choice(made.officers)
    text = rng.choice(texts[kind])
    if kind is Outcome.LIVE_CASE:
        marac = case in marac_at if marac_at is not None else rng.random() < 0.08
        made.marac += _consult(s, rng, search, settings, officer, text, at, marac, plan)
        made.requests += 1
    else:
        _question(s, rng, search, settings, officer, text, at, plan)


def _question(
    s: Session,
    rng: random.Random,
    kb: CachedSearch,
    settings: Settings,
    officer: str,
    text: str,
    at: datetime,
    plan: Plan,
) -> None:
    asked = questions.ask(
        session=s,
        kb=kb,
        asker_id=officer,
        text=text,
        surface=Surface.DM,  # type: ignore[arg-type]
        subject=settings.subject,
        now=at,
    )
    if asked.outcome is Outcome.ANSWERED and asked.question_id and rng.random() < plan.feedback:
        questions.give_feedback(
            session=s,
            question_id=asked.question_id,
            user_id=officer,
            helpful=rng.random() < 0.85,
            now=at + timedelta(minutes=2),
        )


def _consult(
    s: Session,
    rng: random.Random,
    kb: CachedSearch,
    settings: Settings,
    officer: str,
    text: str,
    at: datetime,
    marac: bool,
    plan: Plan,
) -> int:
    """One live case, routed, and (unless it is too recent or withdrawn) taken by a champion,
    past its SLA now and then, and resolved with the champion's picks. 1 if it was resolved
    with a MARAC referral."""
    handled = questions.handle(
        session=s,
        settings=settings,
        kb=kb,
        asker_id=officer,
        text=text,  # type: ignore[arg-type]
        surface=Surface.DM,
        now=at,
    )
    req = handled.request
    if req is None:
        return 0
    if not marac and rng.random() < 0.03:
        requests.cancel(
            session=s,
            settings=settings,
            request_id=req.id,
            user_id=officer,
            caller=roster.get(session=s, slack_user_id=officer),
            now=at + timedelta(minutes=5),
        )
        return 0
    wait = _minutes(rng, 9)
    sla = timedelta(seconds=settings.sla_for(immediate_risk=req.immediate_risk))
    if wait > sla:
        sweeps.act_escalation(session=s, settings=settings, request_id=req.id, now=at + sla)
    offer = requests.pending_offer_for(session=s, request_id=req.id)
    champion = offer.champion_id if offer else rng.choice(roster.champions(session=s))
    claimed_at = at + wait
    member = roster.get(session=s, slack_user_id=champion)
    requests.claim(
        session=s,
        settings=settings,
        request_id=req.id,
        champion_id=champion,
        caller=member,
        offer_id=offer.id if offer else None,
        now=claimed_at,
    )
    done_at = claimed_at + _minutes(rng, 45)
    if done_at >= plan.until and not marac:
        return 0  # still with the champion when the period ends
    requests.resolve(
        session=s,
        settings=settings,
        request_id=req.id,
        user_id=champion,
        caller=member,
        outcome="Advised on the offence and next steps.",
        picks=_picks(rng, marac),
        now=done_at,
    )
    if rng.random() < 0.7:
        requests.record_helped(
            session=s, request_id=req.id, user_id=officer, helped=rng.random() < 0.88
        )
    if rng.random() < 0.5:
        outcomes.record_changed(
            session=s,
            request_id=req.id,
            user_id=officer,
            changed=rng.random() < 0.6,
            now=done_at + timedelta(hours=1),
        )
    return int(marac)


# Rows `replicate` copies, parents first, with the columns that name people.
COPIED: Sequence[tuple[type[Any], tuple[str, ...]]] = (
    (Member, ("slack_user_id",)),
    (Question, ("asker_id",)),
    (CurationItem, ()),
    (Request, ("asker_id", "champion_id")),
    (Offer, ("champion_id",)),
    (ConsultOutcome, ("recorded_by",)),
    (CpdActivity, ("user_id", "recorded_by")),
)
FOREIGN = {"question_id": Question, "request_id": Request}


def replicate(db: Database, *, force: str, copies: int) -> None:
    """Copy force `force`'s rows `copies - 1` more times, as forces F02, F03…: new ids, every
    person renamed, the same times and outcomes (a national deployment's volume, for the
    benchmark; the services made the first force)."""
    with db.session() as s:
        offsets = {m: int(s.scalar(select(func.max(m.id))) or 0) for m in (Question, Request)}
        offsets |= {
            m: int(s.scalar(select(func.max(m.id))) or 0)
            for m in (Member, CurationItem, Offer, CpdActivity)
        }
        rows = {m: [dict(r._mapping) for r in s.execute(select(m.__table__))] for m, _ in COPIED}
    for k in range(1, copies):
        name = f"F{k + 1:02d}"
        with db.session() as s:
            for model, people in COPIED:
                batch = list(_copies(rows[model], model, people, offsets, k, force, name))
                for chunk in range(0, len(batch), 5000):
                    s.execute(insert(model.__table__), batch[chunk : chunk + 5000])


def _copies(
    rows: list[dict[str, Any]],
    model: type[Any],
    people: tuple[str, ...],
    offsets: dict[type[Any], int],
    k: int,
    force: str,
    name: str,
) -> Iterator[dict[str, Any]]:
    for row in rows:
        out = dict(row)
        if "id" in out and model in offsets:
            out["id"] = row["id"] + k * offsets[model]
        for column, parent in FOREIGN.items():
            if out.get(column) is not None and model is not parent:
                out[column] = row[column] + k * offsets[parent]
        for column in people:
            if out.get(column):
                out[column] = str(out[column]).replace(force, name)
        yield out


def year_before(day: date) -> tuple[datetime, datetime]:
    """[the same day a year earlier, `day`) as midnights in UTC."""
    end = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return end.replace(year=end.year - 1), end
