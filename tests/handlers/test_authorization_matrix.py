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
from bot.models import Acknowledgement, Base, Member, Offer, Question, Role, Surface
from bot.models_cpd import CpdActivity
from bot.models_workspace import ForceSettings
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
            text="can we seize a stalker's drone",
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
    """Every row of every table, of every workspace, as text: read with the driver's own
    cursor, as the matrix reads them all after each of its two hundred tries. On PostgreSQL,
    in one statement: one round trip a snapshot, not one a table."""
    names = [t.name for t in Base.metadata.sorted_tables if t.name not in RECEIPTS]
    with app.runtime.db.engine.connect() as conn:
        if not app.runtime.db.is_sqlite:
            every = ", ".join(f"ARRAY(SELECT t::text FROM {n} AS t)" for n in names)
            arrays = conn.exec_driver_sql(f"SELECT {every}").one()
            return {
                n: sorted((row,) for row in rows) for n, rows in zip(names, arrays, strict=True)
            }
        return {
            name: sorted(
                tuple(map(str, row)) for row in conn.exec_driver_sql(f"SELECT * FROM {name}")
            )
            for name in names
        }


Snapshot = dict[str, list[tuple[str, ...]]]


class Tries:
    """The matrix's tries, one after another in one world. The tables as they stand after one
    try are what the next one is compared with, so a try reads every table once, not twice."""

    def __init__(self, app: DispatchedApp, w: World) -> None:
        self.app, self.w, self.tried = app, w, 0
        self.failures: list[str] = []
        self.tables = snapshot(app)

    def refused(self, what: str, user: str, send: Send) -> None:
        """Try `send` as `user`: it must be refused in words, with nothing changed."""
        self.tried += 1
        wrong, self.tables = attempt(self.app, user, self.w, send, self.tables)
        if wrong:
            self.failures.append(f"{what}: {wrong}")


def attempt(
    app: DispatchedApp, user: str, w: World, send: Send, before: Snapshot
) -> tuple[str | None, Snapshot]:
    """Try `send` as `user`, the tables being `before`: None if refused in words with nothing
    changed, else what went wrong; and the tables after it."""
    calls, replies = len(app.emu.calls), len(app.emu.responses)
    resp = send(app, user, w)
    app.settle()
    after = snapshot(app)
    return _wrong(app, resp, before, after, calls, replies), after


def _wrong(
    app: DispatchedApp,
    resp: SlackResponse,
    before: Snapshot,
    after: Snapshot,
    calls: int,
    replies: int,
) -> str | None:
    if resp.status != 200:
        return f"HTTP {resp.status}"
    changed = [t for t, rows in after.items() if rows != before[t]]
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
    tries = Tries(bolt, build(bolt))
    for act, routes in ROUTES.items():
        for name in refused_roles(act):
            for route, send in routes.items():
                tries.refused(f"{act.name} by {name} via {route}", PLAYERS[name][0], send)
    for rule, rule_tries in RULE_TRIES.items():
        for name, what, send in rule_tries:
            tries.refused(f"{rule.name}: {name} {what}", PLAYERS[name][0], send)
    for name, what, send in ASKER_ONLY:
        tries.refused(f"asker only: {name} {what}", PLAYERS[name][0], send)
    failures = tries.failures
    assert not failures, f"{len(failures)} of {tries.tried}:\n" + "\n".join(failures)
    assert tries.tried > 150


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


# The other side: every role the table lets through can act --------------------------------------

# What a permitted try sends and what it must have done. Each try gets targets of its own (a
# fresh request, its own draft), so one role's act does not leave the next nothing to do.
Did = Callable[[DispatchedApp, str, int, str], bool]  # the app, the user, the target, told


@dataclass(frozen=True)
class Allowed:
    send: Callable[[DispatchedApp, str, int], SlackResponse]
    did: Did
    target: Callable[[DispatchedApp, str, World], int] = lambda app, user, w: 0


def _fresh(app: DispatchedApp, *, held: bool = False) -> int:
    """A new request by OTHER_OFFICER (offered to HOLDER, the one on duty), claimed if `held`."""
    with app.runtime.db.session() as s:
        settings = app.runtime.settings
        (request, *_) = requests.create(
            session=s, settings=settings, asker_id=OTHER_OFFICER, text="he waits outside"
        )
        if held:
            requests.claim(
                session=s,
                settings=settings,
                request_id=request.id,
                champion_id=HOLDER,
                caller=roster.get(session=s, slack_user_id=HOLDER),
            )
        return request.id


def _own_draft(app: DispatchedApp, user: str, w: World) -> int:
    with app.runtime.db.session() as s:
        return broadcasts.save_draft(
            session=s,
            caller=roster.get(session=s, slack_user_id=user),
            form=Form(
                category="national_policy",
                title=f"From {user}",
                message="Read it.",
                links="",
                ask_ack=False,
                time_zone="Europe/London",
            ),
            author_id=user,
            now=app.runtime.now(),
            settings=app.runtime.settings,
        ).draft.id


def _press(action_id: str, *, value: Callable[[int], str] = str) -> Callable[..., SlackResponse]:
    def send(app: DispatchedApp, user: str, target: int) -> SlackResponse:
        return app.slack.block_action(
            user=user,
            action_id=action_id,
            value=value(target),
            response_url=app.emu.response_url(action_id),
            channel=app.im(user),
            message_ts="1.000001",
        )

    return send


def _typed(name: str, text: str) -> Callable[..., SlackResponse]:
    def send(app: DispatchedApp, user: str, target: int) -> SlackResponse:
        url = app.emu.response_url(name)
        return app.slack.command(name, text, user=user, channel="CGENERAL", response_url=url)

    return send


def _submit(
    view: dict[str, Any],
    values: dict[str, dict[str, Any]] | None = None,
    metadata: Callable[[int], dict[str, Any]] | None = None,
) -> Callable[..., SlackResponse]:
    def send(app: DispatchedApp, user: str, target: int) -> SlackResponse:
        shown = {**view, "id": f"V{user}"}  # each opens a modal of their own, as in Slack
        if metadata is not None:
            shown["private_metadata"] = json.dumps(metadata(target))
        state = {block: {"value": v} for block, v in (values or {}).items()}
        return app.slack.view_submission(user=user, view=shown, values=state)

    return send


def _request(app: DispatchedApp, request_id: int) -> Any:
    with app.runtime.db.session() as s:
        row = requests.get(session=s, request_id=request_id)
        s.expunge(row)
        return row


def _rows(app: DispatchedApp, model: type[Base], **where: object) -> int:
    with app.runtime.db.session() as s:
        return len(s.scalars(select(model).filter_by(**where)).all())


def _replied(*words: str) -> Did:
    """The caller was answered (in a reply or a view), in words that include `words`."""

    def did(app: DispatchedApp, user: str, target: int, told: str) -> bool:
        return all(w.lower() in told.lower() for w in words)

    return did


def _opened_a_form(app: DispatchedApp, user: str, target: int, told: str) -> bool:
    return '"type": "modal"' in told and '"input"' in told


ALLOWED: dict[policy.Act, Allowed] = {
    policy.Act.SEE_FIGURES: Allowed(_typed("/champbot", "stats"), _replied("questions")),
    policy.Act.REVIEW_UNANSWERED: Allowed(_typed("/champbot", "unanswered"), _replied("drone")),
    policy.Act.SEE_ROSTER: Allowed(_typed("/champbot", "roster list"), _replied(HOLDER)),
    policy.Act.CHANGE_ROSTER: Allowed(
        _typed("/champbot", f"roster add <@{NOBODY}> officer"),
        lambda app, user, t, told: _rows(app, Member, slack_user_id=NOBODY, role=Role.OFFICER) == 1,
    ),
    policy.Act.SET_AVAILABILITY: Allowed(
        _typed("/champion", "on"),
        lambda app, user, t, told: _rows(app, Member, slack_user_id=user, on_duty=True) == 1,
    ),
    policy.Act.TAKE_REQUESTS: Allowed(
        _press(ids.CLAIM),
        lambda app, user, t, told: _request(app, t).champion_id == user,
        lambda app, user, w: _fresh(app),
    ),
    policy.Act.HANDLE_ANY_REQUEST: Allowed(
        _press(ids.RELEASE),
        lambda app, user, t, told: _request(app, t).champion_id is None,
        lambda app, user, w: _fresh(app, held=True),
    ),
    policy.Act.CANCEL_ANY_REQUEST: Allowed(
        _press(ids.CANCEL_REQUEST),
        lambda app, user, t, told: _request(app, t).status.value == "cancelled",
        lambda app, user, w: _fresh(app),
    ),
    policy.Act.BROADCAST: Allowed(_typed("/broadcast", "new"), _opened_a_form),
    policy.Act.CONFIRM_BROADCAST: Allowed(
        _submit(PREVIEW, metadata=lambda draft: {"draft": draft}),
        lambda app, user, t, told: broadcasts_sent(app, t, user),
        _own_draft,
    ),
    policy.Act.ACKNOWLEDGE: Allowed(
        _press(ids.BROADCAST_ACK),
        lambda app, user, t, told: _rows(app, Acknowledgement, broadcast_id=t, user_id=user) == 1,
        lambda app, user, w: w.sent,
    ),
    policy.Act.KEEP_CPD: Allowed(
        _submit(cviews.activity_modal(today=TRAINED_ON), CPD_FIELDS),
        lambda app, user, t, told: _rows(app, CpdActivity, user_id=user, recorded_by=user) == 1,
    ),
    policy.Act.RECORD_TRAINING: Allowed(
        _submit(
            cviews.session_modal(today=TRAINED_ON),
            {**CPD_FIELDS, cpd_fields.ATTENDEES: {"selected_users": [CHAMPION]}},
        ),
        lambda app, user, t, told: _rows(app, CpdActivity, user_id=CHAMPION, recorded_by=user) == 1,
    ),
    policy.Act.SEE_SETTINGS: Allowed(_typed("/champbot", "settings"), _replied("CQUEUE")),
    policy.Act.CHANGE_SETTINGS: Allowed(
        _typed("/champbot", "settings claim-sla 60"),
        lambda app, user, t, told: _rows(app, ForceSettings, updated_by=user) == 1,
    ),
}
# Only a national lead may act nationally, and a national lead belongs to an Enterprise Grid
# deployment of several workspaces: tests/national/test_national_lead.py is where one acts.
NOT_HERE = {policy.Act.NATIONAL}


def broadcasts_sent(app: DispatchedApp, draft: int, user: str) -> bool:
    with app.runtime.db.session() as s:
        sent = broadcasts.get(session=s, broadcast_id=draft)
        return sent.status.value == "sent" and sent.author_id == user


def permitted_roles(act: policy.Act) -> list[str]:
    return [name for name, (_, role) in PLAYERS.items() if role in policy.MAY[act]]


def act_as(app: DispatchedApp, user: str, w: World, allowed: Allowed) -> str | None:
    """Try `allowed` as `user`; None if it did what it is for, else what went wrong."""
    target = allowed.target(app, user, w)
    calls, replies = len(app.emu.calls), len(app.emu.responses)
    resp = allowed.send(app, user, target)
    app.settle()
    if resp.status != 200:
        return f"HTTP {resp.status}"
    new_calls = app.emu.calls[calls:]
    told = " ".join(
        [json.dumps(r.body) for r in app.emu.responses[replies:]]
        + [json.dumps(c.args) for c in new_calls if c.method in WRITES | {"views.open"}]
        + [resp.body or ""]
    )
    if REFUSED.search(told) or "went wrong" in told:
        return f"refused: {told[:300]!r}"
    if not allowed.did(app, user, target, told):
        return f"did not do it: {told[:300]!r}"
    return None


def test_every_permitted_role_can_act(bolt: DispatchedApp) -> None:
    """Each role the table lets through gets the act done (the row written, the form opened,
    the figures shown): a refusal in the matrix above is the table's, not an app that refuses
    everyone."""
    assert set(ALLOWED) | NOT_HERE == set(policy.Act)
    w = build(bolt)
    tried, failures = 0, []
    for act, allowed in ALLOWED.items():
        for name in permitted_roles(act):
            tried += 1
            wrong = act_as(bolt, PLAYERS[name][0], w, allowed)
            if wrong:
                failures.append(f"{act.name} by {name}: {wrong}")
    assert not failures, f"{len(failures)} of {tried}:\n" + "\n".join(failures)
    assert tried >= 25
