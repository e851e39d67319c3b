"""Replies for leads and admins: help, figures, the roster, questions awaiting curators."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.domain.figures import Figures
from bot.knowledge import Entry
from bot.models import CurationItem, Member, Question
from bot.views import figures as words
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
    "• *Leads and admins*: `/champbot roster list` shows who is on the roster.\n"
    "• *Admins*: `/champbot roster add @someone champion [area]`, "
    "`/champbot roster remove @someone`; `/champbot settings` for this force's channels, "
    "SLAs and knowledge-base reviewers (leads see them, admins change them).\n"
    "Please leave out names and details that identify a victim or suspect. "
    "This bot is not an emergency service: if anyone is in immediate danger, call 999."
)

OUTCOME_LABELS = words.OUTCOME_LABELS


def help_reply(network_name: str) -> Reply:
    """What the bot does and how to use it."""
    text = HELP.format(network=escape(network_name))
    return Reply(text=f"How to use the {network_name} bot", blocks=[section(text)])


def stats_reply(
    figures: Figures,
    *,
    period: str,
    names: Mapping[str, str] | None = None,
    titles: Mapping[str, str] | None = None,
) -> Reply:
    """The figures as a short report: champions by name, entries by title."""
    q, r = figures.questions, figures.requests
    lines = [f"*Questions {period}: {q.total}*"]
    lines += [f"• {line}" for line in words.outcome_lines(q)]
    lines.append(f"• {words.feedback_line(q)}")
    lines.append(f"• awaiting the curators: {q.awaiting_curators}")
    lines.append(f"*Requests to champions {period}: {r.total}*")
    lines.append(f"• now: {words.states_line(r)}")
    lines.append(f"• {words.claim_line(r)}")
    lines.append(f"• {words.resolve_line(r)}")
    lines.append(f"• SLA breaches: {r.sla_breaches}")
    lines.append(f"• {words.helped_line(r)}")
    lines.append(f"*What the consults advised {period}*")
    lines += [f"• {line}" for line in words.consult_outcome_lines(figures.outcomes)]
    lines.append(f"• {words.changed_line(figures.outcomes)}")
    lines.append(f"• {words.cpd_line(figures.cpd)}")
    blocks: list[Block] = [section("\n".join(lines))]
    extra = [
        words.champions_line(r, names or {}),
        words.entries_line(q, titles or {}),
    ]
    for line in extra:
        if line:
            blocks.append(context(escape(truncate(line[0].upper() + line[1:], 2900))))
    return Reply(text=f"Questions {period}: {q.total}", blocks=blocks)


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
