"""The Slack app manifest: paste `champbot manifest --url …` into "Create from manifest"."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

COMMANDS = [
    ("/ask", "Ask a case-advice question", "[your question]"),
    ("/faq", "Search the knowledge base only", "[your question]"),
    (
        "/champion",
        "Set your availability as a champion; your CPD",
        "on | off | away until DATE | status | cpd",
    ),
    ("/champbot", "Help, figures and the roster", "help | stats | unanswered | roster"),
    ("/broadcast", "Leads: send an update to the network", "[list]"),
]
# The scope each Web API method the app calls needs (Slack's method pages), so that the manifest
# asks for exactly these and nothing more: a force's security review asks why for each one.
METHOD_SCOPES: dict[str, tuple[str, ...]] = {
    "assistant.threads.setStatus": ("assistant:write",),
    "assistant.threads.setSuggestedPrompts": ("assistant:write",),
    "auth.teams.list": (),  # the workspaces of an organisation that installed org-wide
    "auth.test": (),
    "chat.delete": ("chat:write",),
    "chat.postEphemeral": ("chat:write",),
    "chat.postMessage": ("chat:write",),
    "chat.update": ("chat:write",),
    # Read only to find the bot's own post after an unknown outcome (bot.delivery.reconcile).
    "conversations.history": ("channels:history", "groups:history", "im:history", "mpim:history"),
    "conversations.open": ("im:write", "mpim:write"),  # a DM, and the consult's group DM
    # the monthly impact summary's PDF, shared in each lead's DM
    "files.completeUploadExternal": ("files:write",),
    "files.getUploadURLExternal": ("files:write",),
    "conversations.replies": ("channels:history", "groups:history", "im:history", "mpim:history"),
    "oauth.v2.access": (),  # the install page's redirect exchanges its code (many workspaces)
    "users.info": ("users:read",),  # a lead's time zone, for scheduled broadcasts
    "views.open": (),
    "views.publish": (),
    "views.push": (),
    "views.update": (),
}
# Called only in the agent view (Slack's agent messaging experience): their scope is asked for by
# `manifest(agent_view=True)` alone, and without it the bot answers threads as plain DMs.
AGENT_VIEW_METHODS = frozenset(
    {"assistant.threads.setStatus", "assistant.threads.setSuggestedPrompts"}
)
# app_uninstalled and tokens_revoked stop delivery to a workspace that removed the app.
BOT_EVENTS = ["app_home_opened", "app_mention", "app_uninstalled", "message.im", "tokens_revoked"]
AGENT_VIEW_EVENTS = ["assistant_thread_started", "assistant_thread_context_changed"]
# The scope each subscribed event needs (the reference's events/*.json).
EVENT_SCOPES: dict[str, tuple[str, ...]] = {
    "app_home_opened": (),
    "app_mention": ("app_mentions:read",),
    "app_uninstalled": (),
    "assistant_thread_context_changed": (),
    "assistant_thread_started": (),
    "message.im": ("im:history",),
    "tokens_revoked": (),
}


def bot_scopes(*, agent_view: bool = False) -> list[str]:
    """The bot scopes the code needs: those of the methods it calls and the events it takes."""
    methods = [m for m in METHOD_SCOPES if agent_view or m not in AGENT_VIEW_METHODS]
    events = BOT_EVENTS + (AGENT_VIEW_EVENTS if agent_view else [])
    return sorted(
        {"commands"}
        | {scope for m in methods for scope in METHOD_SCOPES[m]}
        | {scope for e in events for scope in EVENT_SCOPES[e]}
    )


BOT_SCOPES = bot_scopes()


def manifest(
    *,
    url: str,
    name: str = "Champion Network Bot",
    agent_view: bool = False,
    description: str = "",
    prompts: Sequence[dict[str, str]] = (),
) -> dict[str, Any]:
    """The manifest for an app served at `url` (its base, e.g. https://champbot.example.org).

    `agent_view`: also the app's place in Slack's agent messaging experience, described by
    `description` and offering `prompts` ({title, message}, at most four) to begin with.
    """
    endpoint = url.rstrip("/") + "/slack/events"
    features: dict[str, Any] = {
        "app_home": {
            "home_tab_enabled": True,
            "messages_tab_enabled": True,
            "messages_tab_read_only_enabled": False,
        },
        "bot_user": {"display_name": "champbot", "always_online": True},
        "shortcuts": [
            {
                "name": "Ask a champion",
                "type": "message",
                "callback_id": "ask_champion_shortcut",
                "description": "Send this message to a champion as a case-advice request",
            }
        ],
        "slash_commands": [
            {
                "command": cmd,
                "url": endpoint,
                "description": desc,
                "usage_hint": hint,
                "should_escape": cmd in ("/champbot", "/champion"),
            }
            for cmd, desc, hint in COMMANDS
        ],
    }
    events = list(BOT_EVENTS)
    if agent_view:
        if not description or not 1 <= len(prompts) <= 4:
            raise ValueError("the agent view needs a description and one to four prompts")
        features["assistant_view"] = {
            "assistant_description": description,
            "suggested_prompts": [dict(p) for p in prompts],
        }
        events += AGENT_VIEW_EVENTS
    return {
        "display_information": {
            "name": name[:35],
            "description": "Case advice for police champion networks",
            "background_color": "#1d3557",
            "long_description": (
                "Answers officers' case-advice questions from a curated, sourced knowledge base, "
                "routes live cases to trained champions, and lets leads broadcast national "
                "policy, trends and local data to the network. Not an emergency service."
            ),
        },
        "features": features,
        "oauth_config": {
            # the install page's redirect, for installs into many workspaces (SLACK_CLIENT_ID)
            "redirect_urls": [url.rstrip("/") + "/slack/oauth_redirect"],
            "scopes": {"bot": bot_scopes(agent_view=agent_view)},
        },
        "settings": {
            "event_subscriptions": {"request_url": endpoint, "bot_events": events},
            "interactivity": {"is_enabled": True, "request_url": endpoint},
            "org_deploy_enabled": False,
            "socket_mode_enabled": False,
            "token_rotation_enabled": False,
        },
    }
