"""Requests as Slack sends them (signed events, slash commands, interactions), for the console,
the tests and the benchmarks. Shapes follow Slack's Events API and interactivity payloads."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

_counter = itertools.count(1)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """Slack's v0 request signature."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class SlackResponse:
    """What the app answered."""

    status: int
    body: str

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body) if self.body else None


@dataclass
class SlackSender:
    """Sends signed requests to an app's `/slack/events` endpoint over real HTTP."""

    url: str
    signing_secret: str
    team_id: str = "T0001"
    api_app_id: str = "A0001"
    bot_user_id: str = "UBOT"

    def post(
        self,
        body: bytes,
        *,
        content_type: str,
        headers: dict[str, str] | None = None,
        timestamp: int | None = None,
        secret: str | None = None,
    ) -> SlackResponse:
        """Post a raw body, signed (with `secret` if given, to test a bad signature)."""
        ts = str(int(time.time()) if timestamp is None else timestamp)
        all_headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature(secret or self.signing_secret, ts, body),
        }
        all_headers.update(headers or {})
        request = urllib.request.Request(self.url, data=body, headers=all_headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as resp:
                return SlackResponse(resp.status, resp.read().decode())
        except urllib.error.HTTPError as err:
            return SlackResponse(err.code, err.read().decode())

    def post_json(self, payload: dict[str, Any], **kwargs: Any) -> SlackResponse:
        """Post an Events API envelope."""
        return self.post(json.dumps(payload).encode(), content_type="application/json", **kwargs)

    def post_form(self, fields: dict[str, str], **kwargs: Any) -> SlackResponse:
        """Post a form body (slash commands and interactions)."""
        return self.post(
            urlencode(fields).encode(), content_type="application/x-www-form-urlencoded", **kwargs
        )

    def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        **kwargs: Any,
    ) -> SlackResponse:
        """Deliver an event, as Slack does, optionally as a retry of an earlier delivery."""
        envelope = {
            "token": "verification-token-unused",
            "team_id": self.team_id,
            "api_app_id": self.api_app_id,
            "event": {"event_ts": event.get("ts", _ts()), **event},
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(_counter):08d}{int(time.time())}",
            "event_time": int(time.time()),
            "authorizations": [
                {"team_id": self.team_id, "user_id": self.bot_user_id, "is_bot": True}
            ],
        }
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        return self.post_json(envelope, headers=headers, **kwargs)

    def dm(self, *, user: str, channel: str, text: str, **kwargs: Any) -> SlackResponse:
        """A direct message from `user` to the bot."""
        return self.event(
            {
                "type": "message",
                "channel_type": "im",
                "user": user,
                "channel": channel,
                "text": text,
                "ts": _ts(),
            },
            **kwargs,
        )

    def mention(self, *, user: str, channel: str, text: str, **kwargs: Any) -> SlackResponse:
        """`@bot text` in a channel."""
        return self.event(
            {
                "type": "app_mention",
                "user": user,
                "channel": channel,
                "text": f"<@{self.bot_user_id}> {text}",
                "ts": _ts(),
            },
            **kwargs,
        )

    def home_opened(self, *, user: str, channel: str) -> SlackResponse:
        """Someone opens the bot's App Home tab."""
        return self.event(
            {"type": "app_home_opened", "user": user, "channel": channel, "tab": "home"}
        )

    def command(
        self,
        command: str,
        text: str,
        *,
        user: str,
        channel: str,
        response_url: str,
        trigger_id: str | None = None,
    ) -> SlackResponse:
        """A slash command."""
        return self.post_form(
            {
                "token": "unused",
                "team_id": self.team_id,
                "team_domain": "force",
                "channel_id": channel,
                "channel_name": "directmessage" if channel.startswith("D") else "general",
                "user_id": user,
                "user_name": user.lower(),
                "command": command,
                "text": text,
                "api_app_id": self.api_app_id,
                "response_url": response_url,
                "trigger_id": trigger_id or f"{next(_counter)}.{int(time.time())}.trigger",
            }
        )

    def block_action(
        self,
        *,
        user: str,
        action_id: str,
        value: str,
        response_url: str,
        channel: str | None = None,
        message_ts: str | None = None,
        is_ephemeral: bool = False,
        block_id: str = "b",
        message: dict[str, Any] | None = None,
        view: dict[str, Any] | None = None,
    ) -> SlackResponse:
        """A click on a button."""
        container: dict[str, Any]
        if view is not None:
            container = {"type": "view", "view_id": view.get("id", "V0")}
        else:
            container = {
                "type": "message",
                "message_ts": message_ts or "",
                "channel_id": channel,
                "is_ephemeral": is_ephemeral,
            }
        payload: dict[str, Any] = {
            "type": "block_actions",
            "team": {"id": self.team_id, "domain": "force"},
            "user": {"id": user, "username": user.lower(), "team_id": self.team_id},
            "api_app_id": self.api_app_id,
            "token": "unused",
            "container": container,
            "trigger_id": f"{next(_counter)}.{int(time.time())}.trigger",
            "response_url": response_url,
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": block_id,
                    "value": value,
                    "action_ts": _ts(),
                    "text": {"type": "plain_text", "text": "button"},
                }
            ],
        }
        if channel:
            payload["channel"] = {"id": channel, "name": "directmessage"}
        if message is not None:
            payload["message"] = message
        if view is not None:
            payload["view"] = view
        return self.post_form({"payload": json.dumps(payload)})

    def view_submission(
        self, *, user: str, view: dict[str, Any], values: dict[str, dict[str, dict[str, Any]]]
    ) -> SlackResponse:
        """Submitting a modal: `values` is `{block_id: {action_id: {"value": …}}}`."""
        submitted = {**view, "id": view.get("id", "V0"), "state": {"values": values}}
        payload = {
            "type": "view_submission",
            "team": {"id": self.team_id, "domain": "force"},
            "user": {"id": user, "username": user.lower(), "team_id": self.team_id},
            "api_app_id": self.api_app_id,
            "token": "unused",
            "trigger_id": f"{next(_counter)}.{int(time.time())}.trigger",
            "view": submitted,
        }
        return self.post_form({"payload": json.dumps(payload)})

    def message_shortcut(
        self, *, user: str, callback_id: str, channel: str, message_text: str, response_url: str
    ) -> SlackResponse:
        """The "Ask a champion" message shortcut, on a message in `channel`."""
        payload = {
            "type": "message_action",
            "callback_id": callback_id,
            "team": {"id": self.team_id, "domain": "force"},
            "user": {"id": user, "name": user.lower()},
            "channel": {"id": channel, "name": "general"},
            "message": {"type": "message", "user": "USOMEONE", "text": message_text, "ts": _ts()},
            "message_ts": _ts(),
            "response_url": response_url,
            "trigger_id": f"{next(_counter)}.{int(time.time())}.trigger",
            "token": "unused",
            "action_ts": _ts(),
        }
        return self.post_form({"payload": json.dumps(payload)})

    def url_verification(self, challenge: str) -> SlackResponse:
        """Slack's check, when a request URL is saved, that the app is really there."""
        return self.post_json(
            {"token": "unused", "challenge": challenge, "type": "url_verification"}
        )


def _ts() -> str:
    return f"{time.time():.6f}"
