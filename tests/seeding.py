"""Seeding for the tests: requests claimed and resolved by their champion, CPD logged by the
champion, each call made with the caller a unit of work would resolve for that person (their
roster entry)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.domain.cpd import ActivityForm
from bot.domain.outcomes import OutcomePicks
from bot.models import CpdActivity, Member, Request
from bot.services import cpd, requests, roster


def member(session: Session, user_id: str) -> Member | None:
    """The caller a unit resolves for `user_id`: their roster entry (None: not on it)."""
    return roster.get(session=session, slack_user_id=user_id)


def claim(
    session: Session,
    settings: Settings,
    request_id: int,
    champion_id: str,
    *,
    now: datetime | None = None,
    offer_id: int | None = None,
) -> Request:
    """`requests.claim` (or, with `offer_id`, accept that offer) as `champion_id` themselves."""
    return requests.claim(
        session=session,
        settings=settings,
        request_id=request_id,
        champion_id=champion_id,
        caller=member(session, champion_id),
        offer_id=offer_id,
        now=now,
    )


def resolve(
    session: Session,
    settings: Settings,
    request_id: int,
    champion_id: str,
    *,
    outcome: str = "advised",
    now: datetime | None = None,
    picks: OutcomePicks | None = None,
) -> Request:
    """`requests.resolve` as `champion_id` themselves."""
    return requests.resolve(
        session=session,
        settings=settings,
        request_id=request_id,
        user_id=champion_id,
        caller=member(session, champion_id),
        outcome=outcome,
        now=now,
        picks=picks,
    )


def claim_and_resolve(
    session: Session,
    settings: Settings,
    request_id: int,
    champion_id: str,
    *,
    outcome: str = "advised",
    claimed_at: datetime | None = None,
    resolved_at: datetime | None = None,
    picks: OutcomePicks | None = None,
) -> Request:
    """A consult taken and closed by one champion: claimed at `claimed_at`, resolved with
    `outcome` (and `picks`) at `resolved_at`."""
    claim(session, settings, request_id, champion_id, now=claimed_at)
    return resolve(
        session, settings, request_id, champion_id, outcome=outcome, now=resolved_at, picks=picks
    )


def log_cpd(
    session: Session,
    user_id: str,
    form: ActivityForm,
    *,
    key: str | None,
    now: datetime | None = None,
) -> CpdActivity | None:
    """`cpd.log` as the champion `user_id` themselves."""
    return cpd.log(
        session=session,
        user_id=user_id,
        caller=member(session, user_id),
        form=form,
        key=key,
        now=now,
    )
