"""Views are pure: escaping, splitting and Slack's limits."""

from __future__ import annotations

import json
from datetime import date

from bot.knowledge import Hit, KnowledgeBase
from bot.models import Feedback, Outcome
from bot.views.answers import answer_reply, answered_reply, entry_blocks
from bot.views.text import chunks, escape, kb_markdown_to_mrkdwn, quote_user_text, truncate


def test_escape_neutralises_mentions_pings_and_links() -> None:
    assert escape("<!channel> & <@U1> <http://x|y>") == (
        "&lt;!channel&gt; &amp; &lt;@U1&gt; &lt;http://x|y&gt;"
    )


def test_quote_user_text_is_short_single_line_and_escaped() -> None:
    quoted = quote_user_text("a\n\n<!here>" + "x" * 1000, limit=50)
    assert quoted.startswith("> a &lt;!here&gt;") and len(quoted) < 80 and "\n" not in quoted


def test_truncate_marks_the_cut() -> None:
    assert truncate("abcdef", 4) == "abc…" and truncate("abc", 4) == "abc"


def test_chunks_respect_the_limit_and_keep_everything() -> None:
    text = "\n\n".join(["para " * 100] * 30) + "\n\n" + "x" * 7000
    pieces = chunks(text, 2900)
    assert all(len(p) <= 2900 for p in pieces)
    assert "".join(pieces).replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(
        " ", ""
    )


def test_markdown_links_bold_and_bullets_become_mrkdwn() -> None:
    out = kb_markdown_to_mrkdwn("- **Bold** see [CPS](https://www.cps.gov.uk/x)\n- two")
    assert out == "• *Bold* see <https://www.cps.gov.uk/x|CPS>\n• two"


def test_every_entry_renders_within_block_kit_limits(kb: KnowledgeBase) -> None:
    for entry in kb.entries:
        blocks = entry_blocks(entry, today=date(2026, 11, 28))
        assert blocks[0]["type"] == "header" and len(blocks[0]["text"]["text"]) <= 150
        for block in blocks:
            if block["type"] == "section":
                assert 0 < len(block["text"]["text"]) <= 3000
        assert len(blocks) <= 50


def test_overdue_entries_say_so(kb: KnowledgeBase) -> None:
    entry = kb.entries[0]
    later = entry.review_by.replace(year=entry.review_by.year + 1)
    text = json.dumps(entry_blocks(entry, today=later))
    assert "Overdue for review" in text and "check current guidance" in text
    assert "Overdue" not in json.dumps(entry_blocks(entry, today=entry.reviewed))


def _reply(kb: KnowledgeBase, outcome: Outcome, **kw: object) -> str:
    entry = kb.entries[0]
    hit = Hit(entry=entry, score=0.9)
    args: dict[str, object] = dict(
        outcome=outcome,
        question_id=7,
        hits=[hit],
        best=hit,
        immediate_risk=False,
        network_name="Stalking Champions",
        subject="stalking and harassment",
        today=date(2026, 11, 28),
    )
    args.update(kw)
    return json.dumps(answer_reply(**args).blocks)  # type: ignore[arg-type]


def test_each_case_has_its_own_words(kb: KnowledgeBase) -> None:
    assert "That answers it" in _reply(kb, Outcome.ANSWERED)
    assert "live case" in _reply(kb, Outcome.LIVE_CASE)
    assert "isn't covered by the knowledge base yet" in _reply(kb, Outcome.NOT_COVERED, hits=[])
    uncovered = _reply(kb, Outcome.NOT_COVERED)
    assert "not sure the knowledge base answers this exactly" in uncovered
    # the closest entry is shown whole, flagged as possibly not what was asked
    assert "may not be exactly what you asked" in uncovered
    assert kb.entries[0].title in uncovered and "Sources:" in uncovered
    assert "That answers it" not in uncovered and "Ask a champion" in uncovered
    off = _reply(kb, Outcome.OFF_TOPIC)
    assert "not covered here" in off and "stalking and harassment" in off
    assert "immediate danger" in _reply(kb, Outcome.OFF_TOPIC, immediate_risk=True)


def test_echo_is_escaped(kb: KnowledgeBase) -> None:
    out = _reply(kb, Outcome.ANSWERED, echo="<!channel> hi")
    assert "<!channel>" not in out and "&lt;!channel&gt;" in out


def test_feedback_replaces_the_buttons(kb: KnowledgeBase) -> None:
    reply = answered_reply(
        entry=kb.entries[0], feedback=Feedback.HELPFUL, today=date(2026, 1, 1), question_id=1
    )
    text = json.dumps(reply.blocks)
    assert "That answers it" not in text and "glad that helped" in text
