"""Uninstalls and revocations: the workspace's installation is forgotten, and nothing more is
delivered to it (its pending outbox rows are cancelled); its figures stay."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from slack_bolt import App, BoltContext

from bot.oauth.served import Served
from bot.services import installs
from bot.unit import Unit, listen

if TYPE_CHECKING:
    from bot.runtime import Runtime

log = logging.getLogger(__name__)


def register(app: App, runtime: Runtime) -> None:
    """Listen for `app_uninstalled` and `tokens_revoked` (multi-workspace deployments)."""
    store = runtime.installation_store
    assert store is not None
    clients = runtime.clients
    served = runtime.installations
    assert isinstance(served, Served)

    def stop(unit: Unit, context: BoltContext, reason: str) -> None:
        org_wide = bool(context.is_enterprise_install)
        team = None if org_wide else context.team_id
        enterprise = context.enterprise_id
        store.delete_all(enterprise_id=enterprise, team_id=team)
        clients.forget(team, enterprise)
        served.forget(team, enterprise)
        # Across workspaces: an org-wide uninstall stops every workspace of the organisation.
        with runtime.db.everywhere() as session:
            cancelled = installs.stop_delivery(
                session=session, team_id=team, enterprise_id=enterprise, now=unit.now, reason=reason
            )
        installs.record_left(
            session=unit.session,
            team_id=team,
            enterprise_id=enterprise,
            cancelled=cancelled,
            now=unit.now,
            reason=reason,
        )
        log.warning(
            "%s: the app left %s; %d pending message%s cancelled",
            reason,
            team or enterprise,
            cancelled,
            "" if cancelled == 1 else "s",
        )

    def on_app_uninstalled(unit: Unit, context: BoltContext) -> None:
        """The app was removed from a workspace (or an organisation)."""
        stop(unit, context, "app_uninstalled")

    def on_tokens_revoked(unit: Unit, context: BoltContext, event: dict[str, Any]) -> None:
        """Tokens were revoked: the bot's stops delivery, a person's forgets their token."""
        found = event.get("tokens")
        tokens: dict[str, Any] = found if isinstance(found, dict) else {}
        org_wide = bool(context.is_enterprise_install)
        team = None if org_wide else context.team_id
        for user_id in tokens.get("oauth") or []:
            if isinstance(user_id, str):
                store.delete_installation(
                    enterprise_id=context.enterprise_id, team_id=team, user_id=user_id
                )
        if tokens.get("bot"):
            stop(unit, context, "tokens_revoked")

    on_app_uninstalled.__qualname__ = on_app_uninstalled.__name__
    on_tokens_revoked.__qualname__ = on_tokens_revoked.__name__
    listen(app.event("app_uninstalled"), on_app_uninstalled)
    listen(app.event("tokens_revoked"), on_tokens_revoked)
