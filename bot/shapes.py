"""What a Slack request body must look like before Bolt reads it: the front door's shape checks.

A JSON object (UTF-8 without half surrogate pairs, nested at most `MAX_DEPTH` deep) with a
string `type`, or a form with a complete slash command, an `ssl_check`, or a `payload` field
holding such a JSON object; and, by type, the fields Bolt and the listeners index into must have
the right JSON types. Written out rather than as a JSON Schema: a few type tests on the handful
of fields Bolt's own parsing touches, where a schema library would add a dependency for less
clarity.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

MAX_DEPTH = 32  # a modal's state or a rich-text message nests about ten deep
_JSON = "application/json"
_FORM = "application/x-www-form-urlencoded"

# Fields that Bolt's context extraction reads as an ID: a string, or an object whose `id` is one.
_ID_FIELDS = ("enterprise", "team", "user", "channel")
# Fields that are strings in every Slack payload that carries them.
_STRING_FIELDS = (
    "type",
    "subtype",
    "user_id",
    "team_id",
    "enterprise_id",
    "channel_id",
    "channel_type",
    "thread_ts",
    "ts",
    "event_ts",
    "message_ts",
    "response_url",
    "trigger_id",
    "callback_id",
    "action_id",
    "block_id",
    "private_metadata",
    "function_execution_id",
    "bot_access_token",
    "bot_id",
    "user_team",
    "tab",
    "view_id",
    "event_id",
)
# Fields that are objects wherever they appear; checked recursively.
_OBJECT_FIELDS = (
    "event",
    "message",
    "previous_message",
    "item",
    "assistant_thread",
    "view",
    "container",
)
# Objects whose keys are chosen by the app or a user (block ids, metadata): not recursed into.
_OPAQUE_OBJECT_FIELDS = (
    "state",
    "metadata",
    "function_data",
    "workflow_step",
    "tokens",
    "function",
)
# Bolt reads these as `body.get(name, {}).get(...)`: present, they must not be null.
_NEVER_NULL = ("event", "view", "tokens", "function")
# Lists of objects wherever they appear; each element checked recursively.
_OBJECT_LIST_FIELDS = ("authorizations", "actions", "response_urls", "blocks")
# Lists of objects from older Slack features with looser types (an attachment's `ts` can be
# a number): not recursed into.
_OPAQUE_LIST_FIELDS = ("attachments", "files")
# What every slash command from Slack carries, never empty.
_COMMAND_FIELDS = ("user_id", "channel_id", "team_id", "response_url", "trigger_id")
# Interactions always name who acted as an object, and the listeners read `user.id`.
_INTERACTIONS = (
    "block_actions",
    "interactive_message",
    "view_submission",
    "view_closed",
    "shortcut",
    "message_action",
    "block_suggestion",
)


class Refused(Exception):
    """A request the front door will not pass on: the HTTP status and the kind of refusal."""

    def __init__(self, status: int, kind: str) -> None:
        super().__init__(kind)
        self.status = status
        self.kind = kind


def check_shape(text: str, content_type: str) -> None:
    """Refuse a body that Bolt would misread or its listeners would trip over."""
    if not text:
        raise Refused(400, "empty_body")
    media = content_type.split(";")[0].strip().lower()
    # Bolt reads a body as JSON when the header says exactly application/json or the body
    # starts with "{", and as a form otherwise: accept only bodies it will read as declared.
    as_json = content_type.split(";")[0] == _JSON or text.startswith("{")
    if media == _JSON and as_json:
        check_payload(_parse_json(text))
    elif media == _FORM and not as_json:
        _check_form(text)
    else:
        raise Refused(400, "unsupported_content_type")


def _check_form(text: str) -> None:
    # Parsed as Bolt parses it (last value of a repeated field wins), so both see the same.
    fields = dict(parse_qsl(text, keep_blank_values=True))
    if "payload" in text:
        # Bolt takes the `payload` path whenever the word appears anywhere in the body.
        if "payload" not in fields:
            raise Refused(400, "malformed_form")
        check_payload(_parse_json(fields["payload"]))
        return
    if fields.get("ssl_check") == "1":
        return
    command = fields.get("command")
    if command is None:
        raise Refused(400, "malformed_form")
    # Slack sends every one of these with every command, and the listeners need them all: a
    # missing response_url, say, made a listener fail and Bolt hold the request for 3 seconds.
    if not command.startswith("/") or not all(fields.get(name) for name in _COMMAND_FIELDS):
        raise Refused(400, "bad_command")


def _parse_json(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except RecursionError:
        raise Refused(400, "too_deep") from None
    except ValueError:  # includes JSONDecodeError and integers too long to convert
        raise Refused(400, "malformed_json") from None
    if not isinstance(value, dict):
        raise Refused(400, "not_an_object")
    _check_tree(value)
    return value


def _check_tree(value: Any) -> None:
    """No deeper than `MAX_DEPTH`, and no string Slack could not have sent (iteratively: the
    input decides the depth)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            _check_text(item)
            continue
        if isinstance(item, dict):
            for key in item:
                _check_text(key)
            items: Iterable[Any] = item.values()
        elif isinstance(item, list):
            items = item
        else:
            continue
        if depth > MAX_DEPTH:
            raise Refused(400, "too_deep")
        stack.extend((child, depth + 1) for child in items)


def _check_text(text: str) -> None:
    # JSON's \ud800-style escapes can spell half a surrogate pair, which is no character at all
    # and fails later, wherever the text is encoded (the database, a reply to Slack).
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise Refused(400, "lone_surrogate") from None


def check_payload(payload: dict[str, Any]) -> None:
    """Refuse a JSON payload (an Events API envelope or an interaction) of the wrong shape."""
    kind = payload.get("type")
    if not isinstance(kind, str):
        raise Refused(400, "missing_type")
    _check_type_specific(kind, payload)
    _check_fields(payload)


def _check_type_specific(kind: str, payload: dict[str, Any]) -> None:
    if kind in _INTERACTIONS:
        user = payload.get("user")
        if not isinstance(user, dict) or not isinstance(user.get("id"), str):
            raise Refused(400, "bad_user")
    if kind == "url_verification":
        if not isinstance(payload.get("challenge"), str):
            raise Refused(400, "bad_challenge")
    elif kind == "event_callback":
        event = payload.get("event")
        if not isinstance(event, dict):
            raise Refused(400, "bad_event")
        if not isinstance(event.get("type"), str):
            raise Refused(400, "bad_event")
        if "text" in event and not isinstance(event["text"], str):
            raise Refused(400, "bad_event")
    elif kind in ("block_actions", "interactive_message"):
        actions = payload.get("actions")
        # Bolt routes on the first action, so there must be one.
        if not isinstance(actions, list) or not actions:
            raise Refused(400, "bad_actions")
    elif kind in ("view_submission", "view_closed"):
        view = payload.get("view")
        if not isinstance(view, dict) or not isinstance(view.get("callback_id"), str):
            raise Refused(400, "bad_view")
        _check_state(view.get("state"))
    elif kind in ("shortcut", "message_action"):
        if not isinstance(payload.get("callback_id"), str):
            raise Refused(400, "bad_shortcut")
        if kind == "message_action" and not isinstance(payload.get("message"), dict):
            raise Refused(400, "bad_shortcut")
    elif kind == "block_suggestion" and not isinstance(payload.get("action_id"), str):
        raise Refused(400, "bad_field")


def _check_state(state: Any) -> None:
    """A modal's `state.values`: block id → action id → an object."""
    if state is None:
        return
    values = state.get("values") if isinstance(state, dict) else None
    if values is None:
        return
    if not isinstance(values, dict) or not all(
        isinstance(block, dict) and all(isinstance(v, dict) for v in block.values())
        for block in values.values()
    ):
        raise Refused(400, "bad_view")


def _check_fields(root: dict[str, Any]) -> None:
    """The JSON types of the well-known fields, in `root` and every object nested in it."""
    stack = [root]
    while stack:
        obj = stack.pop()
        if any(name in obj and obj[name] is None for name in _NEVER_NULL):
            raise Refused(400, "bad_field")
        for name in _ID_FIELDS:
            value = obj.get(name)
            if value is None or isinstance(value, str):
                continue
            if not isinstance(value, dict) or not isinstance(value.get("id"), str | None):
                raise Refused(400, "bad_field")
            stack.append(value)
        for name in _STRING_FIELDS:
            if not isinstance(obj.get(name), str | None):
                raise Refused(400, "bad_field")
        for name in _OBJECT_FIELDS:
            value = obj.get(name)
            if value is None:
                continue
            if not isinstance(value, dict):
                raise Refused(400, "bad_field")
            stack.append(value)
        for name in _OPAQUE_OBJECT_FIELDS:
            if not isinstance(obj.get(name), dict | None):
                raise Refused(400, "bad_field")
        for name in _OBJECT_LIST_FIELDS + _OPAQUE_LIST_FIELDS:
            value = obj.get(name)
            if value is None:
                continue
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                raise Refused(400, "bad_field")
            if name in _OBJECT_LIST_FIELDS:
                stack.extend(value)
