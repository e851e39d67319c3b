"""Replies to officers' questions: an answer, a live case, not covered, or off topic."""

from __future__ import annotations

from datetime import date

from bot.knowledge import Entry, Hit
from bot.models import Feedback, Outcome
from bot.views import ids
from bot.views.blocks import Block, Reply, button, context, section
from bot.views.text import chunks, escape, kb_markdown_to_mrkdwn, quote_user_text, truncate

EMERGENCY = (
    ":rotating_light: *If anyone is in immediate danger, treat it as an emergency now:* "
    "call 999 or follow your force's emergency procedure. This bot is not an emergency service."
)
NO_NAMES = "Please leave out names and other details that identify the victim or suspect."


def _when(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def entry_blocks(entry: Entry, *, today: date) -> list[Block]:
    """An entry's answer: title, text, sources, when it was reviewed, and any overdue warning."""
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": truncate(entry.title, 150)}}
    ]
    blocks += [section(part) for part in chunks(kb_markdown_to_mrkdwn(entry.body))[:6]]
    sources = " · ".join(f"<{s.url}|{escape(truncate(s.title, 120))}>" for s in entry.sources[:5])
    notes = [f"*Sources:* {sources}" if sources else "*Sources:* none listed"]
    reviewed = f"Last reviewed {_when(entry.reviewed)}"
    if entry.is_overdue(today):
        reviewed = (
            f":warning: *Overdue for review* (due {_when(entry.review_by)}): "
            f"check current guidance. {reviewed}"
        )
    notes.append(reviewed)
    blocks.append(context(*notes))
    return blocks


def feedback_block(question_id: int) -> Block:
    """The two feedback buttons under an answer."""
    value = str(question_id)
    return {
        "type": "actions",
        "block_id": f"feedback-{question_id}",
        "elements": [
            button("That answers it", ids.FEEDBACK_HELPFUL, value, style="primary"),
            button("Not what I needed", ids.FEEDBACK_NOT_HELPFUL, value),
            button("Ask a champion", ids.ASK_CHAMPION, value),
        ],
    }


def ask_champion_block(question_id: int) -> Block:
    """The one button under a question the knowledge base could not answer."""
    return {
        "type": "actions",
        "block_id": f"ask-{question_id}",
        "elements": [button("Ask a champion", ids.ASK_CHAMPION, str(question_id))],
    }


def feedback_given_block(feedback: Feedback) -> Block:
    """What replaces the feedback buttons once the officer has answered."""
    if feedback is Feedback.HELPFUL:
        return context(":white_check_mark: Thanks, glad that helped.")
    return context(
        ":memo: Thanks. I've passed this to the people who keep the knowledge base up to date. "
        "For advice on a live case, ask a champion."
    )


def answer_reply(
    *,
    outcome: Outcome,
    question_id: int,
    hits: list[Hit],
    best: Hit | None,
    immediate_risk: bool,
    network_name: str,
    subject: str,
    today: date,
    echo: str | None = None,
    request_id: int | None = None,
) -> Reply:
    """The reply to a question, for whichever of the four cases it landed in."""
    blocks: list[Block] = []
    if immediate_risk:
        blocks.append(section(EMERGENCY))
    if echo:
        blocks.append(context(f"You asked:\n{quote_user_text(echo)}"))

    if outcome is Outcome.ANSWERED and best is not None:
        blocks += entry_blocks(best.entry, today=today)
        blocks.append(feedback_block(question_id))
        text = best.entry.title
    elif outcome is Outcome.LIVE_CASE:
        routed = (
            f"I've sent it to the champions as *request #{request_id}*; I'll tell you who has it."
            if request_id is not None
            else f"Contact one of the {escape(network_name)} champions in your force."
        )
        blocks.append(
            section(
                "*This sounds like a live case.* A champion is the right person to advise on "
                f"the facts of a case. {routed} {NO_NAMES}"
            )
        )
        if best is not None:
            blocks.append(context("In the meantime, this general guidance may help:"))
            blocks += entry_blocks(best.entry, today=today)
            blocks.append(feedback_block(question_id))
        text = "This sounds like a live case: a champion is the right person to advise."
    elif outcome is Outcome.OFF_TOPIC:
        blocks.append(
            section(
                "That's not covered here. I answer questions about "
                f"*{escape(subject)}* for the {escape(network_name)} network; for anything "
                "else, please use your force's usual channels."
            )
        )
        text = "That's not covered here."
    else:
        if hits:
            lead = (
                "*I'm not sure the knowledge base answers this exactly.* The closest entry is "
                "below. I've kept your question so the people who look after the knowledge "
                "base can check it. For advice on a case, ask a champion."
            )
        else:
            lead = (
                "*That isn't covered by the knowledge base yet.* I've kept your question so "
                "the people who look after it can add an answer. For advice on a case, ask a "
                "champion."
            )
        blocks.append(section(lead))
        blocks.append(ask_champion_block(question_id))
        if hits:
            # The closest entry is shown whole, so an officer at the moment of decision need
            # not click; it is flagged as possibly not what they asked. Others are a click away.
            closest, others = hits[0], hits[1:3]
            blocks.append(
                context("The closest entry I have, which may not be exactly what you asked, is:")
            )
            blocks += entry_blocks(closest.entry, today=today)
            if others:
                blocks.append(context("Also close:"))
            for hit in others:
                blocks.append(
                    {
                        "type": "section",
                        "text": {"type": "mrkdwn", "text": f"• {escape(hit.entry.title)}"},
                        "accessory": button(
                            "Show", ids.SHOW_ENTRY, f"{question_id}:{hit.entry.id}"
                        ),
                    }
                )
        text = (
            "I'm not sure the knowledge base answers this exactly."
            if hits
            else "That isn't covered by the knowledge base yet."
        )
    if immediate_risk:
        text = "If anyone is in immediate danger, call 999. " + text
    return Reply(text=truncate(text, 300), blocks=blocks[:50])


def answered_reply(
    *,
    entry: Entry | None,
    feedback: Feedback,
    today: date,
    question_id: int,
    immediate_risk: bool = False,
) -> Reply:
    """An answer re-rendered after feedback: the buttons replaced by the officer's verdict."""
    blocks: list[Block] = [section(EMERGENCY)] if immediate_risk else []
    if entry is not None:
        blocks += entry_blocks(entry, today=today)
    blocks.append(feedback_given_block(feedback))
    if feedback is Feedback.NOT_HELPFUL:
        blocks.append(ask_champion_block(question_id))
    return Reply(text=entry.title if entry else "Thanks for your feedback.", blocks=blocks)


def notice(text: str) -> Reply:
    """A short message in plain words; `text` is ours, not the user's."""
    return Reply(text=truncate(text, 300), blocks=[section(text)])
