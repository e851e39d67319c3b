"""App Home: what the bot is for, the person's own questions and requests, and for champions and
leads, their availability, the queue and the network's load."""

from __future__ import annotations

from typing import Any

from bot.domain.figures import FIGURES_DAYS, Figures
from bot.domain.home import Home, Workload
from bot.models import Outcome, Question, Request, RequestStatus, Role
from bot.views import cpd as cpd_views
from bot.views import figures as words
from bot.views import ids
from bot.views.answers import EMERGENCY, NO_NAMES
from bot.views.blocks import Block, button, context, section
from bot.views.broadcasts.lead import home_blocks as broadcast_blocks
from bot.views.text import escape, truncate
from bot.views.time import slack_time

OUTCOME_WORDS = {
    Outcome.ANSWERED: "answered",
    Outcome.LIVE_CASE: "live case",
    Outcome.NOT_COVERED: "not covered yet",
    Outcome.OFF_TOPIC: "off topic",
}


def _snippet(text: str | None, limit: int = 90) -> str:
    return escape(truncate(" ".join((text or "(text removed)").split()), limit))


def _question_lines(recent: list[Question]) -> str:
    if not recent:
        return "None yet."
    return "\n".join(
        f"• {slack_time(q.asked_at)}: {_snippet(q.text)} _({OUTCOME_WORDS[q.outcome]})_"
        for q in recent
    )


RISK = ":rotating_light: *⚠ Immediate risk*"


def _request_line(req: Request) -> str:
    who = f" · <@{req.champion_id}>" if req.champion_id else ""
    return f"*#{req.id}* {req.status.value}{who}: {_snippet(req.text, 70)}"


def _risk_line(req: Request) -> list[Block]:
    return [context(RISK + ": answer this one first")] if req.immediate_risk else []


def _request_rows(
    reqs: list[Request], action: tuple[str, str] | None, *, flag: bool = False
) -> list[Block]:
    rows: list[Block] = []
    for req in reqs[:15]:
        row: Block = section(_request_line(req))
        if action and req.status in (RequestStatus.OPEN, RequestStatus.CLAIMED):
            row["accessory"] = button(action[0], action[1], str(req.id))
        rows += [*(_risk_line(req) if flag else []), row]
    return rows


def _workload_rows(workload: Workload) -> list[Block]:
    """Each request held, with the consult's actions; each offer awaiting an answer, with its."""
    rows: list[Block] = []
    for req in workload.held[:10]:
        rid = str(req.id)
        rows += [
            *_risk_line(req),
            section(_request_line(req)),
            {
                "type": "actions",
                "block_id": f"held-{rid}",
                "elements": [
                    button("Resolve", ids.RESOLVE, rid, style="primary"),
                    button("Release", ids.RELEASE, rid),
                    button("Reassign", ids.REASSIGN, rid),
                ],
            },
        ]
    for offer, req in workload.offered[:5]:
        value = f"{req.id}:{offer.id}"
        rows += [
            *_risk_line(req),
            section(f"*#{req.id}* offered to you: {_snippet(req.text, 70)}"),
            {
                "type": "actions",
                "block_id": f"offered-{offer.id}",
                "elements": [
                    button("Accept", ids.ACCEPT, value, style="primary"),
                    button("Pass", ids.PASS, value),
                ],
            },
        ]
    return rows


def _figure_blocks(figures: Figures) -> list[Block]:
    q, r = figures.questions, figures.requests
    lines = [
        f"• questions: {q.total}, {q.answered} answered from the knowledge base",
        f"• requests: {r.total}; now {words.states_line(r)}",
        f"• {words.claim_line(r)}",
        f"• {words.helped_line(r)}",
        *(f"• {line}" for line in words.consult_outcome_lines(figures.outcomes)),
        f"• {words.changed_line(figures.outcomes)}",
    ]
    return [
        section(f"*Figures, the last {FIGURES_DAYS} days*\n" + "\n".join(lines)),
        {"type": "divider"},
    ]


def home_view(*, home: Home, network_name: str, subject: str) -> dict[str, Any]:
    """The App Home tab for one person."""
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": truncate(network_name, 150)}},
        section(
            f"I answer officers' questions about *{escape(subject)}* from the network's "
            "curated knowledge base, and send live cases to a trained champion.\n"
            "• Send me a direct message, mention me in a channel, or type `/ask your question`.\n"
            "• `/faq your question` searches the knowledge base only."
        ),
        context(NO_NAMES),
        section(EMERGENCY),
        {"type": "divider"},
    ]
    if home.role in (Role.CHAMPION, Role.LEAD, Role.ADMIN, Role.NATIONAL_LEAD) and (
        home.member is not None
    ):
        m = home.member
        if home.routed:  # only champions are offered requests, so only they set availability
            if m.away_until:
                state = f":palm_tree: Away until {slack_time(m.away_until)}"
            else:
                state = (
                    ":large_green_circle: On duty" if home.available else ":red_circle: Off duty"
                )
            profile = ", ".join(x for x in (m.area or "", m.skills.replace(",", ", ")) if x)
            blocks.append(
                section(
                    f"*Your availability*: {state}"
                    + (f"\nArea and skills: {escape(profile)}" if profile else "")
                )
            )
            blocks.append(
                {
                    "type": "actions",
                    "block_id": "availability",
                    "elements": [
                        button("On duty", ids.AVAILABILITY_ON, "on", style="primary"),
                        button("Off duty", ids.AVAILABILITY_OFF, "off"),
                    ],
                }
            )
        have = home.workload.count
        blocks.append(
            section(f"*Requests you have* ({have})" + ("" if have else "\nNone right now."))
        )
        blocks += _workload_rows(home.workload)
        blocks.append(
            section(
                f"*The queue* ({len(home.queue)} open)"
                + ("" if home.queue else "\nNothing waiting.")
            )
        )
        blocks += _request_rows(home.queue, ("Claim", ids.CLAIM), flag=True)
        blocks.append({"type": "divider"})
        if home.cpd is not None:
            blocks += cpd_views.record_blocks(home.cpd)
            blocks.append({"type": "divider"})
    if home.champions:
        lines = [
            f"• <@{c.member.slack_user_id}>: "
            + ("available" if c.available else ("away" if c.member.away_until else "off duty"))
            + f", {c.load} of {c.member.max_active}"
            for c in home.champions[:40]
        ]
        blocks.append(section("*Champions*\n" + "\n".join(lines)))
        blocks.append(
            context(
                "Leads: `/champbot stats` for the figures, "
                "`/champbot unanswered` for gaps in the knowledge base."
            )
        )
        blocks.append({"type": "divider"})
    if home.cpd_standings is not None:
        blocks += cpd_views.lead_blocks(home.cpd_standings, required=home.cpd_required)
        blocks.append({"type": "divider"})
    if home.figures is not None:
        blocks += _figure_blocks(home.figures)
    if home.role in (Role.LEAD, Role.ADMIN, Role.NATIONAL_LEAD):
        blocks += broadcast_blocks(home.scheduled_broadcasts, home.recent_broadcasts)
        blocks.append({"type": "divider"})
    blocks.append(section("*Your requests*" + ("" if home.my_requests else "\nNone yet.")))
    blocks += _request_rows(home.my_requests, ("Cancel request", ids.CANCEL_REQUEST))
    blocks.append(section("*Your recent questions*\n" + _question_lines(home.recent_questions)))
    return {"type": "home", "blocks": blocks[:100]}
