"""The Web API methods the emulator implements, each a function of the workspace and the args."""

from __future__ import annotations

import base64
import copy
import json
import re
import time
from collections.abc import Callable
from typing import Any

from bot.emulator.blockkit import parse_json
from bot.emulator.records import SlackError
from bot.emulator.workspace import Channel, Workspace

Args = dict[str, Any]
Handler = Callable[[Workspace, Args], dict[str, Any]]
HANDLERS: dict[str, Handler] = {}
METADATA_LIMIT = 8000  # bytes of a message's metadata (Slack's own figure is not published)


def method(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[name] = fn
        return fn

    return register


def _flag(args: Args, key: str) -> bool:
    return args.get(key) in (True, 1, "1", "true", "True")


def _int(args: Args, key: str, default: int) -> int:
    try:
        return int(args.get(key) or default)
    except (TypeError, ValueError):
        return default


def with_block_ids(value: Any, ws: Workspace) -> list[dict[str, Any]]:
    blocks, _ = parse_json(value)
    out = copy.deepcopy(blocks) if isinstance(blocks, list) else []
    for block in out:
        if isinstance(block, dict) and "block_id" not in block:
            block["block_id"] = ws.new_id("b").lower()
    return out


def public(message: dict[str, Any]) -> dict[str, Any]:
    """A stored message as the API shows it (a copy, without the emulator's edit history)."""
    return {k: copy.deepcopy(v) for k, v in message.items() if k != "edits"}


def _content(ws: Workspace, args: Args) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "text" in args or "markdown_text" in args:
        out["text"] = str(args.get("text") or args.get("markdown_text") or "")
    if args.get("blocks") not in (None, ""):
        out["blocks"] = with_block_ids(args["blocks"], ws)
    if args.get("attachments") not in (None, ""):
        attachments, _ = parse_json(args["attachments"])
        out["attachments"] = attachments
    if args.get("metadata") not in (None, ""):
        out["metadata"] = message_metadata(args["metadata"])
    return out


def message_metadata(value: Any) -> dict[str, Any]:
    """A message's `metadata` argument, as Slack keeps it: an object with an `event_type` (a
    name of letters, digits and underscores) and an `event_payload` object; `{}` removes it."""
    metadata, problem = parse_json(value)
    if problem or not isinstance(metadata, dict):
        raise SlackError("invalid_metadata_format", f"metadata is not a JSON object: {value!r}")
    if metadata == {}:
        return {}
    event_type, payload = metadata.get("event_type"), metadata.get("event_payload")
    if not isinstance(event_type, str) or not re.fullmatch(r"[A-Za-z0-9_]{1,255}", event_type):
        raise SlackError("invalid_metadata_schema", f"metadata event_type {event_type!r}")
    if not isinstance(payload, dict) or set(metadata) - {"event_type", "event_payload"}:
        raise SlackError("invalid_metadata_schema", "metadata needs an event_payload object")
    if len(json.dumps(metadata)) > METADATA_LIMIT:
        raise SlackError("metadata_too_large", "metadata over the emulated size limit")
    return copy.deepcopy(metadata)


def _shown(message: dict[str, Any], args: Args) -> dict[str, Any]:
    """A message as history shows it: its metadata only with `include_all_metadata`."""
    out = public(message)
    if not _flag(args, "include_all_metadata"):
        out.pop("metadata", None)
    return out


def _postable(ws: Workspace, args: Args) -> Channel:
    channel = ws.channel(args.get("channel"), users_open_dm=True)
    if channel.kind in ("channel", "private") and not channel.has_member(ws.bot_user_id):
        raise SlackError("not_in_channel")
    return channel


@method("chat.postMessage")
def chat_post_message(ws: Workspace, args: Args) -> dict[str, Any]:
    channel = _postable(ws, args)
    ts = ws.next_ts()
    message: dict[str, Any] = {
        "type": "message",
        "user": ws.bot_user_id,
        "bot_id": ws.bot_id,
        "app_id": ws.app_id,
        "team": ws.team_id,
        "ts": ts,
        "text": "",
    }
    message.update(_content(ws, args))
    if message.get("metadata") == {}:
        del message["metadata"]
    thread_ts = args.get("thread_ts")
    if thread_ts:
        message["thread_ts"] = str(thread_ts)
        try:
            parent = ws.message(channel.id, str(thread_ts))
        except SlackError:
            parent = None
        if parent is not None:
            parent["thread_ts"] = parent["ts"]
            parent["reply_count"] = parent.get("reply_count", 0) + 1
            parent["latest_reply"] = ts
            parent["reply_users"] = [ws.bot_user_id]
    ws.add_message(channel.id, message)
    return {"channel": channel.id, "ts": ts, "message": public(message)}


@method("chat.update")
def chat_update(ws: Workspace, args: Args) -> dict[str, Any]:
    channel = ws.channel(args.get("channel"))
    message = ws.message(channel.id, args.get("ts"))
    if message.get("user") != ws.bot_user_id:
        raise SlackError("cant_update_message")
    ws.edit(message, _content(ws, args))
    return {
        "channel": channel.id,
        "ts": message["ts"],
        "text": message.get("text", ""),
        "message": public(message),
    }


@method("chat.delete")
def chat_delete(ws: Workspace, args: Args) -> dict[str, Any]:
    channel = ws.channel(args.get("channel"))
    message = ws.message(channel.id, args.get("ts"))
    if message.get("user") != ws.bot_user_id:
        raise SlackError("cant_delete_message")
    ws.messages[channel.id].remove(message)
    ws.deleted.append({**message, "channel": channel.id})
    return {"channel": channel.id, "ts": message["ts"]}


@method("chat.postEphemeral")
def chat_post_ephemeral(ws: Workspace, args: Args) -> dict[str, Any]:
    channel = _postable(ws, args)
    user = str(args.get("user") or "")
    if ws.known_user(user) is None or not channel.has_member(user):
        raise SlackError("user_not_in_channel")
    ts = ws.next_ts()
    message = {"type": "message", "user": ws.bot_user_id, "ts": ts, "text": ""}
    # Ephemeral messages keep no event metadata (Slack ignores it): they cannot be looked up.
    message.update(_content(ws, {k: v for k, v in args.items() if k != "metadata"}))
    if args.get("thread_ts"):
        message["thread_ts"] = str(args["thread_ts"])
    ws.ephemeral.setdefault((channel.id, user), []).append(message)
    return {"message_ts": ts}


@method("chat.getPermalink")
def chat_get_permalink(ws: Workspace, args: Args) -> dict[str, Any]:
    channel = ws.channel(args.get("channel"))
    message = ws.message(channel.id, args.get("message_ts"))
    link = ws.permalink(channel.id, message["ts"])
    if message.get("thread_ts") and message["thread_ts"] != message["ts"]:
        link += f"?thread_ts={message['thread_ts']}&cid={channel.id}"
    return {"channel": channel.id, "permalink": link}


@method("reactions.add")
def reactions_add(ws: Workspace, args: Args) -> dict[str, Any]:
    channel = ws.channel(args.get("channel"))
    message = ws.message(channel.id, args.get("timestamp"))
    name = str(args.get("name") or "")
    if not name or ":" in name or " " in name:
        raise SlackError("invalid_name")
    reactions = message.setdefault("reactions", [])
    for reaction in reactions:
        if reaction["name"] == name:
            if ws.bot_user_id in reaction["users"]:
                raise SlackError("already_reacted")
            reaction["users"].append(ws.bot_user_id)
            reaction["count"] += 1
            return {}
    reactions.append({"name": name, "users": [ws.bot_user_id], "count": 1})
    return {}


@method("conversations.open")
def conversations_open(ws: Workspace, args: Args) -> dict[str, Any]:
    if args.get("channel"):
        channel = ws.channel(args["channel"])
        if channel.kind not in ("im", "mpim"):
            raise SlackError("method_not_supported_for_channel_type")
        return {"no_op": True, "already_open": True, "channel": {"id": channel.id}}
    users = args.get("users")
    if not users:
        raise SlackError(
            "users_list_not_supplied", "conversations.open: needs users or channel (neither given)"
        )
    listed = users if isinstance(users, list) else str(users).split(",")
    ids = [u for u in dict.fromkeys(str(u).strip() for u in listed) if u and u != ws.bot_user_id]
    if not ids:
        raise SlackError("not_enough_users")
    if len(ids) > 8:
        raise SlackError("too_many_users")
    if any(ws.known_user(u) is None for u in ids):
        raise SlackError("user_not_found")
    existed = ids[0] in ws.ims if len(ids) == 1 else frozenset([*ids, ws.bot_user_id]) in ws.mpims
    channel = ws.open_im(ids[0]) if len(ids) == 1 else ws.open_mpim(ids)
    full = channel.kind == "mpim" or _flag(args, "return_im")
    shown = channel.to_slack(bot_user_id=ws.bot_user_id) if full else {"id": channel.id}
    result: dict[str, Any] = {"channel": shown}
    if existed:
        result.update(no_op=True, already_open=True)
    return result


@method("conversations.info")
def conversations_info(ws: Workspace, args: Args) -> dict[str, Any]:
    channel = ws.channel(args.get("channel"))
    count = len(ws.members_of(channel)) if _flag(args, "include_num_members") else None
    return {"channel": channel.to_slack(bot_user_id=ws.bot_user_id, num_members=count)}


def page_of(items: list[Any], args: Args, *, default: int = 100) -> tuple[list[Any], str]:
    cursor = str(args.get("cursor") or "")
    try:
        start = int(base64.b64decode(cursor).decode().split(":")[1]) if cursor else 0
    except (ValueError, IndexError) as exc:
        raise SlackError("invalid_cursor") from exc
    limit = max(1, min(1000, _int(args, "limit", default)))
    end = start + limit
    more = base64.b64encode(f"offset:{end}".encode()).decode() if end < len(items) else ""
    return items[start:end], more


@method("conversations.members")
def conversations_members(ws: Workspace, args: Args) -> dict[str, Any]:
    members, cursor = page_of(ws.members_of(ws.channel(args.get("channel"))), args)
    return {"members": members, "response_metadata": {"next_cursor": cursor}}


@method("conversations.join")
def conversations_join(ws: Workspace, args: Args) -> dict[str, Any]:
    channel = ws.channel(args.get("channel"))
    if channel.kind in ("im", "mpim"):
        raise SlackError("method_not_supported_for_channel_type")
    result: dict[str, Any] = {}
    if channel.has_member(ws.bot_user_id):
        result = {"warning": "already_in_channel"}
        result["response_metadata"] = {"warnings": ["already_in_channel"]}
    elif channel.members is not None:
        channel.members.add(ws.bot_user_id)
    result["channel"] = channel.to_slack(bot_user_id=ws.bot_user_id)
    return result


@method("conversations.history")
def conversations_history(ws: Workspace, args: Args) -> dict[str, Any]:
    channel = ws.channel(args.get("channel"))
    oldest, latest = float(args.get("oldest") or 0), float(args.get("latest") or 1e12)
    inclusive = _flag(args, "inclusive")
    top = [
        _shown(m, args)
        for m in reversed(ws.messages.get(channel.id, []))
        if m.get("thread_ts") in (None, m["ts"])
        and (oldest <= float(m["ts"]) <= latest if inclusive else oldest < float(m["ts"]) < latest)
    ]
    page, cursor = page_of(top, args)
    return {
        "messages": page,
        "has_more": bool(cursor),
        "response_metadata": {"next_cursor": cursor},
    }


@method("conversations.replies")
def conversations_replies(ws: Workspace, args: Args) -> dict[str, Any]:
    channel = ws.channel(args.get("channel"))
    try:
        parent = ws.message(channel.id, args.get("ts"))
    except SlackError as exc:
        raise SlackError("thread_not_found") from exc
    oldest = float(args.get("oldest") or 0)
    thread = [
        _shown(m, args)
        for m in ws.messages.get(channel.id, [])
        if (m is parent or m.get("thread_ts") == parent["ts"])
        and (m is parent or float(m["ts"]) >= oldest)
    ]
    page, cursor = page_of(thread, args, default=1000)
    return {
        "messages": page,
        "has_more": bool(cursor),
        "response_metadata": {"next_cursor": cursor},
    }


@method("users.info")
def users_info(ws: Workspace, args: Args) -> dict[str, Any]:
    user = ws.users.get(str(args.get("user") or ""))
    if user is None:
        raise SlackError("user_not_found")
    return {"user": user.to_slack(ws.team_id)}


@method("users.list")
def users_list(ws: Workspace, args: Args) -> dict[str, Any]:
    members = [user.to_slack(ws.team_id) for _, user in sorted(ws.users.items())]
    page, cursor = page_of(members, args, default=200)
    return {
        "members": page,
        "cache_ts": int(time.time()),
        "response_metadata": {"next_cursor": cursor},
    }


@method("users.lookupByEmail")
def users_lookup_by_email(ws: Workspace, args: Args) -> dict[str, Any]:
    email = str(args.get("email") or "").lower()
    for user in ws.users.values():
        if user.email and user.email.lower() == email:
            return {"user": user.to_slack(ws.team_id)}
    raise SlackError("users_not_found")
