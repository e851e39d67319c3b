"""Which columns of which tables hold typed text, and how each ages out.

To add a table that stores what someone typed (or copies it): declare its columns here, with
the steps that purge them (`Each`: candidates, then one claimed transaction each; `Once`: one
transaction; `steps.by_age("inbox", inbox.purge)` makes one from a table's own
`purge(session, before) -> int`). A text column that only ever holds ids, enum values, digests
or the bot's own words goes in `NOT_TYPED_TEXT`, with why; typed text kept on purpose in `KEPT`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.config import Settings
from bot.services import cpd, inbox
from bot.services.retention import steps
from bot.services.retention.steps import Counts

Once = Callable[[Session, Settings, datetime], Counts]


@dataclass(frozen=True)
class Each:
    """A step acting on rows one at a time: `due` lists them, `act` claims and purges one."""

    due: Callable[[Session, Settings, datetime], list[int]]
    act: Callable[[Session, Settings, int, datetime], Counts]


@dataclass(frozen=True)
class Retained:
    """One table's typed text: its columns, how they age out (in words), and the steps."""

    table: str
    columns: tuple[str, ...]
    rule: str
    steps: tuple[Each | Once, ...]


REGISTRY: tuple[Retained, ...] = (
    Retained(
        "requests",
        ("text", "outcome_note"),
        "a request is as old as its text: opened, or asked as the question it came from, "
        "before retention. One still open or claimed then is closed as stale "
        "(leads, officer and champion told); then the case text, the added detail (kept in "
        "`text`) and the outcome of every request older than retention are blanked, with "
        "every outbox row that copies them and the bot's Slack messages that quoted them",
        (
            Each(
                lambda s, cfg, now: steps.due_stale(session=s, settings=cfg, now=now),
                lambda s, cfg, i, now: steps.act_stale(
                    session=s, settings=cfg, request_id=i, now=now
                ),
            ),
            Each(
                lambda s, cfg, now: steps.due_requests(session=s, settings=cfg, now=now),
                lambda s, cfg, i, now: steps.act_request(
                    session=s, settings=cfg, request_id=i, now=now
                ),
            ),
        ),
    ),
    Retained(
        "questions",
        ("text",),
        "a question asked before retention is blanked (its case, entry, score and feedback "
        "stay), with every outbox row that copies it; curation items hold no text of their own",
        (
            Each(
                lambda s, cfg, now: steps.due_questions(session=s, settings=cfg, now=now),
                lambda s, cfg, i, now: steps.act_question(
                    session=s, settings=cfg, question_id=i, now=now
                ),
            ),
        ),
    ),
    Retained(
        "outbox",
        ("payload",),
        "a row copying a request's or question's text goes with it (above); every other row "
        "written before retention is blanked once sent, failed or withdrawn",
        (lambda s, cfg, now: steps.purge_outbox(session=s, settings=cfg, now=now),),
    ),
    Retained(
        "cpd_activities",
        ("note",),
        "an activity's optional note is blanked once older than retention; the activity (date, "
        "title, hours, provider) is the champion's training record, kept for the pilot's life",
        (steps.by_age("cpd_activities", cpd.purge_notes),),
    ),
    Retained(
        "inbox",
        ("body",),
        "a request's body is cleared as soon as its work is done, and the row deleted an hour "
        "later; any row older than retention goes, handled or not",
        (steps.by_age("inbox", inbox.purge),),
    ),
)

_SLACK_ID = "a Slack id"
_ENTRY_IDS = "knowledge entry ids"

# Columns of these names, in any table, hold Slack's ids of a workspace or organisation.
NOT_TYPED_TEXT_ANYWHERE: dict[str, str] = {
    "team_id": "a Slack workspace id",
    "enterprise_id": "a Slack organisation id",
}

# Text columns that never hold what a person typed.
NOT_TYPED_TEXT: dict[str, str] = {
    "members.slack_user_id": _SLACK_ID,
    "questions.asker_id": _SLACK_ID,
    "questions.channel_id": _SLACK_ID,
    "questions.entry_id": _ENTRY_IDS,
    "questions.closest": _ENTRY_IDS,
    "questions.shown_ids": _ENTRY_IDS,
    "questions.also_ids": _ENTRY_IDS,
    "curation_items.reviewed_by": _SLACK_ID,
    "audit_events.actor_id": _SLACK_ID,
    "audit_events.action": "the bot's name for an action",
    "audit_events.subject_type": "the bot's name for a kind of thing",
    "audit_events.subject_id": "an id: a row's number, a Slack id, a week",
    "audit_events.detail": "ids, counts, enum values, times (`record` never takes typed text)",
    "outbox.method": "a Web API method name",
    "outbox.ref": "the bot's name for a message (kind, row numbers, Slack ids)",
    "outbox.target_ref": "the bot's name for a message (kind, row numbers, Slack ids)",
    "outbox.channel": _SLACK_ID,
    "outbox.ts": "Slack's timestamp of a message",
    "outbox.error": "Slack's error code",
    "outbox.quotes": "the kind and number of the text a row copies",
    "requests.asker_id": _SLACK_ID,
    "requests.champion_id": _SLACK_ID,
    "requests.topics": "knowledge entry tags",
    "offers.champion_id": _SLACK_ID,
    "broadcasts.author_id": _SLACK_ID,
    "broadcasts.time_zone": "an IANA time zone name",
    "broadcast_acks.user_id": _SLACK_ID,
    "broadcast_reminders.user_id": _SLACK_ID,
    "broadcast_reminders.kind": "lead or auto",
    "broadcast_reminders.by": _SLACK_ID,
    "digests.week": "an ISO week",
    "consult_outcomes.recorded_by": _SLACK_ID,
    "cpd_activities.user_id": _SLACK_ID,
    "cpd_activities.recorded_by": _SLACK_ID,
    "cpd_activities.source_key": "the form or broadcast an activity was logged from",
    "cpd_reminders.user_id": _SLACK_ID,
    "inbox.kind": "the kind of Slack request (event, command, action…)",
    "inbox.signature": "Slack's request signature, kept against replays",
    "inbox.event_id": _SLACK_ID,
    "inbox.repeat_even": "a keyed digest of a slash command, never its text",
    "inbox.repeat_odd": "a keyed digest of a slash command, never its text",
    "inbox.claimed_by": "the worker process that took the row (host and pid)",
    "force_settings.queue_channel": _SLACK_ID,
    "force_settings.network_channel": _SLACK_ID,
    "force_settings.kb_review_owners": "Slack user ids, comma-separated",
    "force_settings.updated_by": _SLACK_ID,
    "national_broadcasts.author_id": _SLACK_ID,
    "national_broadcasts.author_team_id": _SLACK_ID,
    "report_runs.month": "the month a summary was sent for (YYYY-MM)",
}

# Typed text kept on purpose: it is not about a case, and the service needs it.
KEPT: dict[str, str] = {
    "members.area": "the roster's area of a member, for routing (an admin's or their own)",
    "members.skills": "the roster's skills of a member, for routing",
    "requests.area": "the asker's area, copied from the roster for routing and the figures",
    "broadcasts.title": "a lead's update published to the whole network: its record",
    "broadcasts.body": "a lead's update published to the whole network: its record",
    "broadcasts.links": "a lead's update published to the whole network: its record",
    "national_broadcasts.title": "a national lead's update published to every force: its record",
    "cpd_activities.title": "a champion's training record (the course's name), not about a case",
    "cpd_activities.provider": "a champion's training record (who ran it), not about a case",
}
