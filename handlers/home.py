"""App Home: published whenever someone opens the bot's Home tab."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.models import Role
from bot.runtime import Runtime
from bot.services import questions, roster
from bot.views.home import home_view


def register(app: App, runtime: Runtime) -> None:
    """Register the App Home listener."""

    @app.event("app_home_opened")
    def on_home_opened(event: dict[str, Any], client: WebClient) -> None:
        user_id = event.get("user")
        if event.get("tab", "home") != "home" or not isinstance(user_id, str):
            return
        with runtime.db.session() as session:
            recent = questions.recent_for(session=session, asker_id=user_id)
            role = roster.role_of(session=session, slack_user_id=user_id)
            view = home_view(
                network_name=runtime.settings.network_name,
                subject=runtime.settings.subject,
                recent=recent,
                is_lead=role in (Role.LEAD, Role.ADMIN),
            )
        client.views_publish(user_id=user_id, view=view)
