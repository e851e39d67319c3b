"""Replies for leads and admins: help, figures, the roster, questions awaiting curators."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.figures import QuestionFigures, RequestFigures
from bot.knowledge import Entry
from bot.models import CurationItem, Member, Outcome, Question
from bot.views.blocks import Block, Reply, context, section
from bot.views.requests import plain
from bot.views.text import escape, truncate

HELP = (
    "*How to use the {network} bot*\n"
    "• *Ask a question*: send me a direct message, mention me in a channel, or type "
    "`/ask your question`. I answer from the network's knowledge base.\n"
    "• *Search only*: `/faq your question`.\n"
    "• *Leads*: `/champbot stats` for the figures, `/champbot unanswered` for questions the "
    "knowledge base could not answer.\n"
    "• *Admins*: `/champbot roster list`, `/champbot roster add @someone champion [area]`, "
    "`/champbot roster remove @someone`.\n"
    "Please leave out names and details that identify a victim or suspect. "
    "This bot is not an emergency service: if anyone is in immediate danger, call 999."
)

OUTCOME_LABELS = {
    Outcome.ANSWERED: "answered from the knowledge base",
    Outcome.LIVE_CASE: "live cases",
    Outcome.NOT_COVERED: "not covered yet",
    Outcome.OFF_TOPIC: "off topic",
}


def help_reply(network_name: str) -> Reply:
    """What the bot does and how to use it."""
    text = HELP.format(network=escape(network_name))
    return Reply(text=f"How to use the {network_name} bot", blocks=[section(text)])


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    minutes = seconds / 60
    return f"{minutes:.0f} min" if minutes < 120 else f"{minutes / 60:.1f} h"


def stats_reply(
    figures: QuestionFigures, *, period: str, requests: RequestFigures | None = None
) -> Reply:
    """Question and request figures as a short report."""
    lines = [f"*Questions {period}: {figures.total}*"]
    for outcome, label in OUTCOME_LABELS.items():
        count = figures.by_outcome.get(outcome, 0)
        share = f" ({count / figures.total:.0%})" if figures.total else ""
        lines.append(f"• {label}: {count}{share}")
    lines.append(
        f"• feedback: {figures.helpful} helpful, {figures.not_helpful} not what was needed"
    )
    lines.append(f"• awaiting the curators: {figures.awaiting_curators}")
    if requests is not None:
        lines.append(f"*Requests to champions {period}: {requests.total}*")
        lines.append(
            f"• claimed {requests.claimed}, resolved {requests.resolved}, "
            f"cancelled {requests.cancelled}, still open {requests.open}"
        )
        lines.append(
            f"• time to claim: median {_duration(requests.median_claim())}, "
            f"90th percentile {_duration(requests.p90_claim())}"
        )
        lines.append(
            f"• time to resolve: median {_duration(requests.median_resolve())}, "
            f"90th percentile {_duration(requests.p90_resolve())}"
        )
        lines.append(f"• SLA breaches: {requests.sla_breaches}")
        lines.append(f"• officers said it helped: {requests.helped}, not: {requests.not_helped}")
    blocks: list[Block] = [section("\n".join(lines))]
    if figures.top_entries:
        top = ", ".join(f"`{escape(e)}` ({n})" for e, n in figures.top_entries)
        blocks.append(context(f"Most used entries: {top}"))
    return Reply(text=f"Questions {period}: {figures.total}", blocks=blocks)


def roster_reply(members: list[Member]) -> Reply:
    """The roster as a list."""
    if not members:
        return Reply(text="The roster is empty.", blocks=[section("The roster is empty.")])
    lines = []
    for m in members[:100]:
        extra = ", ".join(x for x in (m.area or "", m.skills) if x)
        lines.append(
            f"• <@{m.slack_user_id}>: {m.role.value}" + (f" ({escape(extra)})" if extra else "")
        )
    blocks = [
        section(truncate("\n".join(lines[i : i + 40]), 2900)) for i in range(0, len(lines), 40)
    ]
    return Reply(text=f"{len(members)} people on the roster", blocks=blocks)


def curation_reply(items: list[tuple[CurationItem, Question]]) -> Reply:
    """Questions awaiting the curators; officers' text escaped and shortened."""
    if not items:
        return Reply(
            text="Nothing is waiting for the curators.",
            blocks=[section("Nothing is waiting for the curators.")],
        )
    lines = []
    for item, question in items[:30]:
        text = escape(truncate(" ".join((question.text or "(text purged)").split()), 140))
        lines.append(f"• #{question.id} {item.reason.value.replace('_', ' ')}: {text}")
    return Reply(
        text=f"{len(items)} questions await the curators",
        blocks=[section(truncate("\n".join(lines), 2900))],
    )


def review_reminder(entries: Sequence[Entry]) -> Reply:
    """To an entry's owner: which of their entries are past their review-by date."""
    lines = "\n".join(
        f"• `{e.id}`: {e.title} (review was due {e.review_by:%d %b %Y})" for e in entries[:40]
    )
    count = f"{len(entries)} knowledge base {'entry is' if len(entries) == 1 else 'entries are'}"
    return plain(
        f":calendar: *{count} past review.* Answers using them are marked as overdue until they "
        f"are checked against their sources and given a new review-by date.\n{lines}"
    )
