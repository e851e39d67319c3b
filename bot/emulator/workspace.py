"""The emulated workspace: users, conversations, messages, ephemeral messages and views."""

from __future__ import annotations

import copy
import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.emulator.records import SlackError

USER_ID = re.compile(r"^[UW][A-Z0-9]+$")
CHANNEL_ID = re.compile(r"^C[A-Z0-9]+$")
DOMAIN = "https://emulated.slack.com"
EDITABLE = ("text", "blocks", "attachments", "metadata")


def _tz_info(tz: str) -> tuple[int, str]:
    try:
        now = datetime.now(ZoneInfo(tz))
    except (ZoneInfoNotFoundError, ValueError):
        return 0, tz
    offset = now.utcoffset()
    return (int(offset.total_seconds()) if offset else 0), now.tzname() or tz


@dataclass
class User:
    """A workspace member."""

    id: str
    name: str
    real_name: str
    tz: str = "Europe/London"
    is_bot: bool = False
    email: str | None = None
    auto: bool = False
    tz_offset: int | None = None

    def to_slack(self, team_id: str) -> dict[str, Any]:
        offset, label = _tz_info(self.tz)
        if self.tz_offset is not None:
            offset = self.tz_offset
        profile: dict[str, Any] = {
            "real_name": self.real_name,
            "real_name_normalized": self.real_name,
            "display_name": self.name,
            "display_name_normalized": self.name,
            "team": team_id,
        }
        if self.email:
            profile["email"] = self.email
        return {
            "id": self.id,
            "team_id": team_id,
            "name": self.name,
            "deleted": False,
            "real_name": self.real_name,
            "tz": self.tz,
            "tz_label": label,
            "tz_offset": offset,
            "profile": profile,
            "is_admin": False,
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": 1700000000,
        }


@dataclass
class Channel:
    """A conversation: a channel (C…), a DM (D…) or a group DM (G…)."""

    id: str
    name: str
    kind: str  # "channel", "private", "im" or "mpim"
    members: set[str] | None = None  # None: everyone in the workspace
    user: str | None = None  # the other party of an IM
    created: int = field(default_factory=lambda: int(time.time()))

    def has_member(self, user_id: str) -> bool:
        return self.members is None or user_id in self.members

    def to_slack(self, *, bot_user_id: str, num_members: int | None = None) -> dict[str, Any]:
        if self.kind == "im":
            return {
                "id": self.id,
                "created": self.created,
                "is_im": True,
                "is_org_shared": False,
                "user": self.user,
                "is_user_deleted": False,
                "priority": 0,
            }
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "is_channel": self.kind == "channel",
            "is_group": self.kind == "private",
            "is_im": False,
            "is_mpim": self.kind == "mpim",
            "is_private": self.kind != "channel",
            "created": self.created,
            "is_archived": False,
            "is_general": self.name == "general",
            "is_member": self.has_member(bot_user_id),
            "is_shared": False,
            "is_org_shared": False,
        }
        if num_members is not None:
            out["num_members"] = num_members
        return out


class Counter:
    """IDs handed out across every workspace of one emulator, so no two conversations clash."""

    def __init__(self) -> None:
        self.value = 0

    def next(self) -> int:
        self.value += 1
        return self.value


class Workspace:
    """All state behind the Web API for one team; callers hold the emulator's lock.

    Workspaces of one Enterprise organisation share `users` (user IDs are org-wide there).
    """

    def __init__(
        self,
        *,
        auto_create: bool = False,
        team_id: str = "T0001",
        team_name: str = "Emulated Workspace",
        bot_user_id: str = "UBOT",
        bot_id: str = "B0001",
        app_id: str = "A0001",
        enterprise_id: str | None = None,
        users: dict[str, User] | None = None,
        ids: Counter | None = None,
        agent_view: bool = False,
    ) -> None:
        self.team_id = team_id
        self.team_name = team_name
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.enterprise_id = enterprise_id
        self.agent_view = agent_view
        self.auto_create = auto_create
        self.users: dict[str, User] = {} if users is None else users
        self.channels: dict[str, Channel] = {}
        self.ims: dict[str, str] = {}
        self.mpims: dict[frozenset[str], str] = {}
        if bot_user_id not in self.users:
            self.add_user(User(bot_user_id, "champbot", "Champion Network Bot", is_bot=True))
        self._ids = ids or Counter()
        self._last_micro = 0
        self.clear()

    @property
    def domain(self) -> str:
        """The workspace's own address, as auth.test gives it."""
        return f"https://{self.team_id.lower()}.emulated.slack.com/"

    def clear(self) -> None:
        """Forget messages, views and used trigger ids; keep people and conversations."""
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.deleted: list[dict[str, Any]] = []
        self.ephemeral: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.home: dict[str, str] = {}
        self.used_triggers: set[str] = set()
        # assistant threads by (DM channel, thread_ts): status, title and prompts last set
        self.assistant_threads: dict[tuple[str, str], dict[str, Any]] = {}

    # ids and timestamps

    def new_id(self, prefix: str) -> str:
        return f"{prefix}EMU{self._ids.next():06d}"

    def next_ts(self) -> str:
        """A unique, increasing message timestamp like Slack's "1700000000.000100"."""
        micro = max(int(time.time() * 1_000_000), self._last_micro + 1)
        self._last_micro = micro
        return f"{micro // 1_000_000}.{micro % 1_000_000:06d}"

    # people

    def add_user(self, user: User) -> None:
        self.users[user.id] = user

    def known_user(self, user_id: str) -> User | None:
        """The user, learning a well-formed ID the bot addresses when auto_create is on."""
        if user_id in self.users:
            return self.users[user_id]
        if self.auto_create and USER_ID.match(user_id):
            user = User(user_id, user_id.lower(), user_id, auto=True)
            self.add_user(user)
            return user
        return None

    # conversations

    def add_channel(self, channel: Channel) -> None:
        self.channels[channel.id] = channel

    def open_im(self, user_id: str) -> Channel:
        if user_id not in self.ims:
            channel_id = self.new_id("D")
            self.ims[user_id] = channel_id
            members = {user_id, self.bot_user_id}
            self.add_channel(Channel(channel_id, "", "im", members=members, user=user_id))
        return self.channels[self.ims[user_id]]

    def open_mpim(self, user_ids: list[str]) -> Channel:
        key = frozenset([*user_ids, self.bot_user_id])
        if key not in self.mpims:
            channel_id = self.new_id("G")
            self.mpims[key] = channel_id
            name = "mpdm-" + "--".join(sorted(self.users[u].name for u in key)) + "-1"
            self.add_channel(Channel(channel_id, name, "mpim", members=set(key)))
        return self.channels[self.mpims[key]]

    def channel(self, value: Any, *, users_open_dm: bool = False) -> Channel:
        """The conversation an argument names, or channel_not_found.

        A user ID opens (or finds) the bot's DM with that user when `users_open_dm`, as
        chat.postMessage and chat.postEphemeral do; other methods need the D… id.
        """
        if not isinstance(value, str) or not value:
            raise SlackError("channel_not_found")
        if value in self.channels:
            return self.channels[value]
        if USER_ID.match(value):
            if users_open_dm and self.known_user(value) is not None:
                return self.open_im(value)
            raise SlackError("channel_not_found")
        if CHANNEL_ID.match(value) and self.auto_create:
            channel = Channel(value, value[1:].lower(), "channel")
            self.add_channel(channel)
            return channel
        name = value.removeprefix("#")
        for channel in self.channels.values():
            if channel.kind in ("channel", "private") and channel.name == name:
                return channel
        raise SlackError("channel_not_found")

    def members_of(self, channel: Channel) -> list[str]:
        if channel.members is None:
            return sorted(self.users)
        return sorted(channel.members)

    # messages

    def message(self, channel_id: str, ts: Any) -> dict[str, Any]:
        for message in self.messages.get(channel_id, []):
            if message["ts"] == ts:
                return message
        raise SlackError("message_not_found")

    def add_message(self, channel_id: str, message: dict[str, Any]) -> None:
        self.messages.setdefault(channel_id, []).append(message)

    def edit(self, message: dict[str, Any], content: dict[str, Any]) -> str:
        """Replace a message's content, keeping what it said before in `edits`."""
        before = {k: copy.deepcopy(message[k]) for k in EDITABLE if k in message}
        edited_at = self.next_ts()
        message.setdefault("edits", []).append({**before, "replaced_at": edited_at})
        message.update(copy.deepcopy(content))
        if message.get("metadata") == {}:  # an empty object removes the metadata
            del message["metadata"]
        message["edited"] = {"user": self.bot_user_id, "ts": edited_at}
        return edited_at

    def permalink(self, channel_id: str, ts: str) -> str:
        return f"{DOMAIN}/archives/{channel_id}/p{ts.replace('.', '')}"
