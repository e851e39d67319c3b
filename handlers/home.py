"""App Home: published when someone opens the Home tab, and after availability buttons."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.runtime import Runtime
from bot.services import ServiceError, availability, home, requests
from bot.views import ids
from bot.views.home import home_view


def publish_home(runtime: Runtime, client: WebClient, user_id: str) -> None:
    """Render and publish one person's App Home."""
    with runtime.db.session() as session:
        data = home.home_for(session=session, user_id=user_id, now=runtime.now())
        view = home_view(
            home=data, network_name=runtime.settings.network_name, subject=runtime.settings.subject
        )
    client.views_publish(user_id=user_id, view=view)


def register(app: App, runtime: Runtime) -> None:
    """Register the App Home listeners."""

    @app.event("app_home_opened")
    def on_home_opened(event: dict[str, Any], client: WebClient) -> None:
        user_id = event.get("user")
        if event.get("tab", "home") != "home" or not isinstance(user_id, str):
            return
        publish_home(runtime, client, user_id)

    def toggle(on: bool) -> Any:
        def handler(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
            ack()
            user_id = str((body.get("user") or {}).get("id", ""))
            try:
                with runtime.work() as session:
                    availability.set_on(session=session, user_id=user_id, on=on, now=runtime.now())
                    if on:
                        requests.route_waiting(
                            session=session, settings=runtime.settings, now=runtime.now()
                        )
            except ServiceError:
                pass  # the refreshed Home shows the truth; non-champions see no such buttons
            publish_home(runtime, client, user_id)

        return handler

    app.action(ids.AVAILABILITY_ON)(toggle(True))
    app.action(ids.AVAILABILITY_OFF)(toggle(False))
