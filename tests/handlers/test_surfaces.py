"""Each surface's listeners, in-process through `App.dispatch`: questions, App Home, `/champion`,
`/champbot`, requests and broadcasts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.models import AuditEvent, Member, Offer, Question, Request, RequestStatus, Role
from bot.services import requests, roster
from bot.views import ids
from tests.conftest import ADMIN, CHAMPION, LEAD, OFFICER, DispatchedApp
from tests.handlers.support import LIVE, QUESTION, button_value, click, posted


def command(app: DispatchedApp, name: str, text: str, user: str) -> dict[str, Any]:
    """Run a slash command; the one reply it gave to its response_url."""
    before = len(app.emu.responses)
    url = app.emu.response_url(name)
    assert app.slack.command(name, text, user=user, channel="CGENERAL", response_url=url).status
    app.settle()
    (reply,) = app.emu.responses[before:]
    return dict(reply.body)


def add(app: DispatchedApp, user: str, role: Role, *, on_duty: bool = True) -> None:
    with app.runtime.db.session() as s:
        roster.add(session=s, slack_user_id=user, role=role).on_duty = on_duty


def waiting_request(app: DispatchedApp) -> int:
    """A request nobody could be offered (no champion on duty)."""
    with app.runtime.db.session() as s:
        req, _ = requests.create(
            session=s, settings=app.runtime.settings, asker_id=OFFICER, text=LIVE
        )
        return req.id


def offers_for(app: DispatchedApp, request_id: int) -> list[str]:
    with app.runtime.db.session() as s:
        return list(s.scalars(select(Offer.champion_id).where(Offer.request_id == request_id)))


def test_faq_answers_ephemerally_and_never_routes(bolt: DispatchedApp) -> None:
    reply = command(bolt, "/faq", LIVE, OFFICER)
    assert reply["response_type"] == "ephemeral" and reply["blocks"]
    with bolt.runtime.db.session() as s:
        assert s.scalars(select(Request)).all() == []
        (question,) = s.scalars(select(Question))
        assert question.surface.value == "faq"


def test_a_mention_is_answered_in_its_thread(bolt: DispatchedApp) -> None:
    bolt.slack.mention(user=OFFICER, channel="CGENERAL", text=QUESTION)
    bolt.settle()
    (reply,) = posted(bolt, "CGENERAL")
    assert reply.args.get("thread_ts")


def test_feedback_is_recorded_and_the_answer_re_rendered(bolt: DispatchedApp) -> None:
    bolt.slack.dm(user=OFFICER, channel=bolt.im(OFFICER), text=QUESTION)
    bolt.settle()
    (answer,) = posted(bolt, bolt.im(OFFICER))
    value = button_value(answer, ids.FEEDBACK_HELPFUL)
    resp = bolt.slack.block_action(
        user=OFFICER,
        action_id=ids.FEEDBACK_HELPFUL,
        value=value,
        response_url=bolt.emu.response_url("feedback"),
        channel=answer.response["channel"],
        message_ts=answer.response["ts"],
    )
    assert resp.status == 200
    bolt.settle()
    (update,) = bolt.emu.find_calls("chat.update", ok=True)
    assert update.args["ts"] == answer.response["ts"]
    with bolt.runtime.db.session() as s:
        question = s.get(Question, int(value))
        assert question is not None and question.feedback is not None


def test_home_is_published_when_opened(bolt: DispatchedApp) -> None:
    bolt.slack.home_opened(user=OFFICER, channel=bolt.im(OFFICER))
    bolt.settle()
    (published,) = bolt.emu.find_calls("views.publish", ok=True)
    assert published.args["user_id"] == OFFICER


def test_going_on_duty_from_home_offers_what_was_waiting(bolt: DispatchedApp) -> None:
    add(bolt, CHAMPION, Role.CHAMPION, on_duty=False)
    request_id = waiting_request(bolt)
    assert offers_for(bolt, request_id) == []
    click(bolt, CHAMPION, ids.AVAILABILITY_ON, "on")
    assert offers_for(bolt, request_id) == [CHAMPION]
    assert bolt.emu.find_calls("views.publish", ok=True)


def test_champion_on_offers_what_was_waiting_and_off_does_not(bolt: DispatchedApp) -> None:
    add(bolt, CHAMPION, Role.CHAMPION, on_duty=False)
    add(bolt, "UCHAMP2", Role.CHAMPION, on_duty=False)
    request_id = waiting_request(bolt)
    with bolt.runtime.db.session() as s:  # free now, but nobody has looked at the queue since
        member = s.scalar(select(Member).where(Member.slack_user_id == "UCHAMP2"))
        assert member is not None
        member.on_duty = True
    assert "off duty" in command(bolt, "/champion", "off", CHAMPION)["text"]
    assert offers_for(bolt, request_id) == []  # going off duty routes nothing
    assert "on duty" in command(bolt, "/champion", "on", CHAMPION)["text"]
    assert len(offers_for(bolt, request_id)) == 1
    assert "Area: North" in command(bolt, "/champion", "area North", CHAMPION)["text"]


def test_unanswered_is_for_leads_and_each_viewing_is_audited(bolt: DispatchedApp) -> None:
    add(bolt, LEAD, Role.LEAD)
    assert command(bolt, "/champbot", "unanswered", OFFICER)["text"].startswith("Only admins")
    command(bolt, "/champbot", "unanswered", LEAD)
    with bolt.runtime.db.session() as s:
        actions = list(
            s.scalars(select(AuditEvent.actor_id).where(AuditEvent.action == "curation.view"))
        )
    assert actions == [LEAD]


def test_only_admins_change_the_roster(bolt: DispatchedApp) -> None:
    add(bolt, LEAD, Role.LEAD)
    add(bolt, ADMIN, Role.ADMIN)
    refused = command(bolt, "/champbot", f"roster add <@{OFFICER}> champion", LEAD)["text"]
    assert refused.startswith("Only admins can change the roster")
    done = command(bolt, "/champbot", f"roster add <@{OFFICER}> champion North", ADMIN)["text"]
    assert "is now a champion" in done
    assert (
        "role must be" in command(bolt, "/champbot", f"roster add {OFFICER} chief", ADMIN)["text"]
    )
    with bolt.runtime.db.session() as s:
        member = s.scalar(select(Member).where(Member.slack_user_id == OFFICER))
        assert member is not None and member.role is Role.CHAMPION and member.area == "North"


def test_claim_from_the_queue(bolt: DispatchedApp) -> None:
    add(bolt, CHAMPION, Role.CHAMPION, on_duty=False)
    request_id = waiting_request(bolt)
    click(bolt, CHAMPION, ids.CLAIM, str(request_id))
    with bolt.runtime.db.session() as s:
        req = s.get(Request, request_id)
        assert req is not None and req.status is RequestStatus.CLAIMED
        assert req.champion_id == CHAMPION


def test_the_message_shortcut_opens_a_request(bolt: DispatchedApp) -> None:
    url = bolt.emu.response_url("shortcut")
    bolt.slack.message_shortcut(
        user=OFFICER,
        callback_id=ids.SHORTCUT_ASK,
        channel="CGENERAL",
        message_text=LIVE,
        response_url=url,
    )
    bolt.settle()
    (reply,) = bolt.emu.responses
    assert "as request #1" in reply.body["text"]


def test_broadcast_is_for_leads_who_get_the_form(bolt: DispatchedApp) -> None:
    add(bolt, LEAD, Role.LEAD)
    assert "Only the network's leads" in command(bolt, "/broadcast", "", OFFICER)["text"]
    url = bolt.emu.response_url("bc")
    bolt.slack.command("/broadcast", "", user=LEAD, channel="CGENERAL", response_url=url)
    bolt.settle()
    (opened,) = bolt.emu.find_calls("views.open", ok=True)
    assert opened.args["view"]
