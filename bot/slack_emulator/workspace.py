"""The emulated workspace: users, channels, messages and views, and the Web API methods on them."""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from bot.slack_emulator.blockkit import check_message, check_view


class ApiError(Exception):
    """A Web API error answer: `{"ok": false, "error": …}`; `violation` when Slack's rules broke."""

    def __init__(self, error: str, *, violation: str | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.violation = violation


@dataclass
class User:
    """A workspace member."""

    id: str
    name: str
    real_name: str
    tz: str = "Europe/London"
    tz_offset: int = 0
    is_bot: bool = False


@dataclass
class Workspace:
    """Everything the emulation remembers between calls. Guard with `lock`."""

    team_id: str = "T0001"
    bot_user_id: str = "UBOT"
    bot_id: str = "B0001"
    users: dict[str, User] = field(default_factory=dict)
    channels: set[str] = field(default_factory=set)
    members: dict[str, list[str]] = field(default_factory=dict)
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    ephemerals: list[dict[str, Any]] = field(default_factory=list)
    views: dict[str, dict[str, Any]] = field(default_factory=dict)
    home: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    _seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def next_ts(self) -> str:
        n = next(self._seq)
        return f"{int(time.time())}.{n:06d}"

    def _id(self, prefix: str) -> str:
        return f"{prefix}{next(self._seq):08d}"

    def im(self, user_id: str) -> str:
        """The bot's DM channel with a user, opened on first use."""
        channel = "D" + user_id[1:]
        if channel not in self.channels:
            self.channels.add(channel)
            self.members[channel] = [user_id, self.bot_user_id]
        return channel

    def resolve_channel(self, channel: Any) -> str:
        if not isinstance(channel, str) or not channel:
            raise ApiError("channel_not_found")
        if channel[0] in "UW":
            if channel not in self.users:
                raise ApiError("channel_not_found")
            return self.im(channel)
        if channel not in self.channels:
            raise ApiError("channel_not_found")
        return channel

    def find_message(self, channel: str, ts: Any) -> dict[str, Any]:
        for message in self.messages.get(channel, []):
            if message["ts"] == ts:
                return message
        raise ApiError("message_not_found")

    # Web API methods -------------------------------------------------------------------------

    def call(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        handler = getattr(self, "m_" + method.replace(".", "_"), None)
        return handler(args) if handler else {}

    def m_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"url": "https://force.slack.com/", "team": "Force", "user": "champbot",
                "team_id": self.team_id, "user_id": self.bot_user_id, "bot_id": self.bot_id}

    def _blocks_ok(self, args: dict[str, Any]) -> None:
        problems = check_message(args)
        if problems:
            raise ApiError("invalid_blocks", violation="; ".join(problems[:3]))

    def m_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        self._blocks_ok(args)
        channel = self.resolve_channel(args.get("channel"))
        message = {"type": "message", "user": self.bot_user_id, "bot_id": self.bot_id,
                   "text": args.get("text", ""), "ts": self.next_ts(),
                   "blocks": args.get("blocks") or []}
        if args.get("thread_ts"):
            message["thread_ts"] = args["thread_ts"]
        self.messages.setdefault(channel, []).append(message)
        return {"channel": channel, "ts": message["ts"], "message": message}

    def m_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        self._blocks_ok(args)
        channel = self.resolve_channel(args.get("channel"))
        message = self.find_message(channel, args.get("ts"))
        if message.get("user") != self.bot_user_id:
            raise ApiError("cant_update_message")
        message.update(text=args.get("text", message["text"]),
                       blocks=args.get("blocks", message["blocks"]), edited=True)
        return {"channel": channel, "ts": message["ts"], "text": message["text"],
                "message": message}

    def m_chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self.resolve_channel(args.get("channel"))
        message = self.find_message(channel, args.get("ts"))
        self.messages[channel].remove(message)
        return {"channel": channel, "ts": message["ts"]}

    def m_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        self._blocks_ok(args)
        channel = self.resolve_channel(args.get("channel"))
        if args.get("user") not in self.users:
            raise ApiError("user_not_in_channel")
        ts = self.next_ts()
        self.ephemerals.append({"channel": channel, "user": args["user"], "ts": ts,
                                "text": args.get("text", ""), "blocks": args.get("blocks") or []})
        return {"message_ts": ts}

    def m_chat_getPermalink(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self.resolve_channel(args.get("channel"))
        ts = str(args.get("message_ts", "")).replace(".", "")
        return {"channel": channel, "permalink": f"https://force.slack.com/archives/{channel}/p{ts}"}

    def m_conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("channel"):
            return {"channel": {"id": self.resolve_channel(args["channel"])}}
        users = [u for u in str(args.get("users") or "").split(",") if u]
        if not users:
            raise ApiError("users_list_not_supplied")
        if len(users) > 8:
            raise ApiError("too_many_users")
        for u in users:
            if u not in self.users:
                raise ApiError("user_not_found")
        if len(users) == 1:
            return {"channel": {"id": self.im(users[0])}, "already_open": True}
        key = sorted({*users, self.bot_user_id})
        for channel, members in self.members.items():
            if channel.startswith("G") and sorted(members) == key:
                return {"channel": {"id": channel, "is_mpim": True}, "already_open": True}
        channel = self._id("G")
        self.channels.add(channel)
        self.members[channel] = key
        return {"channel": {"id": channel, "is_mpim": True}}

    def m_conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self.resolve_channel(args.get("channel"))
        return {"channel": {"id": channel, "is_im": channel.startswith("D"),
                            "is_mpim": channel.startswith("G")}}

    def m_conversations_members(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self.resolve_channel(args.get("channel"))
        return {"members": self.members.get(channel, list(self.users)),
                "response_metadata": {"next_cursor": ""}}

    def m_conversations_join(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"channel": {"id": self.resolve_channel(args.get("channel"))}}

    def _user(self, u: User) -> dict[str, Any]:
        return {"id": u.id, "team_id": self.team_id, "name": u.name, "real_name": u.real_name,
                "tz": u.tz, "tz_offset": u.tz_offset, "is_bot": u.is_bot, "deleted": False,
                "profile": {"real_name": u.real_name, "display_name": u.name}}

    def m_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(args.get("user")))
        if user is None:
            raise ApiError("user_not_found")
        return {"user": self._user(user)}

    def m_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"members": [self._user(u) for u in self.users.values()],
                "response_metadata": {"next_cursor": ""}}

    def _view(self, view: Any, *, view_id: str | None = None) -> dict[str, Any]:
        problems = check_view(view)
        if problems:
            raise ApiError("invalid_arguments", violation="; ".join(problems[:3]))
        stored = {**view, "id": view_id or self._id("V"), "team_id": self.team_id}
        self.views[stored["id"]] = stored
        return stored

    def m_views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"view": self._view(args.get("view"))}

    def m_views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"view": self._view(args.get("view"))}

    def m_views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id = args.get("view_id")
        if not view_id and args.get("external_id"):
            view_id = next((v for v, s in self.views.items()
                            if s.get("external_id") == args["external_id"]), None)
        if view_id not in self.views:
            raise ApiError("not_found")
        return {"view": self._view(args.get("view"), view_id=str(view_id))}

    def m_views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("user_id") not in self.users:
            raise ApiError("user_not_found")
        view = self._view(args.get("view"))
        self.home[str(args["user_id"])] = view
        return {"view": view}
