"""Central error mapping: a refusal becomes a polite reply where the person is looking; any other
failure is logged with a short reference (never the payload) and the person gets the reference."""

from __future__ import annotations

import logging
import secrets
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.views.answers import notice
from bot.views.replies import failed, notice_modal

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Where:
    """How a listener's refusals are shown: on a form's fields (`errors_block`, the block that
    takes errors no other block claims), or as a small modal (`title`) in place of the view."""

    errors_block: str | None = None
    title: str = "Champion Network"


@dataclass(frozen=True)
class Call:
    """The parts of one Bolt call an error reply needs."""

    body: dict[str, Any]
    ack: Ack
    respond: Respond
    client: WebClient


def tell(call: Call, where: Where, text: str, errors: dict[str, str] | None = None) -> None:
    """Show `text` (or, on a form, `errors` by block) to the person behind `call`."""
    body = call.body
    kind = body.get("type")
    try:
        if kind == "view_submission":
            _tell_form(call, where, text, errors)
        elif kind == "event_callback":
            _tell_event(call.client, body.get("event") or {}, text)
        elif body.get("response_url"):
            if "command" in body:
                call.respond(text=text, response_type="ephemeral")
            else:
                call.respond(text=text, response_type="ephemeral", replace_original=False)
        elif body.get("trigger_id"):  # App Home or a modal: no message to reply under
            call.client.views_open(
                trigger_id=body["trigger_id"], view=notice_modal(text, title=where.title)
            )
    except SlackApiError as exc:
        log.warning("could not tell the user: %s", exc.response.get("error"))


def _tell_form(call: Call, where: Where, text: str, errors: dict[str, str] | None) -> None:
    if call.ack.response is not None:
        log.warning("a form's refusal came after its ack; the person was not told")
        return
    if where.errors_block is None:
        call.ack(response_action="update", view=notice_modal(text, title=where.title))
        return
    view = call.body.get("view") or {}
    present = {b.get("block_id") for b in view.get("blocks", [])}
    placed: dict[str, str] = {}
    for block, message in (errors or {where.errors_block: text}).items():
        key = block if block in present else where.errors_block
        placed[key] = f"{placed[key]} {message}" if key in placed else message
    call.ack(response_action="errors", errors={k: v[:150] for k, v in placed.items()})


def _tell_event(client: WebClient, event: dict[str, Any], text: str) -> None:
    channel = event.get("channel")
    if not isinstance(channel, str) or event.get("type") not in ("message", "app_mention"):
        return
    reply = notice(text)
    thread = event.get("thread_ts") or event.get("ts") if event["type"] == "app_mention" else None
    client.chat_postMessage(
        channel=channel,
        thread_ts=str(thread) if thread else None,
        text=reply.text,
        blocks=reply.blocks,
    )


def failure(call: Call, where: Where, listener: str, error: BaseException) -> str:
    """Log an unexpected failure by kind and place only (its message may hold what someone
    typed), tell the person its reference, and return the reference."""
    reference = secrets.token_hex(4)
    frames = traceback.extract_tb(error.__traceback__)[-4:]
    at = " < ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(frames))
    log.error(
        "%s failed (reference %s): %s at %s",
        listener,
        reference,
        type(error).__name__,
        at,
        exc_info=log.isEnabledFor(logging.DEBUG),
    )
    tell(call, where, failed(reference))
    return reference
