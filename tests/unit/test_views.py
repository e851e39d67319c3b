"""Views are pure: escaping, splitting and Slack's limits."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date

from bot.domain import errors
from bot.knowledge import KnowledgeBase
from bot.knowledge.shown import Shown
from bot.models import Request, RequestStatus
from bot.views import notices
from bot.views.admin import review_reminder
from bot.views.answers import answer_reply, entry_blocks
from bot.views.errors import refusal
from bot.views.requests import detail_modal, reassign_modal, resolve_modal
from bot.views.text import chunks, escape, kb_markdown_to_mrkdwn, quote_user_text, truncate
from tests.conftest import ROOT


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


# Service errors, worded ------------------------------------------------------------------


def test_a_refusal_names_who_has_the_request_and_str_gives_the_same_words() -> None:
    taken = errors.AlreadyTaken(4, "claimed", "UCHAMP2")
    assert refusal(taken) == "Request #4 has already been claimed by <@UCHAMP2>."
    assert str(taken) == refusal(taken)  # the views installed their wording
    mine = errors.AlreadyTaken(4, "claimed", "UCHAMP2", by_caller=True)
    assert refusal(mine) == "Request #4 has already been claimed by you."
    assert refusal(errors.AlreadyTaken(4, "cancelled")) == (
        "Request #4 is cancelled; there is nothing to claim."
    )


def test_errors_carry_data_and_no_markup_of_their_own() -> None:
    taken = errors.AlreadyTaken(4, "claimed", "UCHAMP2")
    assert (taken.request_id, taken.holder) == (4, "UCHAMP2")
    assert "<" not in taken.plain() and "*" not in taken.plain()
    being_sent = errors.BeingSent("<!channel> New *guidance*")
    assert being_sent.plain().startswith("The broadcast is being sent right now")
    assert "<!channel>" not in being_sent.plain()


def test_a_broadcast_title_in_a_refusal_is_bold_and_can_ping_nobody() -> None:
    worded = refusal(errors.BeingSent("<!channel> & @here " + "t" * 300))
    assert worded.startswith("*&lt;!channel&gt; &amp; @\u2060here ")
    assert "<!channel>" not in worded and "is being sent right now" in worded
    assert len(worded) < 300  # the title is cut


def test_refusals_fill_in_their_fields() -> None:
    assert refusal(errors.WrongStatus(3, "open", "resolved")) == (
        "Request #3 is open, so it can't be resolved."
    )
    assert refusal(errors.NotAsker("cancel this request", or_lead=True)) == (
        "Only the officer who asked, or a lead, can cancel this request."
    )
    assert refusal(errors.RoleRequired(("champion", "lead"), "take requests")).startswith(
        "Only champions or leads can take requests."
    )
    assert refusal(errors.NotAUserId("<!here>")).startswith("'&lt;!here&gt;' is not a Slack")


def test_a_broadcast_refusal_names_at_most_five_leads() -> None:
    leads = tuple(f"ULEAD{i}" for i in range(7))
    worded = refusal(errors.NotLead(leads))
    assert worded.count("<@ULEAD") == 5 and "nothing has been posted" in worded
    assert refusal(errors.NotLead(())).endswith("send it to a lead.")


def test_an_error_without_its_own_words_says_its_plain_sentence() -> None:
    assert refusal(errors.ServiceError("Keep the area under 80 characters.")) == (
        "Keep the area under 80 characters."
    )
    assert refusal(errors.OutcomeMissing()).startswith("Add a short outcome")


# Notifications, rendered ----------------------------------------------------------------


def _request(**kw: object) -> Request:
    values: dict[str, object] = {
        "id": 12,
        "asker_id": "UOFFICER1",
        "champion_id": "UCHAMP1",
        "text": "he keeps turning up",
        "status": RequestStatus.CLAIMED,
        "claims": 1,
    }
    values.update(kw)
    return Request(**values)


def test_added_detail_is_quoted_line_by_line_and_escaped() -> None:
    reply = notices.detail_added(_request(), detail="first <!channel>\nsecond & third")
    body = reply.blocks[0]["text"]["text"]
    assert body == (
        "<@UOFFICER1> added detail to request *#12*:\n"
        "> first &lt;!channel&gt;\n> second &amp; third"
    )


def test_a_cancellation_says_who_cancelled() -> None:
    assert "a lead, has cancelled" in notices.cancelled(_request(), by="ULEAD1").text
    assert notices.cancelled(_request(), by="UOFFICER1").text == "Request *#12* is cancelled."


def test_a_reassignment_tells_each_side_who_has_it_now() -> None:
    req = _request(champion_id="UCHAMP2", claims=2)
    old = notices.handed_on_consult(req)
    assert old.text == "Request #12 was handed to another champion."
    assert "<@UCHAMP2>" in old.blocks[0]["text"]["text"]
    assert "<@UCHAMP1> has handed request *#12* to <@UCHAMP2>" in (
        notices.handed_on_officer(req, previous="UCHAMP1").text
    )
    assert notices.handed_to_you(req, previous="UCHAMP1").text == (
        "<@UCHAMP1> has handed you request *#12*."
    )


def test_the_review_reminder_counts_and_lists_the_entries(kb: KnowledgeBase) -> None:
    entry = kb.entries[0]
    one = review_reminder([entry])
    assert "*1 knowledge base entry is past review.*" in one.text
    assert f"`{entry.id}`" in one.blocks[0]["text"]["text"]
    assert "*2 knowledge base entries are past review.*" in review_reminder([entry, entry]).text


def test_modal_inputs_are_read_back_under_value() -> None:
    blocks = resolve_modal(5)["blocks"]
    assert blocks[0]["block_id"] == "outcome" and blocks[0]["element"]["action_id"] == "value"
    assert blocks[0]["element"]["max_length"] == 1000
    assert reassign_modal(5)["blocks"][0]["element"]["type"] == "users_select"
    detail = detail_modal(5)["blocks"][0]
    assert detail["block_id"] == "detail" and detail["element"]["max_length"] == 3000


def test_without_the_views_an_error_reads_as_a_plain_sentence() -> None:
    # A fresh interpreter that never loads bot.views (as the command line does not).
    code = (
        "import sys; from bot.domain import errors as e; "
        "print(str(e.AlreadyTaken(4, 'claimed', 'U2'))); print(str(e.ServiceError('As given.'))); "
        "print('bot.views' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout.splitlines()
    assert out == ["Someone else claimed the request first.", "As given.", "False"]


def test_question_refusals_are_worded_from_their_data() -> None:
    from bot.domain.errors import EmptyQuestion, QuestionTooLong
    from bot.views.errors import refusal

    assert refusal(EmptyQuestion("stalking and harassment")).startswith(
        "Ask me a question about stalking and harassment, for example"
    )
    long = refusal(QuestionTooLong(50_000, 4_000))
    assert long.startswith("That message is 50,000 characters") and "leave out names" in long
