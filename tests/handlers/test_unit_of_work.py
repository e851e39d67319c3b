"""The unit of work around every listener, in-process: commit, delivery after commit, repeated
events, and the central error mapping (refusals, stale buttons, failures with a reference)."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import func, select

from bot.models import AuditEvent, InboxItem, OutboxMessage, OutboxStatus, Question, Role
from bot.services import roster
from bot.views import ids
from tests.conftest import CHAMPION, LEAD, OFFICER, DispatchedApp
from tests.handlers.support import LIVE, QUESTION, button_value, click, count, posted


def test_a_dm_is_answered_after_its_question_is_committed(
    bolt: DispatchedApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[int] = []
    call = WebClient.api_call

    def check_then_post(self: WebClient, api_method: str, **kwargs: Any) -> Any:
        # The reply carries the question's buttons: the question must already be in the
        # database when anyone can see them.
        if api_method == "chat.postMessage":
            seen.append(count(bolt, Question))
        return call(self, api_method, **kwargs)

    monkeypatch.setattr(WebClient, "api_call", check_then_post)
    bolt.slack.dm(user=OFFICER, channel=bolt.im(OFFICER), text=QUESTION)
    bolt.settle()
    assert seen == [1]
    (reply,) = posted(bolt, bolt.im(OFFICER))
    assert button_value(reply, ids.FEEDBACK_HELPFUL).isdigit()


def test_outbox_rows_go_to_the_worker_only_after_the_commit(bolt: DispatchedApp) -> None:
    with bolt.runtime.db.session() as s:
        roster.add(session=s, slack_user_id=CHAMPION, role=Role.CHAMPION)
    handed: list[tuple[list[int], int]] = []
    submit = bolt.runtime.worker.submit

    def record(ids_: Any) -> None:
        ids_ = list(ids_)
        with bolt.runtime.db.session() as s:  # another session sees only what is committed
            committed = s.scalar(select(func.count()).where(OutboxMessage.id.in_(ids_)))
        handed.append((ids_, int(committed or 0)))
        submit(ids_)

    bolt.runtime.worker.submit = record  # type: ignore[method-assign]
    bolt.slack.dm(user=OFFICER, channel=bolt.im(OFFICER), text=LIVE)
    bolt.settle()
    ((queued, committed),) = handed
    assert queued and committed == len(queued)
    with bolt.runtime.db.session() as s:
        statuses = set(s.scalars(select(OutboxMessage.status).where(OutboxMessage.id.in_(queued))))
    assert statuses == {OutboxStatus.SENT}  # delivered by the worker, no sweep needed
    assert posted(bolt, "CQUEUE"), "the queue heard of the request"


def test_a_repeated_event_is_answered_once_and_marked_handled(bolt: DispatchedApp) -> None:
    for retry in (None, 1):
        resp = bolt.slack.dm(
            user=OFFICER,
            channel=bolt.im(OFFICER),
            text=QUESTION,
            event_id="Ev0REPEATED",
            retry_num=retry,
        )
        assert resp.status == 200
        bolt.settle()
    assert len(posted(bolt, bolt.im(OFFICER))) == 1
    with bolt.runtime.db.session() as s:
        (row,) = s.scalars(select(InboxItem).where(InboxItem.event_id == "Ev0REPEATED"))
        assert row.handled_at is not None and row.body is None


def test_the_inbox_rows_of_received_requests_are_committed_by_the_group_commit(
    bolt: DispatchedApp,
) -> None:
    """Every request's row goes through `runtime.acks`, a repeat included (refused there)."""
    for retry in (None, 1):
        bolt.slack.dm(
            user=OFFICER,
            channel=bolt.im(OFFICER),
            text=QUESTION,
            event_id="Ev0GROUP",
            retry_num=retry,
        )
        bolt.settle()
    assert bolt.runtime.acks.batches == 2
    assert count(bolt, InboxItem) == 1


def test_a_refusal_is_an_ephemeral_reply_and_nothing_is_kept(
    bolt: DispatchedApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.services import ServiceError, audit, availability

    def write_then_refuse(*, session: Any, user_id: str, **_: Any) -> None:
        audit.record(
            session=session, actor_id=user_id, action="test", subject_type="t", subject_id=1
        )
        raise ServiceError("Not today.")

    monkeypatch.setattr(availability, "set_duty", write_then_refuse)
    before = count(bolt, AuditEvent)
    resp = bolt.slack.command(
        "/champion", "on", user=OFFICER, channel="CGENERAL", response_url=bolt.emu.response_url()
    )
    assert resp.status == 200
    bolt.settle()
    (response,) = bolt.emu.responses
    assert response.body["text"] == "Not today."
    assert response.body.get("response_type") == "ephemeral"
    assert count(bolt, AuditEvent) == before  # what it wrote before refusing was rolled back


def test_an_officer_setting_availability_is_refused(bolt: DispatchedApp) -> None:
    resp = bolt.slack.command(
        "/champion", "on", user=OFFICER, channel="CGENERAL", response_url=bolt.emu.response_url()
    )
    assert resp.status == 200
    bolt.settle()
    (response,) = bolt.emu.responses
    assert response.body["text"].startswith("Only champions set availability")


def test_a_refused_form_shows_the_refusal_on_its_field(bolt: DispatchedApp) -> None:
    view = {
        "type": "modal",
        "callback_id": ids.RESOLVE_MODAL,
        "private_metadata": '{"request_id": 99}',
    }
    view["blocks"] = [{"type": "input", "block_id": "outcome"}]
    typed = {"outcome": {"value": {"type": "plain_text_input", "value": "done"}}}
    resp = bolt.slack.view_submission(user=OFFICER, view=view, values=typed)
    assert resp.status == 200
    answer = resp.json()
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"outcome"} and answer["errors"]["outcome"]


@pytest.mark.parametrize("value", ["", "abc", "-3", "12:x"])
def test_a_malformed_button_value_is_out_of_date(bolt: DispatchedApp, value: str) -> None:
    (response,) = click(bolt, OFFICER, ids.FEEDBACK_HELPFUL, value)
    assert "out of date" in response.body["text"]


def test_a_value_error_inside_a_service_is_a_failure_not_a_stale_button(
    bolt: DispatchedApp, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.services import questions

    def broken(**_: Any) -> None:
        raise ValueError("invalid literal for int() with base 10: 'secret detail'")

    monkeypatch.setattr(questions, "give_feedback", broken)
    with caplog.at_level(logging.INFO):
        (response,) = click(bolt, OFFICER, ids.FEEDBACK_HELPFUL, "7")
    text = response.body["text"]
    assert "out of date" not in text
    reference = re.search(r"reference ([0-9a-f]{8})", text)
    assert reference, text
    (line,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    message = line.getMessage()
    assert reference.group(1) in message and "ValueError" in message
    assert "on_helpful" in message
    assert "secret detail" not in caplog.text


def test_an_unexpected_failure_is_logged_by_reference_without_the_question(
    bolt: DispatchedApp, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.services import questions

    def broken(**kwargs: Any) -> None:
        raise RuntimeError(f"could not handle {kwargs['text']!r}")

    monkeypatch.setattr(questions, "handle", broken)
    with caplog.at_level(logging.INFO):
        bolt.slack.dm(
            user=OFFICER, channel=bolt.im(OFFICER), text="my neighbour Jane Doe follows me"
        )
        bolt.settle()
    (reply,) = posted(bolt, bolt.im(OFFICER))
    reference = re.search(r"reference ([0-9a-f]{8})", reply.args["text"])
    assert reference and "Something went wrong on our side" in reply.args["text"]
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert errors and reference.group(1) in errors[0].getMessage()
    assert "RuntimeError at" in errors[0].getMessage()  # where it failed, not what it held
    assert "Jane Doe" not in caplog.text
    assert count(bolt, Question) == 0


def test_the_lead_sees_the_figures_and_an_officer_is_refused(bolt: DispatchedApp) -> None:
    with bolt.runtime.db.session() as s:
        roster.add(session=s, slack_user_id=LEAD, role=Role.LEAD)
    for user in (OFFICER, LEAD):
        url = bolt.emu.response_url(user)
        bolt.slack.command("/champbot", "stats", user=user, channel="CGENERAL", response_url=url)
        bolt.settle()
    refused, shown = (r.body["text"] for r in bolt.emu.responses)
    assert refused.startswith("Only admins or leads can see the figures")
    assert "Questions in the last 30 days" in shown


def test_a_slow_delivery_never_holds_a_listener_thread(
    bolt: DispatchedApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from bot.delivery import Delivery

    with bolt.runtime.db.session() as s:
        roster.add(session=s, slack_user_id=CHAMPION, role=Role.CHAMPION)
    release = threading.Event()
    deliver = Delivery.deliver

    def slow(self: Delivery, *args: Any, **kwargs: Any) -> Any:
        release.wait(timeout=30)  # a broadcast to a thousand champions, say
        return deliver(self, *args, **kwargs)

    monkeypatch.setattr(Delivery, "deliver", slow)
    bolt.slack.dm(user=OFFICER, channel=bolt.im(OFFICER), text=LIVE)  # queues notices
    bolt.slack.dm(user=OFFICER, channel=bolt.im(OFFICER), text=QUESTION)
    for future in bolt.executor.futures:
        future.result(timeout=10)
    assert bolt.runtime.work_pool.wait_idle(10)  # every unit has finished while delivery waits
    # Both questions are recorded, their answers and the notices still with the worker.
    assert count(bolt, Question) == 2
    assert not posted(bolt, bolt.im(OFFICER)) and not posted(bolt, "CQUEUE")
    release.set()
    bolt.settle()
    assert posted(bolt, "CQUEUE")
    assert len(posted(bolt, bolt.im(OFFICER))) == 2


def _blocking_ask(monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    """`questions.handle` held until the returned event is set; the second value counts calls."""
    import threading

    from bot.services import questions

    release, started = threading.Event(), threading.Semaphore(0)
    ask = questions.handle

    def held(**kwargs: Any) -> Any:
        started.release()
        release.wait(timeout=30)
        return ask(**kwargs)

    monkeypatch.setattr(questions, "handle", held)
    return release, started


def test_acks_never_wait_for_listeners_work(
    bolt: DispatchedApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sixteen `/faq` commands whose work is held: all sixteen are acked at once, though Bolt
    has eight threads, and every one is answered once the work may go on."""
    import time
    from concurrent.futures import ThreadPoolExecutor

    release, started = _blocking_ask(monkeypatch)

    def faq(n: int) -> tuple[int, float]:
        begun = time.monotonic()
        resp = bolt.slack.command(
            "/faq",
            QUESTION,
            user=OFFICER,
            channel="CGENERAL",
            response_url=bolt.emu.response_url(f"faq-{n}"),
        )
        return resp.status, time.monotonic() - begun

    try:
        with ThreadPoolExecutor(max_workers=8) as clients:
            first = list(clients.map(faq, range(8)))  # Bolt's eight threads' worth, held
            second = list(clients.map(faq, range(8, 16)))
        assert [status for status, _ in first + second] == [200] * 16
        assert max(took for _, took in first + second) < 1.0, first + second
        assert not bolt.emu.responses  # none answered yet: the work is still held
        assert started.acquire(timeout=5)  # ... and it did start, elsewhere than Bolt's threads
    finally:
        release.set()
    bolt.settle()
    assert len(bolt.emu.responses) == 16


def test_runtime_close_lets_acked_work_finish_then_stops_the_pool(
    bolt: DispatchedApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading
    import time

    release, started = _blocking_ask(monkeypatch)
    resp = bolt.slack.command(
        "/faq", QUESTION, user=OFFICER, channel="CGENERAL", response_url=bolt.emu.response_url()
    )
    assert resp.status == 200
    assert started.acquire(timeout=5)
    closing = threading.Thread(target=bolt.runtime.close)
    closing.start()
    time.sleep(0.3)
    assert closing.is_alive()  # close waits for the work it acked
    release.set()
    closing.join(timeout=10)
    assert not closing.is_alive()
    assert len(bolt.emu.responses) == 1  # the acked command was answered before close returned
    assert bolt.runtime.work_pool.closed
    deadline = time.monotonic() + 5
    while any(t.name.startswith("unit") for t in threading.enumerate()):
        assert time.monotonic() < deadline, "the work pool's threads outlived close()"
        time.sleep(0.05)
