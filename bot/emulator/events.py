"""Events API envelopes Slack sends about installations and assistant threads, for tests to post.

Each event named here is one the reference lists (`events/<name>.json`); the shapes follow
Slack's event documentation: the outer `event_callback` wrapper with `authorizations`, and
`tokens_revoked` listing the user IDs whose tokens went, never the token strings.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from bot.emulator.workspace import Workspace

EVENT_NAMES = frozenset(
    {
        "app_uninstalled",
        "tokens_revoked",
        "assistant_thread_started",
        "assistant_thread_context_changed",
    }
)
_ids = itertools.count(1)


def envelope(
    event: dict[str, Any],
    *,
    team_id: str,
    app_id: str,
    bot_user_id: str,
    enterprise_id: str | None = None,
    is_enterprise_install: bool = False,
) -> dict[str, Any]:
    """The `event_callback` wrapper around `event`, authorised for one installation."""
    if event.get("type") not in EVENT_NAMES:
        raise ValueError(f"{event.get('type')!r} is not an event these helpers build")
    out: dict[str, Any] = {
        "token": "verification-token-unused",
        "team_id": team_id,
        "api_app_id": app_id,
        "event": event,
        "type": "event_callback",
        "event_id": f"Ev{next(_ids):08d}EMU",
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": enterprise_id,
                "team_id": None if is_enterprise_install else team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": is_enterprise_install,
            }
        ],
        "is_ext_shared_channel": False,
        "context_team_id": team_id,
        "context_enterprise_id": enterprise_id,
    }
    if enterprise_id:
        out["enterprise_id"] = enterprise_id
    return out


def uninstall_envelopes(
    ws: Workspace,
    *,
    bots: list[str],
    people: list[str],
    is_enterprise_install: bool = False,
) -> list[dict[str, Any]]:
    """What Slack sends when the app is removed: tokens_revoked, then app_uninstalled."""
    common: dict[str, Any] = {
        "team_id": ws.team_id,
        "app_id": ws.app_id,
        "bot_user_id": ws.bot_user_id,
        "enterprise_id": ws.enterprise_id,
        "is_enterprise_install": is_enterprise_install,
    }
    revoked = tokens_revoked(ws, bots=bots, people=people, **_flag(is_enterprise_install))
    removed = envelope({"type": "app_uninstalled", "event_ts": ws.next_ts()}, **common)
    return [revoked, removed]


def _flag(is_enterprise_install: bool) -> dict[str, bool]:
    return {"is_enterprise_install": is_enterprise_install}


def tokens_revoked(
    ws: Workspace, *, bots: list[str], people: list[str], is_enterprise_install: bool = False
) -> dict[str, Any]:
    """tokens_revoked for the user IDs whose bot (`bots`) and user (`people`) tokens went."""
    tokens: dict[str, list[str]] = {}
    if people:
        tokens["oauth"] = list(people)
    if bots:
        tokens["bot"] = list(bots)
    event = {"type": "tokens_revoked", "tokens": tokens, "event_ts": ws.next_ts()}
    return envelope(
        event,
        team_id=ws.team_id,
        app_id=ws.app_id,
        bot_user_id=ws.bot_user_id,
        enterprise_id=ws.enterprise_id,
        is_enterprise_install=is_enterprise_install,
    )


def assistant_thread(
    ws: Workspace,
    kind: str,
    *,
    user_id: str,
    channel_id: str,
    thread_ts: str,
    context_channel: str | None = None,
) -> dict[str, Any]:
    """assistant_thread_started or assistant_thread_context_changed for a thread in a DM."""
    context: dict[str, Any] = {}
    if context_channel:
        context = {
            "channel_id": context_channel,
            "team_id": ws.team_id,
            "enterprise_id": ws.enterprise_id,
        }
    event = {
        "type": kind,
        "assistant_thread": {
            "user_id": user_id,
            "context": context,
            "channel_id": channel_id,
            "thread_ts": thread_ts,
        },
        "event_ts": ws.next_ts(),
    }
    return envelope(
        event,
        team_id=ws.team_id,
        app_id=ws.app_id,
        bot_user_id=ws.bot_user_id,
        enterprise_id=ws.enterprise_id,
    )
