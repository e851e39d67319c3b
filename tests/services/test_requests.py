"""Request rules on SQLite and PostgreSQL, and the races that only PostgreSQL can prove."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.db import Database
from bot.domain import errors, question_text
from bot.models import (
    AuditEvent,
    Offer,
    OfferStatus,
    OutboxMessage,
    Request,
    RequestStatus,
    Role,
    utcnow,
)
from bot.services import (
    NotAllowed,
    ServiceError,
    availability,
    requests,
    roster,
    sweeps,
)
from tests import seeding
from tests.conftest import SERVICE_SETTINGS as SETTINGS

CHAMPS = [f"UCHAMP{i}" for i in range(1, 9)]


def seed(db: Database, champions: list[str] = CHAMPS[:3], **kw: object) -> None:
    with db.session() as s:
        for uid in champions:
            roster.add(session=s, slack_user_id=uid, role=Role.CHAMPION, **kw)  # type: ignore[arg-type]
        roster.add(session=s, slack_user_id="ULEAD1", role=Role.LEAD)


def new_request(db: Database, asker: str = "UOFFICER1", **kw: object) -> tuple[int, str | None]:
    with db.session() as s:
        req, routed = requests.create(
            session=s,
            settings=SETTINGS,
            asker_id=asker,
            text="he keeps turning up at her work",
            **kw,
        )  # type: ignore[arg-type]
        return req.id, routed.offered_to


def test_routing_prefers_a_match_then_least_loaded_then_longest_waiting(db: Database) -> None:
    seed(db, ["UCHAMP1", "UCHAMP2"])
    seed(db, ["UCHAMP3"], area="North")
    _, first = new_request(db, area="North")
    assert first == "UCHAMP3"  # the area match
    _, second = new_request(db)
    assert second == "UCHAMP1"  # least loaded; never offered
    _, third = new_request(db)
    assert third == "UCHAMP2"


def test_never_the_asker_nor_someone_away_off_or_full(db: Database) -> None:
    seed(db, CHAMPS[:4])
    now = utcnow()
    with db.session() as s:
        availability.set_on(
            session=s, user_id="UCHAMP2", caller=seeding.member(s, "UCHAMP2"), on=False, now=now
        )
        availability.set_away(
            session=s,
            settings=SETTINGS,
            user_id="UCHAMP3",
            caller=seeding.member(s, "UCHAMP3"),
            until=now + timedelta(hours=2),
            now=now,
        )
        roster.get(session=s, slack_user_id="UCHAMP4").max_active = 0  # type: ignore[union-attr]
    _, offered = new_request(db, asker="UCHAMP1")
    assert offered is None
    with db.session() as s:
        (req,) = s.scalars(select(Request))
        assert req.unavailable_told_at is not None
        to_lead = [r for r in s.scalars(select(OutboxMessage)) if '"channel":"ULEAD1"' in r.payload]
        assert len(to_lead) == 1


def test_pass_moves_on_and_nobody_is_offered_twice_in_a_round(db: Database) -> None:
    seed(db, CHAMPS[:2])
    _, first = new_request(db)
    with db.session() as s:
        offer = s.scalar(select(Offer).where(Offer.champion_id == first))
        assert offer is not None
        routed = requests.pass_offer(
            session=s,
            settings=SETTINGS,
            offer_id=offer.id,
            champion_id=str(first),
            caller=seeding.member(s, str(first)),
        )
    assert routed.offered_to not in (None, first)
    with db.session() as s:
        second = s.scalar(select(Offer).where(Offer.status == OfferStatus.PENDING))
        assert second is not None
        assert (
            requests.pass_offer(
                session=s,
                settings=SETTINGS,
                offer_id=second.id,
                champion_id=second.champion_id,
                caller=seeding.member(s, second.champion_id),
            ).offered_to
            is None
        )
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Offer)) == 2
        with pytest.raises(ServiceError, match="no longer open"):
            requests.pass_offer(
                session=s,
                settings=SETTINGS,
                offer_id=second.id,
                champion_id=second.champion_id,
                caller=seeding.member(s, second.champion_id),
            )


def test_claim_resolve_and_the_roles_that_may(db: Database) -> None:
    seed(db)
    rid, _ = new_request(db)
    with db.session() as s, pytest.raises(NotAllowed, match="Only champions or leads"):
        seeding.claim(s, SETTINGS, rid, "UOFFICER9")
    with db.session() as s:
        seeding.claim(s, SETTINGS, rid, "UCHAMP2")
    with db.session() as s, pytest.raises(requests.AlreadyTaken, match="<@UCHAMP2>"):
        seeding.claim(s, SETTINGS, rid, "UCHAMP3")
    with db.session() as s, pytest.raises(NotAllowed):
        seeding.resolve(s, SETTINGS, rid, "UCHAMP3", outcome="x")
    with db.session() as s, pytest.raises(ServiceError, match="short outcome"):
        seeding.resolve(s, SETTINGS, rid, "UCHAMP2", outcome="  ")
    with db.session() as s:
        req = seeding.resolve(s, SETTINGS, rid, "UCHAMP2", outcome="advised s2A and an SPO")
        assert req.status is RequestStatus.RESOLVED
    with db.session() as s:
        offers = list(s.scalars(select(Offer)))
        assert all(o.status is not OfferStatus.PENDING for o in offers)
        actions = list(s.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
        assert (
            actions[-3:] == ["request.offer", "request.claim", "request.resolve"][-3:]
            or "request.resolve" in actions
        )


def test_release_reroutes_elsewhere_and_reassign_and_cancel(db: Database) -> None:
    seed(db)
    rid, _ = new_request(db)
    with db.session() as s:
        seeding.claim(s, SETTINGS, rid, "UCHAMP1")
    with db.session() as s:
        requests.release(
            session=s,
            settings=SETTINGS,
            request_id=rid,
            user_id="UCHAMP1",
            caller=seeding.member(s, "UCHAMP1"),
        )
    with db.session() as s:
        pending = requests.pending_offer_for(session=s, request_id=rid)
        assert pending is not None and pending.champion_id != "UCHAMP1"
        seeding.claim(s, SETTINGS, rid, pending.champion_id, offer_id=pending.id)
    with db.session() as s:
        req = requests.reassign(
            session=s,
            settings=SETTINGS,
            request_id=rid,
            user_id=str(requests.get(session=s, request_id=rid).champion_id),
            caller=roster.get(
                session=s, slack_user_id=str(requests.get(session=s, request_id=rid).champion_id)
            ),
            to_champion="UCHAMP1",
        )
        assert req.champion_id == "UCHAMP1" and req.claims == 3
    with db.session() as s, pytest.raises(NotAllowed, match="Only the officer who asked"):
        requests.cancel(
            session=s,
            settings=SETTINGS,
            request_id=rid,
            user_id="UCHAMP2",
            caller=seeding.member(s, "UCHAMP2"),
        )
    with db.session() as s:
        requests.cancel(
            session=s,
            settings=SETTINGS,
            request_id=rid,
            user_id="UOFFICER1",
            caller=seeding.member(s, "UOFFICER1"),
        )
    with db.session() as s, pytest.raises(ServiceError, match="already cancelled"):
        requests.cancel(
            session=s,
            settings=SETTINGS,
            request_id=rid,
            user_id="ULEAD1",
            caller=seeding.member(s, "ULEAD1"),
        )


def test_sweeps_expire_warn_escalate_and_end_away(db: Database) -> None:
    seed(db, CHAMPS[:2])
    rid, first = new_request(db)
    later = utcnow() + timedelta(seconds=601)
    with db.session() as s:
        due = sweeps.due_offers(session=s, now=later)
    assert len(due) == 1
    with db.session() as s:
        assert sweeps.act_offer_expired(session=s, settings=SETTINGS, offer_id=due[0], now=later)
    with db.session() as s:
        assert not sweeps.act_offer_expired(
            session=s, settings=SETTINGS, offer_id=due[0], now=later
        )
        assert requests.pending_offer_for(session=s, request_id=rid).champion_id != first  # type: ignore[union-attr]
    warn_at = utcnow() + timedelta(seconds=1400)
    with db.session() as s:
        assert sweeps.due_warnings(session=s, now=warn_at) == [rid]
        assert sweeps.act_warning(session=s, settings=SETTINGS, request_id=rid, now=warn_at)
    breach = utcnow() + timedelta(seconds=1801)
    with db.session() as s:
        assert sweeps.due_escalations(session=s, now=breach) == [rid]
        assert sweeps.act_escalation(session=s, settings=SETTINGS, request_id=rid, now=breach)
    with db.session() as s:
        assert sweeps.due_escalations(session=s, now=breach) == []
        availability.set_away(
            session=s,
            settings=SETTINGS,
            user_id="UCHAMP1",
            caller=seeding.member(s, "UCHAMP1"),
            until=breach,
            now=utcnow(),
        )
    with db.session() as s:
        (member_id,) = sweeps.due_returns(session=s, now=breach)
        assert sweeps.act_return(session=s, member_id=member_id, now=breach)
        assert roster.get(session=s, slack_user_id="UCHAMP1").away_until is None  # type: ignore[union-attr]


def test_parse_until() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)  # a Saturday
    parse = availability.parse_until
    assert parse("2026-12-01", now=now) == datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    assert parse("until 17:00", now=now) == datetime(2026, 11, 28, 17, 0, tzinfo=UTC)
    assert parse("09:00", now=now) == datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
    assert parse("monday", now=now) == datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
    assert parse("3h", now=now) == now + timedelta(hours=3)
    assert parse("2026-07-01 08:00", now=now) == datetime(2026, 7, 1, 7, 0, tzinfo=UTC)  # BST
    for bad in ("soon", "2026-02-30", "25:00", "until", "for the weekend"):
        with pytest.raises(ServiceError, match="until friday 17:00"):
            parse(bad, now=now)


def test_parse_until_natural_times_in_the_champions_zone() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)  # a Saturday, 05:00 in New York
    parse = availability.parse_until
    ny = "America/New_York"  # UTC-5 in winter
    assert parse("until friday 17:00", now=now, tz=ny) == datetime(2026, 12, 4, 22, 0, tzinfo=UTC)
    assert parse("until friday 17:00", now=now) == datetime(2026, 12, 4, 17, 0, tzinfo=UTC)
    assert parse("until 3pm", now=now, tz=ny) == datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
    # 3pm has passed in London (it is 16:00 there): tomorrow's
    late = datetime(2026, 11, 28, 16, 0, tzinfo=UTC)
    assert parse("until 3pm", now=late) == datetime(2026, 11, 29, 15, 0, tzinfo=UTC)
    # a day alone means the start of that day where the champion is
    assert parse("until tomorrow", now=now, tz=ny) == datetime(2026, 11, 29, 5, 0, tzinfo=UTC)
    assert parse("until friday", now=now, tz=ny) == datetime(2026, 12, 4, 5, 0, tzinfo=UTC)
    assert parse("for 2 days", now=now, tz=ny) == now + timedelta(days=2)
    assert parse("for 3h", now=now) == now + timedelta(hours=3)
    assert parse("for 90 minutes", now=now) == now + timedelta(minutes=90)
    assert parse("until 01/02", now=now) == datetime(2027, 2, 1, 0, 0, tzinfo=UTC)  # day first
    # an unknown zone from Slack falls back to London rather than failing
    assert parse("until 17:00", now=now, tz="Mars/Olympus") == datetime(
        2026, 11, 28, 17, 0, tzinfo=UTC
    )


def test_away_in_the_past_is_refused_with_examples(db: Database) -> None:
    seed(db, ["UCHAMP1"])
    now = utcnow()
    with db.session() as s, pytest.raises(ServiceError, match=r"already passed.*for 3h"):
        availability.set_away(
            session=s,
            settings=SETTINGS,
            user_id="UCHAMP1",
            caller=seeding.member(s, "UCHAMP1"),
            until=now - timedelta(hours=1),
            now=now,
        )


def test_fifty_requests_eight_champions_claim_at_once_exactly_one_wins(pg: Database) -> None:
    seed(pg, CHAMPS)
    ids = [new_request(pg)[0] for _ in range(50)]
    for rid in ids:
        barrier = threading.Barrier(len(CHAMPS))
        winners: list[str] = []
        losers: list[str] = []

        def click(
            champion: str,
            rid: int = rid,
            barrier: threading.Barrier = barrier,
            winners: list[str] = winners,
            losers: list[str] = losers,
        ) -> None:
            barrier.wait()
            try:
                with pg.session() as s:
                    seeding.claim(s, SETTINGS, rid, champion)
                winners.append(champion)
            except requests.AlreadyTaken as taken:
                losers.append(str(taken))

        threads = [threading.Thread(target=click, args=(c,)) for c in CHAMPS]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(winners) == 1, (rid, winners)
        assert len(losers) == len(CHAMPS) - 1
        assert all(f"<@{winners[0]}>" in msg for msg in losers)
        with pg.session() as s:
            req = requests.get(session=s, request_id=rid)
            assert req.status is RequestStatus.CLAIMED and req.champion_id == winners[0]
            assert req.claims == 1


def test_two_clocks_sweeping_at_once_move_every_due_offer_exactly_once(pg: Database) -> None:
    seed(pg, CHAMPS)
    ids = [new_request(pg)[0] for _ in range(20)]
    later = utcnow() + timedelta(seconds=601)
    acted: list[int] = []
    barrier = threading.Barrier(2)

    def clock() -> None:
        with pg.session() as s:
            due = sweeps.due_offers(session=s, now=later)
        barrier.wait()
        for offer_id in due:
            with pg.session() as s:
                if sweeps.act_offer_expired(
                    session=s, settings=SETTINGS, offer_id=offer_id, now=later
                ):
                    acted.append(offer_id)

    threads = [threading.Thread(target=clock) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(acted) == len(ids) == len(set(acted))
    with pg.session() as s:
        for rid in ids:
            offers = list(s.scalars(select(Offer).where(Offer.request_id == rid)))
            assert sorted(o.status.value for o in offers) == ["expired", "pending"]


def test_waiting_requests_are_offered_when_a_champion_comes_free_by_either_path(
    db: Database,
) -> None:
    seed(db, [])  # only a lead: nobody to offer to
    first, offered = new_request(db)
    second, _ = new_request(db, asker="UOFFICER2")
    assert offered is None
    with db.session() as s:
        assert requests.route_waiting(session=s, settings=SETTINGS) == 0
    seed(db, ["UCHAMP1"])
    # The clock's path (sweeps) and a champion's coming on duty (route_waiting) are one routine.
    assert sweeps.unrouted is requests.unrouted and sweeps.act_reroute is requests.reroute
    with db.session() as s:
        assert sweeps.unrouted(session=s) == [first, second]
        assert requests.route_waiting(session=s, settings=SETTINGS, now=utcnow()) == 2
    with db.session() as s:
        assert sweeps.unrouted(session=s) == []
        for rid in (first, second):
            offer = requests.pending_offer_for(session=s, request_id=rid)
            assert offer is not None and offer.champion_id == "UCHAMP1"
        # Routed again, nothing new: an offer is already waiting on each.
        assert requests.route_waiting(session=s, settings=SETTINGS) == 0
        assert not sweeps.act_reroute(session=s, settings=SETTINGS, request_id=first, now=utcnow())


def test_refusals_carry_what_happened(db: Database) -> None:
    seed(db)
    rid, _ = new_request(db)
    with db.session() as s:
        seeding.claim(s, SETTINGS, rid, "UCHAMP1")
    with db.session() as s, pytest.raises(requests.AlreadyTaken) as late:
        seeding.claim(s, SETTINGS, rid, "UCHAMP2")
    assert (late.value.request_id, late.value.holder, late.value.by_caller) == (
        rid,
        "UCHAMP1",
        False,
    )
    assert "<@" not in late.value.plain()
    with db.session() as s, pytest.raises(errors.AlreadyHolds) as same:
        requests.reassign(
            session=s,
            settings=SETTINGS,
            request_id=rid,
            user_id="UCHAMP1",
            caller=seeding.member(s, "UCHAMP1"),
            to_champion="UCHAMP1",
        )
    assert (same.value.user_id, same.value.request_id) == ("UCHAMP1", rid)
    with db.session() as s, pytest.raises(errors.NoSuchRequest) as missing:
        requests.get(session=s, request_id=999)
    assert missing.value.request_id == 999


def test_a_request_is_checked_like_a_question_and_detail_by_one_rule(db: Database) -> None:
    seed(db)
    for text in ("", "   \u200b  ", "x" * 3001):
        with db.session() as s, pytest.raises(ServiceError) as as_request:
            requests.create(session=s, settings=SETTINGS, asker_id="UOFFICER1", text=text)
        with pytest.raises(ServiceError) as as_question:
            question_text.validate_question(text, subject=SETTINGS.subject)
        assert str(as_request.value) == str(as_question.value)
    rid, _ = new_request(db)
    # The button's check and the submission refuse alike: someone else's request...
    for check in (requests.check_may_add_detail, _add_detail):
        with db.session() as s, pytest.raises(errors.NotAsker):
            check(session=s, request_id=rid, user_id="UCHAMP1")
    with db.session() as s:
        requests.cancel(
            session=s,
            settings=SETTINGS,
            request_id=rid,
            user_id="UOFFICER1",
            caller=seeding.member(s, "UOFFICER1"),
        )
    # ...and one that is closed.
    for check in (requests.check_may_add_detail, _add_detail):
        with db.session() as s, pytest.raises(errors.ClosedToDetail) as closed:
            check(session=s, request_id=rid, user_id="UOFFICER1")
        assert closed.value.status == "cancelled"


def _add_detail(*, session: Session, request_id: int, user_id: str) -> None:
    requests.add_detail(
        session=session, settings=SETTINGS, request_id=request_id, user_id=user_id, detail="more"
    )


def test_a_claim_and_an_offer_expiring_at_once_do_not_deadlock(pg: Database) -> None:
    """A claim locks the request, then changes its offers; the clock expiring one of those
    offers at the same moment takes the request first too, so it waits its turn instead of
    holding the offer the claim needs (PostgreSQL would break that deadlock by failing one)."""
    from sqlalchemy import update

    seed(pg, CHAMPS[:2])
    rid, _ = new_request(pg)
    later = utcnow() + timedelta(seconds=601)
    with pg.session() as s:
        (offer_id,) = sweeps.due_offers(session=s, now=later)
    claim_holds, failures, expired = threading.Event(), [], []

    def claim_like() -> None:  # the claim's order: the request, then its offers
        try:
            with pg.session() as s:
                s.execute(
                    update(Request)
                    .where(Request.id == rid)
                    .values(status=RequestStatus.CLAIMED, champion_id=CHAMPS[1])
                )
                claim_holds.set()
                threading.Event().wait(1.5)  # the clock's expiry starts meanwhile
                s.execute(
                    update(Offer)
                    .where(Offer.request_id == rid, Offer.status == OfferStatus.PENDING)
                    .values(status=OfferStatus.WITHDRAWN)
                )
        except Exception as error:  # a deadlock broken by PostgreSQL
            failures.append(error)

    def expire() -> None:
        assert claim_holds.wait(10)
        try:
            with pg.session() as s:
                expired.append(
                    sweeps.act_offer_expired(
                        session=s, settings=SETTINGS, offer_id=offer_id, now=later
                    )
                )
        except Exception as error:
            failures.append(error)

    threads = [threading.Thread(target=claim_like), threading.Thread(target=expire)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert failures == []
    assert expired == [False]  # by its turn the offer was withdrawn by the claim
    with pg.session() as s:
        offer = s.get(Offer, offer_id)
        assert offer is not None and offer.status is OfferStatus.WITHDRAWN
