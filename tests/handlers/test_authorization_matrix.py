"""The role × action matrix: every privileged action, tried by every role that must not do it,
through every route a Slack client can use (slash commands, buttons in messages and on App Home
with guessed ids, forged modal submissions with forged private metadata), correctly signed and
dispatched in-process. Each must be refused in plain words, with nothing changed: no row of any
table, no message posted or updated, no view published.

The matrix is generated from `bot.services.policy`: every `Act` in `policy.MAY` needs its
routes here, and is tried by each role outside `MAY[act]`; every `Rule` in `policy.ONLY` needs
its own tries, by a role the act allows. A new act or rule fails `test_every_act_and_rule_is_
covered` until it is added.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from bot.domain import cpd as cpd_fields
from bot.models import Base, Member, Offer, Question, Role, Surface
from bot.services import broadcasts, policy, questions, requests, roster
from bot.services.broadcasts import Form
from bot.slack_requests import SlackResponse
from bot.views import broadcasts as bviews
from bot.views import cpd as cviews
from bot.views import ids
from bot.views import requests as rviews
from tests.conftest import ADMIN, CHAMPION, LEAD, OFFICER, OTHER_OFFICER, DispatchedApp

HOLDER, AUTHOR, NOBODY = "UCHAMP2", "ULEAD2", "UNEW1"
# Who plays each role (None: not on the roster; Slack's signed user id is all the bot has).
PLAYERS: dict[str, tuple[str, Role | None]] = {
    "officer": (OFFICER, Role.OFFICER),
    "champion": (CHAMPION, Role.CHAMPION),
    "lead": (LEAD, Role.LEAD),
    "admin": (ADMIN, Role.ADMIN),
    "not on the roster": (NOBODY, None),
}
# Tables that record a request's arrival rather than a change: the inbox keeps every request
# whose work runs after its ack (its body cleared once done), refused or not.
RECEIPTS: frozenset[str] = frozenset({"inbox"})
# What a refusal says: every policy refusal names who may ("Only …"), or says it is their own.
REFUSED = re.compile(
    r"\bOnly (the|champions|admins|leads|officers|a national lead)\b|You asked request #\d+"
)
WRITES = frozenset(
    {
        "chat.postMessage",
        "chat.postEphemeral",
        "chat.update",
        "chat.delete",
        "views.publish",
        "views.update",
        "views.push",
        "conversations.open",
        "conversations.invite",
    }
)


@dataclass(frozen=True)
class World:
    """What the forged requests aim at, made by the services before anyone tries anything."""

    offered: int  # asked by OTHER_OFFICER, offered to HOLDER
    offer: int
    held: int  # asked by OTHER_OFFICER, claimed by HOLDER
    champion_own: int  # asked by CHAMPION
    lead_own: int  # asked by LEAD
    scheduled: int  # AUTHOR's, asking for acknowledgements, due tomorrow
    sent: int  # AUTHOR's, asking for acknowledgements, out
    draft: int  # AUTHOR's preview, not yet confirmed
    edit_draft: int  # AUTHOR's edit of `scheduled`, not yet confirmed


def build(app: DispatchedApp) -> World:
    settings, now = app.runtime.settings, app.runtime.now()
    with app.runtime.db.session() as s:
        for user, role in [*PLAYERS.values(), (HOLDER, Role.CHAMPION), (AUTHOR, Role.LEAD)]:
            if role is not None:
                roster.add(session=s, slack_user_id=user, role=role)
        member = roster.get(session=s, slack_user_id=CHAMPION)
        assert member is not None
        member.on_duty = False  # so that only HOLDER is offered anything
    with app.runtime.db.session() as s:

        def ask(user: str) -> int:
            return requests.create(
                session=s, settings=settings, asker_id=user, text="he follows her"
            )[0].id

        held = ask(OTHER_OFFICER)
        requests.claim(
            session=s,
            settings=settings,
            request_id=held,
            champion_id=HOLDER,
            caller=roster.get(session=s, slack_user_id=HOLDER),
        )
        offered, champion_own, lead_own = ask(OTHER_OFFICER), ask(CHAMPION), ask(LEAD)
        offer = s.scalar(select(Offer.id).where(Offer.request_id == offered))
        assert offer is not None
        questions.ask(
            session=s,
            kb=app.runtime.kb,
            asker_id=OTHER_OFFICER,
            text="does a stalking conviction affect the suspect's firearms certificate",
            surface=Surface.DM,
            subject=settings.subject,
        )
    author = {"author_id": AUTHOR, "now": now, "settings": settings}

    def draft(edit_of: int | None = None, **form: Any) -> int:
        with app.runtime.db.session() as s:
            values = {
                "category": "national_policy",
                "title": "CPS guidance",
                "message": "Read it before charging.",
                "links": "",
                "ask_ack": True,
                "time_zone": "Europe/London",
                **form,
            }
            preview = broadcasts.save_draft(
                session=s,
                caller=roster.get(session=s, slack_user_id=AUTHOR),
                form=Form(**values),
                edit_of=edit_of,
                **author,
            )
            return preview.draft.id

    def confirmed(draft_id: int) -> int:
        with app.runtime.db.session() as s:
            return broadcasts.confirm(
                session=s,
                settings=settings,
                draft_id=draft_id,
                user_id=AUTHOR,
                caller=roster.get(session=s, slack_user_id=AUTHOR),
                now=now,
            ).id

    scheduled = confirmed(draft(send_at=now + timedelta(days=1)))
    sent = confirmed(draft())
    return World(
        offered=offered,
        offer=offer,
        held=held,
        champion_own=champion_own,
        lead_own=lead_own,
        scheduled=scheduled,
        sent=sent,
        draft=draft(title="Not yet sent"),
        edit_draft=draft(edit_of=scheduled, title="Moved", send_at=now + timedelta(days=2)),
    )


# The routes a Slack client can use ------------------------------------------------------------

Send = Callable[[DispatchedApp, str, World], SlackResponse]
HOME = {"type": "home", "id": "VHOME"}


def command(name: str, text: str | Callable[[World], str] = "") -> Send:
    def send(app: DispatchedApp, user: str, w: World) -> SlackResponse:
        typed = text(w) if callable(text) else text
        url = app.emu.response_url(name)
        return app.slack.command(name, typed, user=user, channel="CGENERAL", response_url=url)

    return send


def button(action_id: str, value: Callable[[World], object], *, home: bool = False) -> Send:
    """A button in a message (with a response URL) or on App Home (none: Slack sends none)."""

    def send(app: DispatchedApp, user: str, w: World) -> SlackResponse:
        return app.slack.block_action(
            user=user,
            action_id=action_id,
            value=str(value(w)),
            response_url="" if home else app.emu.response_url(action_id),
            channel=None if home else app.im(user),
            message_ts=None if home else "1.000001",
            view=HOME if home else None,
        )

    return send


def form(
    view: Callable[[World], dict[str, Any]],
    values: dict[str, dict[str, Any]] | None = None,
    metadata: Callable[[World], dict[str, Any]] | None = None,
) -> Send:
    """A modal submitted as the bot would have opened it, or with forged private metadata."""

    def send(app: DispatchedApp, user: str, w: World) -> SlackResponse:
        shown = dict(view(w))
        if metadata is not None:
            shown["private_metadata"] = json.dumps(metadata(w))
        state = {block: {"value": v} for block, v in (values or {}).items()}
        return app.slack.view_submission(user=user, view=shown, values=state)

    return send


BROADCAST_FIELDS = {
    bviews.CATEGORY: {"selected_option": {"value": "national_policy"}},
    bviews.TITLE: {"value": "Forged"},
    bviews.MESSAGE: {"value": "Posted by someone who may not."},
}
PREVIEW = {"type": "modal", "callback_id": ids.BROADCAST_PREVIEW}
TRAINED_ON = date(2026, 6, 1)
CPD_FIELDS = {
    cpd_fields.TITLE: {"value": "Stalking risk refresher"},
    cpd_fields.HELD_ON: {"selected_date": TRAINED_ON.isoformat()},
    cpd_fields.HOURS: {"value": "2"},
}


def preview(draft: Callable[[World], int]) -> Send:
    """*Send* on a preview, its draft id guessed; the metadata also claims the author sent it."""
    return form(lambda w: PREVIEW, metadata=lambda w: {"draft": draft(w), "author": AUTHOR})


# Each act's routes, and each rule's tries ------------------------------------------------------

ROUTES: dict[policy.Act, dict[str, Send]] = {
    policy.Act.TAKE_REQUESTS: {
        "Claim in the queue": button(ids.CLAIM, lambda w: w.offered),
        "Claim on App Home": button(ids.CLAIM, lambda w: w.offered, home=True),
        "Accept, another's offer id": button(ids.ACCEPT, lambda w: f"{w.offered}:{w.offer}"),
        "Pass, another's offer id": button(ids.PASS, lambda w: f"{w.offered}:{w.offer}"),
    },
    policy.Act.HANDLE_ANY_REQUEST: {
        "Resolve": button(ids.RESOLVE, lambda w: w.held),
        "Release": button(ids.RELEASE, lambda w: w.held),
        "Release on App Home": button(ids.RELEASE, lambda w: w.held, home=True),
        "Reassign": button(ids.REASSIGN, lambda w: w.held),
        "Resolve on App Home": button(ids.RESOLVE, lambda w: w.held, home=True),
        "the outcome form": form(
            lambda w: rviews.resolve_modal(w.held), {"outcome": {"value": "advised"}}
        ),
        "the reassign form": form(
            lambda w: rviews.reassign_modal(w.held), {"champion": {"selected_user": CHAMPION}}
        ),
        "the outcome form, forged metadata": form(
            lambda w: rviews.resolve_modal(1),
            {"outcome": {"value": "advised"}},
            metadata=lambda w: {"request_id": w.held, "user": HOLDER},
        ),
    },
    policy.Act.CANCEL_ANY_REQUEST: {
        "Cancel": button(ids.CANCEL_REQUEST, lambda w: w.offered),
        "Cancel a held one": button(ids.CANCEL_REQUEST, lambda w: w.held),
    },
    policy.Act.BROADCAST: {
        "/broadcast": command("/broadcast"),
        "/broadcast new": command("/broadcast", "new"),
        "/broadcast list": command("/broadcast", "list"),
        "Edit": button(ids.BROADCAST_EDIT, lambda w: w.sent),
        "Cancel broadcast": button(ids.BROADCAST_CANCEL, lambda w: w.scheduled),
        "Cancel broadcast on App Home": button(
            ids.BROADCAST_CANCEL, lambda w: w.scheduled, home=True
        ),
        "Who hasn't acknowledged": button(ids.BROADCAST_PENDING, lambda w: w.sent),
        "Remind them, forged": form(
            lambda w: {"type": "modal", "callback_id": ids.BROADCAST_REMIND},
            metadata=lambda w: {"broadcast": w.sent},
        ),
        "the form, new": form(lambda w: bviews.form_modal(), BROADCAST_FIELDS),
        "the form, editing a guessed id": form(
            lambda w: bviews.form_modal(),
            BROADCAST_FIELDS,
            metadata=lambda w: {"zone": "Europe/London", "edit": w.scheduled},
        ),
    },
    policy.Act.CONFIRM_BROADCAST: {
        "Send on a preview, a guessed draft": preview(lambda w: w.draft),
        "Send on a preview, a guessed edit": preview(lambda w: w.edit_draft),
    },
    policy.Act.ACKNOWLEDGE: {
        "Acknowledge": button(ids.BROADCAST_ACK, lambda w: w.sent),
    },
    policy.Act.KEEP_CPD: {
        "Log CPD activity on App Home": button(ids.CPD_LOG, lambda w: "log", home=True),
        "the activity form": form(lambda w: cviews.activity_modal(today=TRAINED_ON), CPD_FIELDS),
        "I attended": button(ids.CPD_ATTENDED, lambda w: w.sent),
    },
    policy.Act.RECORD_TRAINING: {
        "Record a training session on App Home": button(
            ids.CPD_SESSION, lambda w: "session", home=True
        ),
        "the session form": form(
            lambda w: cviews.session_modal(today=TRAINED_ON),
            {**CPD_FIELDS, cpd_fields.ATTENDEES: {"selected_users": [CHAMPION]}},
        ),
    },
    policy.Act.NATIONAL: {
        "/broadcast national": command("/broadcast", "national Charging guidance | Read it."),
        "/broadcast national dm": command("/broadcast", "national dm Guidance | Read it."),
        "/broadcast national status": command("/broadcast", "national status"),
        "/broadcast national figures": command("/broadcast", "national figures"),
        "the form, every force": form(
            lambda w: bviews.form_modal(national=True),
            {**BROADCAST_FIELDS, bviews.AUDIENCE: {"selected_option": {"value": "national"}}},
        ),
        "Send on a preview, every force, a guessed draft": form(
            lambda w: PREVIEW, metadata=lambda w: {"draft": w.draft, "national": True}
        ),
    },
    policy.Act.SEE_SETTINGS: {"/champbot settings": command("/champbot", "settings")},
    policy.Act.CHANGE_SETTINGS: {
        "/champbot settings queue": command("/champbot", "settings queue CQUEUE2"),
        "/champbot settings claim-sla": command("/champbot", "settings claim-sla 60"),
        "/champbot settings queue default": command("/champbot", "settings queue default"),
    },
    policy.Act.SEE_FIGURES: {"/champbot stats": command("/champbot", "stats")},
    policy.Act.REVIEW_UNANSWERED: {"/champbot unanswered": command("/champbot", "unanswered")},
    policy.Act.SEE_ROSTER: {
        "/champbot roster": command("/champbot", "roster"),
        "/champbot roster list": command("/champbot", "roster list"),
    },
    policy.Act.CHANGE_ROSTER: {
        "roster add": command("/champbot", f"roster add <@{NOBODY}> admin"),
        "roster add, half typed": command("/champbot", "roster add"),
        "roster remove": command("/champbot", f"roster remove <@{HOLDER}>"),
        "roster add, changing a role": command("/champbot", f"roster add {AUTHOR} officer"),
    },
    policy.Act.SET_AVAILABILITY: {
        "/champion on": command("/champion", "on"),
        "/champion off": command("/champion", "off"),
        "/champion away": command("/champion", "away for 2 days"),
        "/champion area": command("/champion", "area North"),
        "/champion skills": command("/champion", "skills dash, coercive control"),
        "Go on duty on App Home": button(ids.AVAILABILITY_ON, lambda w: "on", home=True),
        "Go off duty on App Home": button(ids.AVAILABILITY_OFF, lambda w: "off", home=True),
    },
}

# (rule, who tries, what): each by a role the act allows, refused by the rule alone.
RULE_TRIES: dict[policy.Rule, list[tuple[str, str, Send]]] = {
    policy.Rule.NOT_THE_ASKER: [
        ("champion", "Claim their own", button(ids.CLAIM, lambda w: w.champion_own)),
        (
            "champion",
            "Claim their own on App Home",
            button(ids.CLAIM, lambda w: w.champion_own, home=True),
        ),
        (
            "champion",
            "Accept their own, with HOLDER's offer id",
            button(ids.ACCEPT, lambda w: f"{w.champion_own}:{w.offer}"),
        ),
        ("lead", "Claim their own", button(ids.CLAIM, lambda w: w.lead_own)),
    ],
    policy.Rule.OFFERED_TO_CALLER: [
        (
            "champion",
            "Pass on HOLDER's offer",
            button(ids.PASS, lambda w: f"{w.offered}:{w.offer}"),
        ),
        ("lead", "Pass on HOLDER's offer", button(ids.PASS, lambda w: f"{w.offered}:{w.offer}")),
    ],
    policy.Rule.DRAFT_AUTHOR: [
        ("lead", "Send AUTHOR's draft", preview(lambda w: w.draft)),
        ("admin", "Send AUTHOR's draft", preview(lambda w: w.draft)),
        ("lead", "Send AUTHOR's edit", preview(lambda w: w.edit_draft)),
    ],
}

# Not a role's: only the officer who asked may add detail or say whether the advice helped.
ASKER_ONLY: list[tuple[str, str, Send]] = [
    (role, what, send)
    for role in ("champion", "lead", "admin")
    for what, send in {
        "Add detail": button(ids.ADD_DETAIL, lambda w: w.offered),
        "the detail form": form(
            lambda w: rviews.detail_modal(w.offered), {"detail": {"value": "x"}}
        ),
        "Helped": button(ids.HELPED, lambda w: w.held),
    }.items()
]


# Trying, and checking ------------------------------------------------------------------------


def snapshot(app: DispatchedApp) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table, as text."""
    with app.runtime.db.session() as s:
        return {
            table.name: sorted(tuple(map(str, row)) for row in s.execute(table.select()))
            for table in Base.metadata.sorted_tables
            if table.name not in RECEIPTS
        }


def attempt(app: DispatchedApp, user: str, w: World, send: Send) -> str | None:
    """Try `send` as `user`; None if refused in words with nothing changed, else what went wrong."""
    before, calls, replies = snapshot(app), len(app.emu.calls), len(app.emu.responses)
    resp = send(app, user, w)
    app.settle()
    if resp.status != 200:
        return f"HTTP {resp.status}"
    changed = [t for t, rows in snapshot(app).items() if rows != before[t]]
    if changed:
        return f"changed {changed}"
    new_calls = app.emu.calls[calls:]
    written = [c.method for c in new_calls if c.method in WRITES]
    opened = [c.args.get("view") for c in new_calls if c.method == "views.open"]
    forms = [v for v in opened if '"input"' in (v if isinstance(v, str) else json.dumps(v))]
    if written or forms:
        return f"called Slack: {written or 'views.open with a form'}"
    answers = app.emu.responses[replies:]
    if any(r.body.get("replace_original") is True for r in answers):
        return "replaced the message it was pressed on"
    told = " ".join(
        [json.dumps(r.body) for r in answers]
        + [v if isinstance(v, str) else json.dumps(v) for v in opened]
        + [resp.body or ""]
    )
    if not REFUSED.search(told):
        return f"not told plainly: {told[:300]!r}"
    return None


def refused_roles(act: policy.Act) -> list[str]:
    return [
        name for name, (_, role) in PLAYERS.items() if (role or Role.OFFICER) not in policy.MAY[act]
    ]


def test_the_table_is_the_one_agreed() -> None:
    """The matrix trusts the table, so the table itself is pinned: widening who may do
    something is a deliberate change here, not a side effect."""
    champion, lead, admin = Role.CHAMPION.value, Role.LEAD.value, Role.ADMIN.value
    national = Role.NATIONAL_LEAD.value  # a lead in their own force, and more
    leads = {lead, admin, national}
    assert {act.name: {r.value for r in roles} for act, roles in policy.MAY.items()} == {
        "SEE_FIGURES": leads,
        "REVIEW_UNANSWERED": leads,
        "SEE_ROSTER": leads,
        "CHANGE_ROSTER": {admin},
        "SET_AVAILABILITY": {champion},
        "TAKE_REQUESTS": {champion, lead, national},
        "HANDLE_ANY_REQUEST": leads,
        "CANCEL_ANY_REQUEST": leads,
        "BROADCAST": leads,
        "CONFIRM_BROADCAST": leads,
        "ACKNOWLEDGE": {champion},
        "KEEP_CPD": {champion},
        "RECORD_TRAINING": leads,
        "NATIONAL": {national},
        "SEE_SETTINGS": leads,
        "CHANGE_SETTINGS": {admin},
    }


def test_every_act_and_rule_is_covered() -> None:
    assert set(ROUTES) == set(policy.MAY) == set(policy.Act)
    assert all(ROUTES[act] for act in policy.Act)
    assert set(RULE_TRIES) == set(policy.Rule)
    assert {r for rules in policy.ONLY.values() for r in rules} == set(policy.Rule)
    for rule, tries in RULE_TRIES.items():
        (act,) = [a for a, rules in policy.ONLY.items() if rule in rules]
        for who, _, _ in tries:  # a rule is tried by someone the role table lets through
            assert PLAYERS[who][1] in policy.MAY[act], (rule, who)
    assert all(refused_roles(act) for act in policy.Act)  # every act is someone's to refuse


def test_every_privileged_action_is_refused_with_nothing_changed(bolt: DispatchedApp) -> None:
    w = build(bolt)
    tried, failures = 0, []
    for act, routes in ROUTES.items():
        for name in refused_roles(act):
            user = PLAYERS[name][0]
            for route, send in routes.items():
                tried += 1
                wrong = attempt(bolt, user, w, send)
                if wrong:
                    failures.append(f"{act.name} by {name} via {route}: {wrong}")
    for rule, tries in RULE_TRIES.items():
        for name, what, send in tries:
            tried += 1
            wrong = attempt(bolt, PLAYERS[name][0], w, send)
            if wrong:
                failures.append(f"{rule.name}: {name} {what}: {wrong}")
    for name, what, send in ASKER_ONLY:
        tried += 1
        wrong = attempt(bolt, PLAYERS[name][0], w, send)
        if wrong:
            failures.append(f"asker only: {name} {what}: {wrong}")
    assert not failures, f"{len(failures)} of {tried}:\n" + "\n".join(failures)
    assert tried > 150


def test_the_refused_can_still_do_what_is_theirs(bolt: DispatchedApp) -> None:
    """The matrix's world is live: the holder, the author and the asker are not refused, so a
    refusal above is the rule's doing, not a broken world."""
    w = build(bolt)
    with bolt.runtime.db.session() as s:
        assert s.scalar(select(Member.on_duty).where(Member.slack_user_id == HOLDER))
        assert s.scalars(select(Question)).all()
    bolt.slack.view_submission(
        user=AUTHOR, view=PREVIEW | {"private_metadata": json.dumps({"draft": w.draft})}, values={}
    )
    bolt.settle()
    url = bolt.emu.response_url("claim")
    bolt.slack.block_action(
        user=LEAD, action_id=ids.CLAIM, value=str(w.champion_own), response_url=url
    )
    bolt.settle()
    bolt.slack.block_action(
        user=HOLDER,
        action_id=ids.RELEASE,
        value=str(w.held),
        response_url=bolt.emu.response_url("r"),
    )
    bolt.settle()
    with bolt.runtime.db.session() as s:
        sent = broadcasts.get(session=s, broadcast_id=w.draft)
        assert sent.status.value == "sent" and sent.author_id == AUTHOR
        assert requests.get(session=s, request_id=w.champion_own).champion_id == LEAD
        assert requests.get(session=s, request_id=w.held).champion_id is None
