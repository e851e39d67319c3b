"""Which workspaces a multi-workspace deployment serves: each workspace with an installation of
its own, and each workspace of an organisation installed org-wide (as `auth.teams.list` names
them at install, and as requests from them arrive). The clock sweeps each; a request from a
workspace not among them is acknowledged and ignored (`bot.tenancy.resolve`)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store import Installation
from sqlalchemy import select

from bot.db import Database
from bot.models import KnownWorkspace
from bot.oauth.store import EncryptedInstallationStore
from bot.tenancy import Workspace

log = logging.getLogger(__name__)


class Served:
    """`bot.tenancy.Installations` over the encrypted installation store; `token` is the
    (cached) token lookup the clients use, so that a request costs no extra query."""

    def __init__(
        self,
        store: EncryptedInstallationStore,
        db: Database,
        token: Callable[[str | None, str | None], str | None],
    ) -> None:
        self.store = store
        self.db = db
        self.token = token
        self._known: set[str] = set()
        self._lock = threading.Lock()

    def installed(self, team_id: str | None, enterprise_id: str | None) -> bool:
        if not team_id or self.token(team_id, enterprise_id) is None:
            return False
        self.remember(Workspace(team_id, enterprise_id or None))
        return True

    def workspaces(self) -> list[Workspace]:
        found: dict[str, Workspace] = {}
        orgs: set[str] = set()
        for enterprise, team, org_wide in self.store.installations():
            if team and not org_wide:
                found[team] = Workspace(team, enterprise)
            elif enterprise:
                orgs.add(enterprise)
        if orgs:
            with self.db.everywhere() as session:
                for known in session.scalars(
                    select(KnownWorkspace).where(KnownWorkspace.enterprise_id.in_(sorted(orgs)))
                ):
                    found.setdefault(known.team_id, Workspace(known.team_id, known.enterprise_id))
        return [found[t] for t in sorted(found)]

    def remember(self, workspace: Workspace, *, again: bool = False) -> None:
        """Record a workspace the app serves (once per process, unless `again`: an install,
        which also brings back a workspace that had uninstalled the app)."""
        with self._lock:
            if workspace.team_id in self._known and not again:
                return
        with self.db.everywhere() as session:
            known = session.get(KnownWorkspace, workspace.team_id)
            if known is None:
                session.add(
                    KnownWorkspace(team_id=workspace.team_id, enterprise_id=workspace.enterprise_id)
                )
            elif known.left_at is not None:
                known.left_at = None
        with self._lock:
            self._known.add(workspace.team_id)

    def forget(self, team_id: str | None, enterprise_id: str | None) -> None:
        """After an uninstall: the next install records the workspace again."""
        with self._lock:
            if team_id:
                self._known.discard(team_id)
            else:
                self._known.clear()  # an organisation's: cheap to record its workspaces again

    def installed_now(self, installation: Installation, client: WebClient) -> None:
        """After an install: record its workspace, or every workspace of its organisation."""
        if not installation.is_enterprise_install:
            if installation.team_id:
                workspace = Workspace(installation.team_id, installation.enterprise_id)
                self.remember(workspace, again=True)
            return
        cursor = None
        try:
            while True:
                page = client.auth_teams_list(
                    token=installation.bot_token, cursor=cursor, limit=200
                )
                for team in page.get("teams") or []:
                    workspace = Workspace(str(team["id"]), installation.enterprise_id)
                    self.remember(workspace, again=True)
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    break
        except SlackApiError as error:  # its workspaces are then learnt as they are used
            log.warning(
                "could not list the workspaces of %s: %s",
                installation.enterprise_id,
                error.response.get("error"),
            )
