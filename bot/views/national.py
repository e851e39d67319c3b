"""What national leads see: a national broadcast's acknowledgements per force and nationally,
and every force's figures side by side (App Home and `/broadcast national …`)."""

from __future__ import annotations

from bot.domain.national import NationalAcks, NationalFigures
from bot.views.blocks import Block, Reply, context, section
from bot.views.text import plain, truncate
from bot.views.time import duration

USAGE = (
    "*National broadcasts* (national leads): `/broadcast national Title | Message` posts to "
    "every force's network channel and asks its champions to acknowledge; "
    "`/broadcast national dm Title | Message` also sends each champion a DM; "
    "`/broadcast national status` shows who has acknowledged, per force and nationally; "
    "`/broadcast national figures` shows every force's figures side by side."
)


def _count(acked: int, total: int) -> str:
    return f"{acked:,} of {total:,} champion{'' if total == 1 else 's'} have acknowledged"


def ack_lines(acks: NationalAcks) -> list[Block]:
    """One national broadcast: nationally, then each force."""
    title = plain(truncate(acks.title, 150))
    lines = []
    for force in acks.forces:
        if force.posted:
            lines.append(f"• `{force.team_id}`: {_count(force.acked, force.total)}")
        else:
            lines.append(f"• `{force.team_id}`: not posted (no network channel set)")
    return [
        section(f"*{title}*\nNationally: {_count(acks.acked, acks.total)}"),
        context("\n".join(lines)[:2900] or "No forces yet."),
    ]


def sent_reply(acks: NationalAcks) -> Reply:
    """The national lead's confirmation: where it went, and the counts so far."""
    posted = sum(1 for f in acks.forces if f.posted)
    text = f"Sent to {posted} force{'' if posted == 1 else 's'}."
    return Reply(text, [section(text), *ack_lines(acks)])


def status_reply(recent: list[NationalAcks]) -> Reply:
    """The latest national broadcasts with their counts."""
    if not recent:
        return Reply("No national broadcasts yet.", [section("No national broadcasts yet.")])
    blocks: list[Block] = []
    for acks in recent:
        blocks += ack_lines(acks)
    return Reply("National broadcasts: acknowledgements", blocks[:50])


def _force_line(team_id: str, n: NationalFigures, i: int) -> str:
    f = n.forces[i].figures
    q, r = f.questions, f.requests
    left = " (app uninstalled)" if n.forces[i].left else ""
    return (
        f"`{team_id}`{left}: {q.total:,} questions ({q.answered:,} answered), "
        f"{r.total:,} requests: {r.resolved:,} resolved, {r.waiting:,} waiting; "
        f"to a champion {duration(r.median_claim())} (median)"
    )


def figures_blocks(n: NationalFigures) -> list[Block]:
    """Every force side by side, and the nation's totals."""
    head = (
        f"*Nationally*: {n.questions:,} questions ({n.answered:,} answered from the knowledge "
        f"base), {n.requests:,} requests ({n.resolved:,} resolved); time to a champion "
        f"{duration(n.median_claim())} (median)"
    )
    lines = [_force_line(force.team_id, n, i) for i, force in enumerate(n.forces)]
    blocks = [section(head)]
    for start in range(0, len(lines), 10):  # a section's text is kept well under its limit
        blocks.append(context("\n".join(lines[start : start + 10])))
    return blocks


def figures_reply(n: NationalFigures) -> Reply:
    return Reply("National figures, every force side by side", figures_blocks(n))


def home_blocks(found: NationalFigures, recent: list[NationalAcks]) -> list[Block]:
    """A national lead's App Home section: every force side by side, the latest counts."""
    blocks: list[Block] = [
        {"type": "divider"},
        {"type": "header", "text": {"type": "plain_text", "text": "National: every force"}},
        *figures_blocks(found),
    ]
    for acks in recent:
        blocks += ack_lines(acks)
    blocks.append(context("`/broadcast national Title | Message` sends to every force."))
    return blocks
