"""The Slack app manifest: paste `champbot manifest --url …` into "Create from manifest"."""

from __future__ import annotations

from typing import Any

COMMANDS = [
    ("/ask", "Ask a case-advice question", "[your question]"),
    ("/faq", "Search the knowledge base only", "[your question]"),
    ("/champion", "Set your availability as a champion", "on | off | away until DATE | status"),
    ("/champbot", "Help, figures and the roster", "help | stats | unanswered | roster"),
    ("/broadcast", "Leads: send an update to the network", "[list]"),
]
# The scope each Web API method the app calls needs (Slack's method pages), so that the manifest
# asks for exactly these and nothing more: a force's security review asks why for each one.
METHOD_SCOPES: dict[str, tuple[str, ...]] = {
    "auth.test": (),
    "chat.delete": ("chat:write",),
    "chat.postEphemeral": ("chat:write",),
    "chat.postMessage": ("chat:write",),
    "chat.update": ("chat:write",),
    "conversations.open": ("im:write", "mpim:write"),  # a DM, and the consult's group DM
    "users.info": ("users:read",),  # a lead's time zone, for scheduled broadcasts
    "views.open": (),
    "views.publish": (),
    "views.push": (),
    "views.update": (),
}
BOT_EVENTS = ["app_home_opened", "app_mention", "message.im"]
# The scope each subscribed event needs (the reference's events/*.json).
EVENT_SCOPES: dict[str, tuple[str, ...]] = {
    "app_home_opened": (),
    "app_mention": ("app_mentions:read",),
    "message.im": ("im:history",),
}
BOT_SCOPES = sorted(
    {"commands"}
    | {scope for scopes in METHOD_SCOPES.values() for scope in scopes}
    | {scope for scopes in EVENT_SCOPES.values() for scope in scopes}
)


def manifest(*, url: str, name: str = "Champion Network Bot") -> dict[str, Any]:
    """The manifest for an app served at `url` (its base, e.g. https://champbot.example.org)."""
    endpoint = url.rstrip("/") + "/slack/events"
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
        "features": {
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
        },
        "oauth_config": {"scopes": {"bot": BOT_SCOPES}},
        "settings": {
            "event_subscriptions": {"request_url": endpoint, "bot_events": BOT_EVENTS},
            "interactivity": {"is_enabled": True, "request_url": endpoint},
            "org_deploy_enabled": False,
            "socket_mode_enabled": False,
            "token_rotation_enabled": False,
        },
    }
