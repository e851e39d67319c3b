"""Views are pure: escaping, splitting and Slack's limits."""

from __future__ import annotations

import json
from datetime import date

from bot.knowledge import KnowledgeBase
from bot.knowledge.shown import Shown
from bot.views.answers import answer_reply, entry_blocks
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


def _reply(kb: KnowledgeBase, case: str, **kw: object) -> str:
    fields: dict[str, object] = {"entries": (kb.entries[0],)}
    fields.update(kw)
    shown = Shown(case, 7, **fields)  # type: ignore[arg-type]
    reply = answer_reply(
        shown,
        network_name="Stalking Champions",
        subject="stalking and harassment",
        today=date(2026, 11, 28),
    )
    return json.dumps(reply.blocks) + reply.text


def test_each_case_has_its_own_words(kb: KnowledgeBase) -> None:
    assert "That answers it" in _reply(kb, "answered")
    assert "live case" in _reply(kb, "live_case")
    uncovered = _reply(kb, "not_covered", entries=(), also=kb.entries[:2])
    assert "isn't covered by the knowledge base yet" in uncovered
    # the closest entries are a tap away, never shown whole as if they were the answer
    assert "Sources:" not in uncovered and '"header"' not in uncovered
    assert f"{7}:{kb.entries[1].id}" in uncovered and "show_entry" in uncovered
    assert "That answers it" not in uncovered and "Ask a champion" in uncovered
    off = _reply(kb, "off_topic", entries=())
    assert "not covered here" in off and "stalking and harassment" in off
    assert "immediate danger" in _reply(kb, "off_topic", entries=(), immediate_risk=True)


def test_echo_is_escaped(kb: KnowledgeBase) -> None:
    out = _reply(kb, "answered", echo="<!channel> hi")
    assert "<!channel>" not in out and "&lt;!channel&gt;" in out


def test_feedback_replaces_the_buttons(kb: KnowledgeBase) -> None:
    text = _reply(kb, "answered", helpful=True)
    assert "That answers it" not in text and "glad that helped" in text
    assert kb.entries[0].title in text and "Sources:" in text
    unhelpful = _reply(kb, "answered", helpful=False)
    assert "passed this to the people" in unhelpful and "Ask a champion" in unhelpful
