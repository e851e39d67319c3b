"""Replies to officers' questions: an answer, a live case, not covered, or off topic."""

from __future__ import annotations

from datetime import date

from bot.knowledge import Entry
from bot.knowledge.shown import Shown
from bot.models import Feedback
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


def _offered(question_id: int | None, entries: tuple[Entry, ...], lead: str) -> list[Block]:
    """Entries one tap away: a line each, with a *Show* button (`SHOW_ENTRY`)."""
    if not entries:
        return []
    blocks: list[Block] = [context(lead)]
    for entry in entries:
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"• {escape(truncate(entry.title, 200))}"},
                "accessory": button("Show", ids.SHOW_ENTRY, f"{question_id or 0}:{entry.id}"),
            }
        )
    return blocks


def _verdict_or_buttons(shown: Shown) -> list[Block]:
    """The feedback buttons, or once the officer has given it, their verdict."""
    if shown.question_id is None:
        return []
    if shown.helpful is None:
        return [feedback_block(shown.question_id)]
    verdict = Feedback.HELPFUL if shown.helpful else Feedback.NOT_HELPFUL
    blocks = [feedback_given_block(verdict)]
    if not shown.helpful:
        blocks.append(ask_champion_block(shown.question_id))
    return blocks


def _refer_block(entry: Entry, question_id: int | None) -> Block:
    """What leads an answer whose topic turns on the facts of a case."""
    text = (
        "*Ask a champion.* The general answer is below, but how it applies turns on the facts "
        "of your case, so a champion is the right person to advise on it."
    )
    block: Block = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
    if question_id is not None:
        block["accessory"] = button("Ask a champion", ids.ASK_CHAMPION, str(question_id))
    return block


def _greeting(shown: Shown, *, network_name: str, subject: str) -> tuple[list[Block], str]:
    examples = [e.questions[0] if e.questions else e.title for e in shown.entries[:3]]
    lines = "\n".join(f"• _{escape(truncate(q, 150))}_" for q in examples)
    intro = (
        f"Hello! I'm the {escape(network_name)} bot. I answer general questions about "
        f"*{escape(subject)}* from a knowledge base the network's champions keep up to date, "
        "with its sources and when it was last checked."
    )
    blocks: list[Block] = [section(intro)]
    if lines:
        blocks.append(section(f"You could ask, for example:\n{lines}"))
    blocks.append(
        section(
            "*For advice on a live case*, tell me about it (leaving out names) and I'll pass it "
            "to a trained champion, or press *Ask a champion* under any answer. "
            "I'm not an emergency service: if anyone is in danger, call 999."
        )
    )
    return blocks, f"Hello! I answer questions about {subject}."


def answer_reply(shown: Shown, *, network_name: str, subject: str, today: date) -> Reply:
    """The reply to a question, for whichever case it landed in: the first time it is posted,
    and again after the officer's feedback (drawn from what was stored with the question), so
    the answer, the 999 line and the request number are never lost."""
    blocks: list[Block] = []
    if shown.immediate_risk:
        blocks.append(section(EMERGENCY))
    if shown.echo:
        blocks.append(context(f"You asked:\n{quote_user_text(shown.echo)}"))
    qid = shown.question_id
    case = shown.case

    if case == "greeting":
        more, text = _greeting(shown, network_name=network_name, subject=subject)
        blocks += more
    elif case == "answered" and shown.entries:
        first, rest = shown.entries[0], shown.entries[1:]
        if first.refer_to_champion:
            blocks.append(_refer_block(first, qid))
        blocks += entry_blocks(first, today=today)
        for entry in rest:
            blocks.append(context("This entry answers the rest of your question:"))
            blocks += entry_blocks(entry, today=today)
        blocks += _verdict_or_buttons(shown)
        blocks += _offered(qid, shown.also, "Also:")
        text = first.title
        if first.refer_to_champion:
            text = f"Ask a champion: this turns on the facts of the case. {first.title}"
    elif case == "live_case":
        routed = (
            f"I've sent it to the champions as *request #{shown.request_id}*; I'll tell you "
            "who has it."
            if shown.request_id is not None
            else f"Contact one of the {escape(network_name)} champions in your force."
        )
        blocks.append(
            section(
                "*This sounds like a live case.* A champion is the right person to advise on "
                f"the facts of a case. {routed} {NO_NAMES}"
            )
        )
        if shown.entries:
            blocks.append(context("In the meantime, this general guidance may help:"))
            for entry in shown.entries:
                blocks += entry_blocks(entry, today=today)
            blocks += _verdict_or_buttons(shown)
        blocks += _offered(qid, shown.also, "Also:")
        text = "This sounds like a live case: a champion is the right person to advise."
        if shown.request_id is not None:
            text += f" Request #{shown.request_id}."
    elif case == "off_topic":
        blocks.append(
            section(
                "That's not covered here. I answer questions about "
                f"*{escape(subject)}* for the {escape(network_name)} network; for anything "
                "else, please use your force's usual channels."
            )
        )
        text = "That's not covered here."
    else:
        # On the subject but not answered: said plainly, never an unrelated entry shown as if
        # it were the answer; the closest entries are a tap away and the question is kept.
        blocks.append(
            section(
                "*That isn't covered by the knowledge base yet.* I've kept your question so "
                "the people who look after it can add an answer. For advice on a case, ask a "
                "champion."
            )
        )
        if qid is not None:
            blocks.append(ask_champion_block(qid))
        blocks += _offered(qid, shown.also, "The closest entries I have, which may not answer it:")
        text = "That isn't covered by the knowledge base yet."
    if shown.immediate_risk:
        text = "If anyone is in immediate danger, call 999. " + text
    return Reply(text=truncate(text, 300), blocks=blocks[:50])


def notice(text: str) -> Reply:
    """A short message in plain words; `text` is ours, not the user's."""
    return Reply(text=truncate(text, 300), blocks=[section(text)])
