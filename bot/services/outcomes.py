"""Consult outcomes: the champion's picks when resolving, the officer's word on whether the
advice changed what they did, and the figures they make.

Picks are choices, never free text: they are kept for the pilot's life (the outcome's text is
purged with the rest), and each change is audited.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.errors import NoSuchRequest, NotAsker, WrongStatus
from bot.domain.figures import OutcomeFigures
from bot.domain.outcomes import (
    HARASSMENT_OFFENCES,
    STALKING_OFFENCES,
    ArrestAdvised,
    OffenceAdvised,
    OutcomePicks,
    Referral,
    RiskStep,
    SpoAdvice,
)
from bot.models import ConsultOutcome, Request, RequestStatus, utcnow
from bot.services.audit import record as audit

__all__ = ["OutcomePicks", "figures", "picks_of", "record", "record_changed"]


def _row(session: Session, request_id: int) -> ConsultOutcome:
    row = session.get(ConsultOutcome, request_id, with_for_update=True)
    if row is None:
        row = ConsultOutcome(request_id=request_id)
        session.add(row)
    return row


def record(
    *, session: Session, req: Request, picks: OutcomePicks, by: str, now: datetime | None = None
) -> ConsultOutcome:
    """Keep the champion's picks for a consult being resolved (none picked is kept too, so the
    officer's later word has a row to go on); audited with the picks, never the text."""
    now = now or utcnow()
    row = _row(session, req.id)
    row.offence, row.arrest, row.spo = picks.offence, picks.arrest, picks.spo
    row.risk_assessment = RiskStep.ASSESSMENT in picks.risk
    row.risk_escalated = RiskStep.ESCALATED in picks.risk
    row.marac = RiskStep.MARAC in picks.risk
    row.referral_isac = Referral.ISAC in picks.referrals
    row.referral_helpline = Referral.HELPLINE in picks.referrals
    row.referral_paladin = Referral.PALADIN in picks.referrals
    row.recorded_by, row.recorded_at = by, now
    session.flush()
    audit(
        session=session,
        actor_id=by,
        action="outcome.record",
        subject_type="request",
        subject_id=req.id,
        detail=picks.summary(),
        at=now,
    )
    return row


def picks_of(row: ConsultOutcome | None) -> OutcomePicks:
    """A stored outcome as the picks it was made of."""
    if row is None:
        return OutcomePicks()
    risk = {
        step
        for step, on in (
            (RiskStep.ASSESSMENT, row.risk_assessment),
            (RiskStep.ESCALATED, row.risk_escalated),
            (RiskStep.MARAC, row.marac),
        )
        if on
    }
    referrals = {
        where
        for where, on in (
            (Referral.ISAC, row.referral_isac),
            (Referral.HELPLINE, row.referral_helpline),
            (Referral.PALADIN, row.referral_paladin),
        )
        if on
    }
    return OutcomePicks(row.offence, row.arrest, row.spo, frozenset(risk), frozenset(referrals))


def record_changed(
    *, session: Session, request_id: int, user_id: str, changed: bool, now: datetime | None = None
) -> ConsultOutcome:
    """The officer who asked says whether the advice changed what they did (their latest word
    stands); only once the consult is resolved."""
    now = now or utcnow()
    req = session.get(Request, request_id)
    if req is None:
        raise NoSuchRequest(request_id)
    if req.asker_id != user_id:
        raise NotAsker("answer this")
    if req.status is not RequestStatus.RESOLVED:
        raise WrongStatus(req.id, req.status.value, "given feedback")
    row = _row(session, req.id)
    if row.changed_practice is not changed:
        row.changed_practice, row.changed_practice_at = changed, now
        audit(
            session=session,
            actor_id=user_id,
            action="outcome.changed_practice",
            subject_type="request",
            subject_id=req.id,
            detail="yes" if changed else "no",
            at=now,
        )
    session.flush()
    return row


def _period(since: datetime | None, until: datetime | None) -> list[Any]:
    where: list[Any] = []
    if since is not None:
        where.append(Request.created_at >= since)
    if until is not None:
        where.append(Request.created_at < until)
    return where


def figures(
    *, session: Session, since: datetime | None = None, until: datetime | None = None
) -> OutcomeFigures:
    """What the consults resolved among the requests made in [since, until) advised, as counts
    of consults (the same period and whole as the request figures' `resolved`)."""
    rows = session.execute(
        select(
            ConsultOutcome.offence,
            ConsultOutcome.arrest,
            ConsultOutcome.spo,
            ConsultOutcome.risk_assessment,
            ConsultOutcome.risk_escalated,
            ConsultOutcome.marac,
            ConsultOutcome.referral_isac,
            ConsultOutcome.referral_helpline,
            ConsultOutcome.referral_paladin,
            ConsultOutcome.changed_practice,
        )
        .select_from(Request)
        .outerjoin(ConsultOutcome, ConsultOutcome.request_id == Request.id)
        .where(Request.status == RequestStatus.RESOLVED, *_period(since, until))
    ).all()
    n: dict[str, int] = dict.fromkeys(OutcomeFigures.__dataclass_fields__, 0)
    n["resolved"] = len(rows)
    for offence, arrest, spo, assess, escal, marac, isac, helpline, paladin, changed in rows:
        picked = (
            offence is not None
            or arrest is not None
            or spo is not None
            or any((assess, escal, marac, isac, helpline, paladin))
        )
        n["recorded"] += picked
        n["stalking_offence"] += offence in STALKING_OFFENCES
        n["harassment_only"] += offence in HARASSMENT_OFFENCES
        n["other_offence"] += offence is OffenceAdvised.OTHER
        n["no_offence_yet"] += offence is OffenceAdvised.NONE_YET
        n["spo_applied"] += spo is SpoAdvice.APPLIED
        n["spo_recommended"] += spo is SpoAdvice.RECOMMENDED
        n["spo_not_suitable"] += spo is SpoAdvice.NOT_SUITABLE
        n["arrest_advised"] += arrest is ArrestAdvised.YES
        n["already_arrested"] += arrest is ArrestAdvised.ALREADY
        n["risk_assessment"] += bool(assess)
        n["risk_escalated"] += bool(escal)
        n["marac"] += bool(marac)
        n["referral_isac"] += bool(isac)
        n["referral_helpline"] += bool(helpline)
        n["referral_paladin"] += bool(paladin)
        n["changed_practice"] += changed is True
        n["unchanged_practice"] += changed is False
    return OutcomeFigures(**n)
