"""Officers' questions end to end: signed HTTP in, Web API calls out, against the emulation."""

from __future__ import annotations

import json
import logging
import time

import pytest
from sqlalchemy import func, select

from bot.models import CurationItem, CurationReason, Feedback, Outcome, Question, Request
from tests.conftest import OFFICER, OTHER_OFFICER, RunningApp
from tests.e2e.helpers import blocks_of, buttons, posts, posts_to, responses, updates_of

GENERAL = "whats the difference between stalking and harassment?"
OFF_TOPIC = "where do i get a parking permit at HQ"


def all_text(blocks: list[dict]) -> str:  # type: ignore[type-arg]
    return json.dumps(blocks)


def questions_in(app: RunningApp) -> list[Question]:
    with app.runtime.db.session() as s:
        return list(s.scalars(select(Question).order_by(Question.id)))


def test_dm_is_answered_from_the_knowledge_base(app: RunningApp) -> None:
    channel = app.im(OFFICER)
    started = time.perf_counter()
    resp = app.slack.dm(user=OFFICER, channel=channel, text=GENERAL)
    assert resp.status == 200
    assert time.perf_counter() - started < 3  # acked well inside Slack's 3 seconds
    (call,) = posts(app)
    assert call.args["channel"] == channel
    blocks = blocks_of(call)
    # the entry, led by *Ask a champion* when its topic turns on the facts of a case
    assert blocks[0]["type"] == "header" or "Ask a champion" in blocks[0]["text"]["text"]
    assert any(b["type"] == "header" for b in blocks)
    assert "Sources:" in all_text(blocks) and "Last reviewed" in all_text(blocks)
    assert set(buttons(blocks)) == {"That answers it", "Not what I needed", "Ask a champion"}
    (question,) = questions_in(app)
    assert question.outcome is Outcome.ANSWERED and question.entry_id
    assert question.asker_id == OFFICER


def test_mention_is_answered_in_a_thread(app: RunningApp) -> None:
    resp = app.slack.mention(user=OFFICER, channel="CGENERAL", text="what is an SPO?")
    assert resp.status == 200
    (call,) = posts(app)
    assert call.args["channel"] == "CGENERAL"
    assert call.args.get("thread_ts")
    assert blocks_of(call)[0]["type"] == "header"
    (question,) = questions_in(app)
    assert question.surface.value == "mention" and question.outcome is Outcome.ANSWERED


def test_ask_and_faq_answer_ephemerally(app: RunningApp) -> None:
    for command in ("/ask", "/faq"):
        url = app.emu.response_url(command)
        resp = app.slack.command(
            command, "max sentence for s4a", user=OFFICER, channel="CGENERAL", response_url=url
        )
        assert resp.status == 200
    (first, second) = responses(app, count=2)
    for response in (first, second):
        body = response.body
        assert body["response_type"] == "ephemeral"
        assert any(b["type"] == "header" for b in body["blocks"])
        assert "You asked" in json.dumps(body["blocks"])
    # the two commands are handled concurrently: either may be stored first
    assert sorted(q.surface.value for q in questions_in(app)) == ["ask", "faq"]


def test_feedback_is_recorded_and_only_the_asker_counts(app: RunningApp) -> None:
    channel = app.im(OFFICER)
    app.slack.dm(user=OFFICER, channel=channel, text=GENERAL)
    (call,) = posts(app)
    value = buttons(blocks_of(call))["Not what I needed"]
    ts = call.response["ts"]

    # Someone else clicking is told politely and changes nothing.
    url = app.emu.response_url("other")
    app.slack.block_action(
        user=OTHER_OFFICER,
        action_id="feedback_not_helpful",
        value=value,
        response_url=url,
        channel=channel,
        message_ts=ts,
    )
    (refusal,) = responses(app)
    assert "Only the officer who asked" in refusal.body["text"]
    assert refusal.body.get("replace_original") is False

    # The asker's click, twice (a double click), records once and replaces the buttons.
    for _ in range(2):
        app.slack.block_action(
            user=OFFICER,
            action_id="feedback_not_helpful",
            value=value,
            response_url=app.emu.response_url("asker"),
            channel=channel,
            message_ts=ts,
        )
    updates = app.emu.wait_for(
        lambda e: (lambda c: c if len(c) >= 2 else None)(e.find_calls("chat.update"))
    )
    assert "passed this to the people who keep the knowledge base" in json.dumps(
        blocks_of(updates[-1])
    )
    assert "That answers it" not in json.dumps(blocks_of(updates[-1]))
    (question,) = questions_in(app)
    assert question.feedback is Feedback.NOT_HELPFUL
    with app.runtime.db.session() as s:
        reasons = list(s.scalars(select(CurationItem.reason)))
    assert reasons == [CurationReason.NOT_HELPFUL]


def test_helpful_feedback(app: RunningApp) -> None:
    channel = app.im(OFFICER)
    app.slack.dm(user=OFFICER, channel=channel, text="how long does an SPO last")
    (call,) = posts(app)
    value = buttons(blocks_of(call))["That answers it"]
    app.slack.block_action(
        user=OFFICER,
        action_id="feedback_helpful",
        value=value,
        response_url=app.emu.response_url("x"),
        channel=channel,
        message_ts=call.response["ts"],
    )
    app.emu.wait_for(lambda e: e.find_calls("chat.update"))
    assert questions_in(app)[0].feedback is Feedback.HELPFUL


RISKY = (
    "he is outside her house right now threatening to kill her, can i arrest him for breaching "
    "the spo"
)


def test_an_answer_keeps_its_risk_line_and_request_number_after_feedback(app: RunningApp) -> None:
    channel = app.im(OFFICER)
    app.slack.dm(user=OFFICER, channel=channel, text=RISKY)
    call = posts_to(app, channel, "request #")
    first = blocks_of(call)
    assert "immediate danger" in first[0]["text"]["text"]
    (question,) = questions_in(app)
    with app.runtime.db.session() as s:
        request_id = s.scalar(select(Request.id).where(Request.question_id == question.id))
    assert request_id is not None and f"request #{request_id}" in all_text(first)
    title = next(b["text"]["text"] for b in first if b["type"] == "header")

    app.slack.block_action(
        user=OFFICER,
        action_id="feedback_helpful",
        value=buttons(first)["That answers it"],
        response_url=app.emu.response_url("rate"),
        channel=channel,
        message_ts=call.response["ts"],
    )
    update = updates_of(app, channel, call.response["ts"], "glad that helped")
    after = blocks_of(update)
    # the same reply, with only the buttons replaced by the verdict
    assert "immediate danger" in after[0]["text"]["text"]
    assert f"request #{request_id}" in all_text(after)
    assert title in all_text(after) and "Sources:" in all_text(after)
    assert "That answers it" not in buttons(after)
    assert "999" in update.args["text"]


def requests_in(app: RunningApp) -> list[Request]:
    with app.runtime.db.session() as s:
        return list(s.scalars(select(Request).order_by(Request.id)))


def test_greetings_and_help_get_an_introduction(app: RunningApp) -> None:
    channel = app.im(OFFICER)
    greetings = ["hi", "thanks!", "help", "what can you do?"]
    for n, text in enumerate(greetings, 1):
        app.slack.dm(user=OFFICER, channel=channel, text=text)
        posts(app, count=n)
    for call in posts(app, count=len(greetings)):
        text = all_text(blocks_of(call))
        assert "I answer general questions about" in text and "Ask a champion" in text
        examples = next(b["text"]["text"] for b in blocks_of(call) if "example" in str(b))
        assert examples.count("\u2022") == 3  # three example questions
        assert "not covered" not in text.lower() and "isn't covered" not in text
        assert buttons(blocks_of(call)) == {}
    assert questions_in(app) == [] and requests_in(app) == []


def test_an_entry_that_turns_on_the_facts_leads_with_ask_a_champion(app: RunningApp) -> None:
    channel = app.im(OFFICER)
    app.slack.dm(user=OFFICER, channel=channel, text="what is the penalty for breaching an spo")
    (call,) = posts(app)
    blocks = blocks_of(call)
    (question,) = questions_in(app)
    entry = app.runtime.kb.get(question.entry_id or "")
    assert entry is not None and entry.refer_to_champion
    assert blocks[0]["type"] == "section" and "Ask a champion" in blocks[0]["text"]["text"]
    assert "facts of your case" in blocks[0]["text"]["text"]
    assert blocks[0]["accessory"]["action_id"] == "ask_champion"
    assert call.args["text"].startswith("Ask a champion")

    app.slack.dm(user=OFFICER, channel=channel, text="how long does an spo last")
    ordinary = blocks_of(posts(app, count=2)[1])
    assert ordinary[0]["type"] == "header"


def test_a_close_runner_up_is_one_tap_away(app: RunningApp) -> None:
    channel = app.im(OFFICER)
    app.slack.dm(user=OFFICER, channel=channel, text="does an english spo work in scotland")
    (call,) = posts(app)
    blocks = blocks_of(call)
    assert "Also:" in all_text(blocks)
    value = buttons(blocks)["Show"]
    assert value.endswith(":scotland-protective-orders")
    app.slack.block_action(
        user=OFFICER,
        action_id="show_entry",
        value=value,
        response_url=app.emu.response_url("show"),
        channel=channel,
        message_ts=call.response["ts"],
    )
    (shown,) = responses(app)
    title = app.runtime.kb.get("scotland-protective-orders").title  # type: ignore[union-attr]
    assert shown.body["blocks"][0]["text"]["text"] == title


def test_two_entries_that_answer_between_them_are_both_shown(app: RunningApp) -> None:
    app.slack.dm(
        user=OFFICER,
        channel=app.im(OFFICER),
        text="how long does an spo last and can it be varied",
    )
    (call,) = posts(app)
    headers = [b["text"]["text"] for b in blocks_of(call) if b["type"] == "header"]
    kb = app.runtime.kb
    assert headers == [
        kb.get("spo-duration").title,  # type: ignore[union-attr]
        kb.get("spo-variation-discharge-appeal").title,  # type: ignore[union-attr]
    ]


@pytest.mark.parametrize(
    "text",
    [
        "what are the notification requirements for a registered sex offender",
        "whats the max sentence for burglary",
        "when is the next shift rota out",
    ],
)
def test_other_parts_of_policing_are_declined_and_never_routed(app: RunningApp, text: str) -> None:
    app.slack.dm(user=OFFICER, channel=app.im(OFFICER), text=text)
    (call,) = posts(app)
    assert "not covered here" in all_text(blocks_of(call))
    assert '"header"' not in all_text(blocks_of(call))
    assert [q.outcome for q in questions_in(app)] == [Outcome.OFF_TOPIC]
    assert requests_in(app) == []


def test_neutral_words_change_neither_the_case_nor_the_entry(app: RunningApp) -> None:
    channel = app.im(OFFICER)
    question = "do incidents from before 2017 count for the 4a max"
    for n, text in enumerate((question, f"URGENT {question} (job ref 1006)"), 1):
        app.slack.dm(user=OFFICER, channel=channel, text=text)
        posts(app, count=n)
    plain, wrapped = (blocks_of(c) for c in posts(app, count=2))
    assert plain[0]["type"] == "header" and wrapped[0] == plain[0]
    first, second = questions_in(app)
    assert (first.outcome, first.entry_id) == (second.outcome, second.entry_id)


def test_a_live_case_with_a_job_reference_still_reaches_a_champion(app: RunningApp) -> None:
    channel = app.im(OFFICER)
    text = (
        "hi, my victim says her ex keeps turning up at her work, what should i charge him with "
        "(job ref 1006) thanks"
    )
    app.slack.dm(user=OFFICER, channel=channel, text=text)
    call = posts_to(app, channel, "live case")
    (request,) = requests_in(app)
    assert f"request #{request.id}" in all_text(blocks_of(call))
    assert questions_in(app)[0].outcome is Outcome.LIVE_CASE


def test_off_topic_is_told_so_and_not_answered(app: RunningApp) -> None:
    app.slack.dm(user=OFFICER, channel=app.im(OFFICER), text=OFF_TOPIC)
    (call,) = posts(app)
    text = all_text(blocks_of(call))
    assert "not covered here" in text and "stalking and harassment" in text
    assert '"header"' not in text
    assert questions_in(app)[0].outcome is Outcome.OFF_TOPIC


def test_no_confident_match_is_answered_honestly_and_kept(app: RunningApp) -> None:
    app.slack.dm(
        user=OFFICER,
        channel=app.im(OFFICER),
        text="can we seize a stalker's drone",
    )
    (call,) = posts(app)
    question = questions_in(app)[0]
    assert question.outcome is Outcome.NOT_COVERED, question.outcome
    blocks = blocks_of(call)
    text = all_text(blocks)
    assert "isn't covered by the knowledge base yet" in text
    # the closest entries are offered a tap away, never shown whole as if they answered it
    assert '"header"' not in text and "Sources:" not in text
    closest = [v.partition(":")[2] for k, v in buttons(blocks).items() if k == "Show"]
    assert closest and closest[0] in question.closest.split(",")
    with app.runtime.db.session() as s:
        assert s.scalar(select(func.count()).select_from(CurationItem)) == 1


def test_live_case_points_to_a_champion(app: RunningApp) -> None:
    app.slack.dm(
        user=OFFICER,
        channel=app.im(OFFICER),
        text="my victim says her ex keeps turning up at her work, what should i charge him with",
    )
    # The answer, in the DM asked in (the request's notices go out beside it).
    call = posts_to(app, app.im(OFFICER))
    assert "live case" in all_text(blocks_of(call))
    assert questions_in(app)[0].outcome is Outcome.LIVE_CASE
    # It became a request for the champions, numbered in the reply.
    with app.runtime.db.session() as s:
        made = list(s.scalars(select(Request)))
    assert len(made) == 1 and made[0].asker_id == OFFICER
    assert "turning up at her work" in made[0].text
    assert f"#{made[0].id}" in all_text(blocks_of(call))


def test_immediate_risk_is_said_first(app: RunningApp) -> None:
    app.slack.dm(
        user=OFFICER,
        channel=app.im(OFFICER),
        text="he is outside her house right now threatening to kill her",
    )
    call = posts_to(app, app.im(OFFICER))
    assert "immediate danger" in blocks_of(call)[0]["text"]["text"]


def test_bad_and_stale_signatures_are_refused_without_any_web_api_call(app: RunningApp) -> None:
    channel = app.im(OFFICER)
    bad = app.slack.dm(user=OFFICER, channel=channel, text=GENERAL, secret="wrong-secret")
    stale = app.slack.dm(
        user=OFFICER, channel=channel, text=GENERAL, timestamp=int(time.time()) - 60 * 10
    )
    assert (bad.status, stale.status) == (401, 401)
    time.sleep(0.3)
    assert app.emu.calls == []
    assert questions_in(app) == []


def test_url_verification_echoes_the_challenge(app: RunningApp) -> None:
    resp = app.slack.url_verification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P")
    assert resp.status == 200
    assert "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in resp.body


def test_an_event_delivered_three_times_is_answered_once(app: RunningApp) -> None:
    channel = app.im(OFFICER)
    for retry in (None, 1, 2):
        resp = app.slack.dm(
            user=OFFICER, channel=channel, text=GENERAL, event_id="EvSAME0001", retry_num=retry
        )
        assert resp.status == 200
    posts(app)
    time.sleep(0.5)
    assert len(app.emu.find_calls("chat.postMessage")) == 1
    assert len(questions_in(app)) == 1


def test_hostile_text_cannot_ping_mention_or_forge_links(app: RunningApp) -> None:
    hostile = "<!channel> <!here> <@U999999> <http://evil.example|gov.uk> &lt;!everyone&gt; spo?"
    url = app.emu.response_url("hostile")
    app.slack.command("/ask", hostile, user=OFFICER, channel="CGENERAL", response_url=url)
    app.slack.mention(user=OFFICER, channel="CGENERAL", text=hostile)
    (response,) = responses(app)
    (call,) = posts(app)
    for payload in (json.dumps(response.body), json.dumps(call.args)):
        for forbidden in ("<!channel>", "<!here>", "<!everyone>", "<@U999999>", "<http://evil"):
            assert forbidden not in payload
    assert "&lt;!everyone&gt;" in json.dumps(response.body)  # shown, harmlessly escaped


def test_huge_and_control_character_text_is_handled_cleanly(app: RunningApp) -> None:
    channel = app.im(OFFICER)
    app.slack.dm(user=OFFICER, channel=channel, text="stalking " * 6000)  # ~54,000 characters
    (call,) = posts(app)
    assert "too long for me to search" in call.args["text"]
    assert questions_in(app) == []

    app.slack.dm(user=OFFICER, channel=channel, text="what\x00 is\x1b an\u202e spo\x07")
    calls = posts(app, count=2)
    assert blocks_of(calls[1])[0]["type"] == "header"
    stored = questions_in(app)[0].text or ""
    assert all(ord(ch) >= 32 for ch in stored) and "\u202e" not in stored


def test_a_429_from_slack_is_retried_and_delivered_once(app: RunningApp) -> None:
    app.emu.inject("chat.postMessage", status=429, retry_after=1, times=1)
    app.slack.dm(user=OFFICER, channel=app.im(OFFICER), text=GENERAL)
    (delivered,) = posts(app, timeout=10)
    attempts = app.emu.find_calls("chat.postMessage")
    assert [c.ok for c in attempts] == [False, True]
    assert delivered.args["channel"] == app.im(OFFICER)


def test_a_500_from_slack_is_retried(app: RunningApp) -> None:
    app.emu.inject("chat.postMessage", status=500, times=1)
    app.slack.dm(user=OFFICER, channel=app.im(OFFICER), text=GENERAL)
    posts(app, timeout=10)
    assert [c.ok for c in app.emu.find_calls("chat.postMessage")] == [False, True]


def test_home_tab_shows_recent_questions(app: RunningApp) -> None:
    app.slack.dm(user=OFFICER, channel=app.im(OFFICER), text=GENERAL)
    posts(app)
    app.slack.home_opened(user=OFFICER, channel=app.im(OFFICER))
    (publish,) = app.emu.wait_for(lambda e: e.find_calls("views.publish"))
    view = publish.args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert "Your recent questions" in json.dumps(view) and "answered" in json.dumps(view)


def test_healthz(app: RunningApp) -> None:
    import urllib.request

    with urllib.request.urlopen(app.base_url + "/healthz", timeout=5) as resp:
        assert resp.status == 200 and json.loads(resp.read())["ok"] is True


def test_question_text_and_tokens_never_reach_the_log(
    app: RunningApp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    secret_words = "what is an spo, asks zebra-crossing-marker"
    app.slack.dm(user=OFFICER, channel=app.im(OFFICER), text=secret_words)
    posts(app)
    app.slack.dm(user=OFFICER, channel=app.im(OFFICER), text=secret_words, secret="bad")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "question 1 via dm" in logged
    assert "zebra-crossing-marker" not in logged
    assert app.runtime.settings.bot_token not in logged
    assert app.runtime.settings.signing_secret not in logged
