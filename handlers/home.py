"""App Home: published when someone opens the Home tab, and after its availability buttons."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.services import availability, home, national
from bot.unit import Unit, listen
from bot.views import ids
from bot.views import national as national_views
from bot.views.home import home_view


def register(app: App) -> None:
    """Register the App Home listeners."""
    listen(app.event("app_home_opened"), on_home_opened)
    listen(app.action(ids.AVAILABILITY_ON), on_duty, title="App Home")
    listen(app.action(ids.AVAILABILITY_OFF), off_duty, title="App Home")


def publish_home(unit: Unit, client: WebClient) -> None:
    """Render the caller's App Home now and publish it once the unit has committed."""
    data = home.home_for(
        session=unit.session,
        user_id=unit.user_id or "",
        caller=unit.caller,
        now=unit.now,
        settings=unit.settings,
    )
    view = home_view(
        home=data, network_name=unit.settings.network_name, subject=unit.settings.subject
    )
    user_id = unit.user_id or ""
    nationally = national.home(db=unit.db, caller=unit.caller)
    if nationally is not None:  # a national lead also sees every force side by side
        blocks = view["blocks"] + national_views.home_blocks(*nationally)
        view = {**view, "blocks": blocks[:100]}  # Slack's limit for a Home tab
    unit.after_commit(lambda: client.views_publish(user_id=user_id, view=view))


def on_home_opened(unit: Unit, event: dict[str, Any], client: WebClient) -> None:
    """Someone opened the Home tab."""
    if event.get("tab", "home") != "home" or not unit.user_id:
        return
    publish_home(unit, client)


def _toggle(unit: Unit, client: WebClient, on: bool) -> None:
    availability.set_duty(
        session=unit.session,
        settings=unit.settings,
        user_id=unit.user_id or "",
        caller=unit.caller,
        on=on,
        now=unit.now,
    )
    publish_home(unit, client)


def on_duty(unit: Unit, client: WebClient) -> None:
    """*Go on duty* on App Home."""
    _toggle(unit, client, True)


def off_duty(unit: Unit, client: WebClient) -> None:
    """*Go off duty* on App Home."""
    _toggle(unit, client, False)
