"""A form Slack could not open: the lead is told so, in words, and asked to try again."""

from __future__ import annotations

from bot.models import Broadcast, Role
from bot.views import ids
from tests.conftest import LEAD, DispatchedApp
from tests.handlers.support import count
from tests.handlers.test_surfaces import add


def test_broadcast_tells_the_lead_when_the_form_could_not_open(bolt: DispatchedApp) -> None:
    add(bolt, LEAD, Role.LEAD)
    bolt.emu.inject("views.open", status=500, times=3)  # the client's first try and both retries
    url = bolt.emu.response_url("bc")
    assert bolt.slack.command("/broadcast", "", user=LEAD, channel="CGENERAL", response_url=url)
    bolt.settle()
    assert len(bolt.emu.find_calls("views.open", ok=False)) == 3
    assert not bolt.emu.find_calls("views.open", ok=True)
    (reply,) = bolt.emu.responses
    assert reply.body["response_type"] == "ephemeral"
    assert reply.body["text"].startswith("The form could not open")
    assert "run `/broadcast` again" in reply.body["text"]
    assert "reference" not in reply.body["text"]  # a plain answer, not "something went wrong"
    assert count(bolt, Broadcast) == 0
    # Slack answers again: the same command opens the form.
    bolt.slack.command("/broadcast", "", user=LEAD, channel="CGENERAL", response_url=url)
    bolt.settle()
    assert len(bolt.emu.find_calls("views.open", ok=True)) == 1


def test_edit_tells_the_lead_when_the_form_could_not_open(bolt: DispatchedApp) -> None:
    from bot.services import broadcasts, roster
    from bot.services.broadcasts import Form

    add(bolt, LEAD, Role.LEAD)
    with bolt.runtime.db.session() as s:
        caller = roster.get(session=s, slack_user_id=LEAD)
        draft = broadcasts.save_draft(
            session=s,
            settings=bolt.runtime.settings,
            author_id=LEAD,
            caller=caller,
            form=Form(category="national_policy", title="CPS guidance", message="Read it."),
            now=bolt.runtime.now(),
        ).draft.id
        sent = broadcasts.confirm(
            session=s,
            settings=bolt.runtime.settings,
            draft_id=draft,
            user_id=LEAD,
            caller=caller,
            now=bolt.runtime.now(),
        ).id
    bolt.emu.inject("views.open", status=500, times=3)
    bolt.slack.block_action(
        user=LEAD,
        action_id=ids.BROADCAST_EDIT,
        value=str(sent),
        response_url=bolt.emu.response_url("edit"),
    )
    bolt.settle()
    (reply,) = bolt.emu.responses
    assert reply.body["text"].startswith("The form could not open")
    assert "press the button again" in reply.body["text"]
    assert reply.body.get("replace_original") is False
