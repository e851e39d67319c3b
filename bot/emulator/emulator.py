"""`SlackEmulator`: Slack's Web API served on 127.0.0.1 for the tests and the console."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Collection
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from bot.emulator.faults import EmulatorFaults
from bot.emulator.records import Call, ResponsePost
from bot.emulator.server import LoopbackServer
from bot.emulator.workspace import USER_ID, Channel, User

T = TypeVar("T")


class SlackEmulator(EmulatorFaults):
    """A local Slack that checks, answers and records every Web API call and response_url post."""

    def __init__(
        self,
        *,
        token: str = "xoxb-test",
        reference: str | Path | None = None,
        auto_create: bool = False,
    ) -> None:
        """`reference`: a vendored-format JSON file or a slack-api-ref checkout (None: vendored).

        `auto_create`: treat well-formed channel IDs (C…) as existing channels the bot is in,
        and well-formed user IDs (U…/W…) the bot addresses as members; by default only what
        `add_user`/`add_channel` (and conversations.open) made exists, as in a real workspace.
        """
        super().__init__(token=token, reference=reference, auto_create=auto_create)

    # ---- lifecycle

    def start(self, *, port: int = 0) -> SlackEmulator:
        """Serve on 127.0.0.1 (`port` 0: any free port) in a daemon thread."""
        if self._server is None:
            self._server = LoopbackServer(self, port=port)
            self._server.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> SlackEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def api_url(self) -> str:
        """The base_url for slack_sdk's WebClient: "http://127.0.0.1:PORT/api/"."""
        return f"{self.base_url}/api/"

    @property
    def bot_user_id(self) -> str:
        return self._ws.bot_user_id

    # ---- the workspace

    def add_user(
        self,
        user_id: str,
        *,
        name: str,
        real_name: str | None = None,
        tz: str = "Europe/London",
        tz_offset: int | None = None,
        is_bot: bool = False,
        email: str | None = None,
        team_id: str | None = None,
    ) -> None:
        """A member of a workspace (None: the default one, T0001; in an org: all of it).

        `tz_offset` (seconds) is worked out from `tz` unless given.
        """
        if not USER_ID.match(user_id):
            raise ValueError(f"{user_id!r} is not a Slack user ID (U… or W…)")
        user = User(user_id, name, real_name or name, tz, is_bot, email, tz_offset=tz_offset)
        with self._lock:
            self._dir.workspace(team_id).add_user(user)

    def add_channel(
        self,
        channel_id: str,
        *,
        name: str | None = None,
        members: Collection[str] | None = None,
        is_private: bool = False,
        bot_member: bool = True,
        team_id: str | None = None,
    ) -> None:
        """A channel the bot may post in; `members` None means everyone in the workspace.

        `name` defaults to the ID without its prefix, lower-cased ("CGENERAL" → "general").
        """
        if not re.match(r"^[CG][A-Z0-9]+$", channel_id):
            raise ValueError(f"{channel_id!r} is not a channel ID (C… or G…)")
        people = None if members is None else set(members)
        kind = "private" if is_private else "channel"
        with self._lock:
            ws = self._dir.workspace(team_id)
            if people is not None and bot_member:
                people.add(ws.bot_user_id)
            channel = Channel(channel_id, name or channel_id[1:].lower(), kind, members=people)
            ws.add_channel(channel)

    def im_channel(self, user_id: str, *, team_id: str | None = None) -> str:
        """The D… id of the bot's DM with `user_id`, opening it if need be."""
        with self._lock:
            ws = self._dir.workspace(team_id)
            if ws.known_user(user_id) is None:
                raise ValueError(f"unknown user {user_id!r}; add_user it first")
            return ws.open_im(user_id).id

    def messages(self, channel: str, *, team_id: str | None = None) -> list[dict[str, Any]]:
        """Messages now in a channel (or the DM with a user ID), oldest first, with `edits`."""
        with self._lock:
            ws = self._dir.workspace(team_id)
            return self._message_copies(ws, ws.ims.get(channel, channel))

    def user_message(
        self,
        channel: str,
        user: str,
        text: str,
        *,
        metadata: dict[str, Any] | None = None,
        team_id: str | None = None,
    ) -> str:
        """A person, or another app's bot user, writes in a channel (as in a consult's group
        DM), with any `metadata` it likes; its ts. The app hears of it only through events it
        subscribes to, which a caller sends itself."""
        with self._lock:
            ws = self._dir.workspace(team_id)
            ts = ws.next_ts()
            message: dict[str, Any] = {"type": "message", "user": user, "text": text, "ts": ts}
            if metadata is not None:
                message["metadata"] = metadata
            ws.add_message(channel, message)
            return ts

    def ephemeral_messages(
        self, channel: str, user: str, *, team_id: str | None = None
    ) -> list[dict[str, Any]]:
        with self._lock:
            ws = self._dir.workspace(team_id)
            channel_id = ws.ims.get(channel, channel)
            return [dict(m) for m in ws.ephemeral.get((channel_id, user), [])]

    def home_view(self, user_id: str, *, team_id: str | None = None) -> dict[str, Any] | None:
        """The App Home view last published for a user."""
        with self._lock:
            ws = self._dir.workspace(team_id)
            view_id = ws.home.get(user_id)
            return None if view_id is None else dict(ws.views[view_id])

    def view(self, view_id: str, *, team_id: str | None = None) -> dict[str, Any] | None:
        with self._lock:
            found = self._dir.workspace(team_id).views.get(view_id)
            return None if found is None else dict(found)

    # ---- what happened

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    @property
    def violations(self) -> list[str]:
        with self._lock:
            return list(self._violations)

    @property
    def responses(self) -> list[ResponsePost]:
        with self._lock:
            return list(self._responses)

    def find_calls(
        self, method: str | None = None, *, ok: bool | None = None, team_id: str | None = None
    ) -> list[Call]:
        """Recorded calls of `method` (all when None), optionally only ok/failed ones, or only
        those whose token was routed to workspace `team_id`."""
        with self._lock:
            return [
                c
                for c in self._calls
                if (method is None or c.method == method)
                and (ok is None or c.ok == ok)
                and (team_id is None or c.team_id == team_id)
            ]

    def wait_for(
        self, predicate: Callable[[SlackEmulator], T | None], *, timeout: float = 15.0
    ) -> T:
        """Poll until `predicate(self)` is truthy and return it; TimeoutError otherwise (the
        default is long enough for a loaded machine; a condition that holds returns at once)."""
        deadline = time.monotonic() + timeout
        while True:
            result = predicate(self)
            if result:
                return result
            if time.monotonic() >= deadline:
                raise TimeoutError(self._timeout_summary(timeout))
            time.sleep(0.01)

    def _timeout_summary(self, timeout: float) -> str:
        calls, responses, violations = self.calls, self.responses, self.violations
        lines = [f"condition not met within {timeout:g}s; {len(calls)} calls recorded"]
        lines += [f"  {c.summary()}" for c in calls[-12:]]
        if responses:
            lines.append(f"{len(responses)} response_url posts, the last:")
            lines += [f"  {r.summary()}" for r in responses[-5:]]
        if violations:
            lines.append("violations:")
            lines += [f"  {v}" for v in violations[-10:]]
        return "\n".join(lines)

    def reset(self) -> None:
        """Forget calls, violations, responses, messages, views, faults and rate limits.

        Users, conversations (and their IDs), listeners and issued response URLs stay.
        """
        with self._lock:
            self._calls.clear()
            self._violations.clear()
            self._responses.clear()
            for ws in self._dir.workspaces.values():
                ws.clear()
            self._events.clear()
            self._faults.clear()
            self._limiter.clear()
            self._files.clear()

    def on_call(self, callback: Callable[[Call], None]) -> Callable[[], None]:
        """Call `callback(call)` after each Web API call; returns a function that unsubscribes."""
        with self._lock:
            self._call_listeners.append(callback)
        return lambda: self._unsubscribe(self._call_listeners, callback)

    def on_response(self, callback: Callable[[ResponsePost], None]) -> Callable[[], None]:
        """Call `callback(post)` after each response_url post; returns an unsubscriber."""
        with self._lock:
            self._response_listeners.append(callback)
        return lambda: self._unsubscribe(self._response_listeners, callback)

    def _unsubscribe(self, listeners: list[Any], callback: Any) -> None:
        with self._lock:
            if callback in listeners:
                listeners.remove(callback)

    # ---- response URLs

    def response_url(
        self,
        tag: str = "response",
        *,
        channel: str | None = None,
        message_ts: str | None = None,
        user: str | None = None,
        team_id: str | None = None,
    ) -> str:
        """A fresh response_url for a test payload; `tag` names it in `responses`.

        With `channel` and `message_ts`, replace_original/delete_original act on that message;
        with `channel` and `user`, ephemeral responses are kept for `ephemeral_messages`.
        """
        base = self.base_url
        with self._lock:
            key = str(len(self._response_urls) + 1)
            ws = self._dir.workspace(team_id)
            channel_id = ws.ims.get(channel, channel) if channel else None
            self._response_urls[key] = {
                "tag": tag,
                "channel": channel_id,
                "message_ts": message_ts,
                "user": user,
                "uses": 0,
                "team_id": ws.team_id,
            }
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", tag).strip("-")[:40] or "r"
        return f"{base}/response/{key}-{slug}"
