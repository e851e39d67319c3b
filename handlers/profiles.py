"""What the listeners read from a person's Slack profile (`users.info`): time zone and name."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.broadcasts import zone_or_default


def _user(client: WebClient, user_id: str) -> dict[str, Any] | None:
    try:
        user = client.users_info(user=user_id).get("user")
    except SlackApiError:
        return None
    return user if isinstance(user, dict) else None


def zone(client: WebClient, user_id: str) -> str:
    """The person's time zone, or the network's default one if Slack can't say."""
    user = _user(client, user_id) or {}
    return zone_or_default(str(user.get("tz") or "") or None)


def display_name(client: WebClient, user_id: str) -> str | None:
    """The person's name as Slack shows it (display name, else full name); None if unknown."""
    user = _user(client, user_id)
    if user is None:
        return None
    profile = user.get("profile") or {}
    name = profile.get("display_name") or profile.get("real_name") or user.get("real_name")
    return str(name) if name else None
