"""The emulator's workspaces, installs and assistant threads: public API and token methods."""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlencode

from bot.emulator import assistant as _assistant  # noqa: F401 - registers assistant.threads.*
from bot.emulator import events
from bot.emulator.limits import Faults, RateLimiter
from bot.emulator.methods import page_of
from bot.emulator.oauth import OAuthServer
from bot.emulator.server import ApiRequest, Reply
from bot.emulator.tenancy import Directory, Token
from bot.emulator.workspace import Workspace

INSTALL_METHODS = {"auth.test", "auth.teams.list", "auth.revoke", "apps.uninstall"}
INSTALL_METHODS |= {"oauth.v2.access"}
CLIENT_ID = "1111111111.2222222222"
CLIENT_SECRET = "emulated-client-secret"


class Installs:
    """Several workspaces, Enterprise organisations, OAuth installs and uninstalls."""

    _lock: threading.RLock
    _dir: Directory
    _ws: Workspace
    _auto_create: bool
    _events: list[dict[str, Any]]
    _faults: Faults
    _limiter: RateLimiter

    def __init__(self) -> None:
        self._oauth = OAuthServer(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)

    @property
    def base_url(self) -> str:
        raise NotImplementedError

    # ---- workspaces and organisations

    def add_workspace(
        self,
        team_id: str,
        *,
        bot_token: str | None = None,
        enterprise_id: str | None = None,
        name: str | None = None,
        agent_view: bool = False,
    ) -> None:
        """Another workspace with its own users, channels, messages and rate limits.

        `bot_token`: the app is already installed there with that token (None: install it
        through OAuth). With `enterprise_id` the workspace joins that organisation, whose
        user IDs are valid in each of its workspaces.
        """
        with self._lock:
            ws = self._dir.add_workspace(
                team_id,
                name=name or f"Workspace {team_id}",
                enterprise_id=enterprise_id,
                auto_create=self._auto_create,
                agent_view=agent_view,
            )
            if bot_token is not None:
                token = Token(bot_token, "bot", team_id, enterprise_id, user_id=ws.bot_user_id)
                self._dir.add_token(token)

    def add_enterprise(
        self, enterprise_id: str, *, name: str | None = None, bot_token: str | None = None
    ) -> None:
        """An Enterprise organisation; `bot_token` installs the app org-wide with that token."""
        with self._lock:
            org = self._dir.add_enterprise(enterprise_id, name or f"{enterprise_id} organisation")
            if bot_token is not None:
                token = Token(bot_token, "bot", None, enterprise_id, user_id=org.bot_user_id)
                self._dir.add_token(token)

    def set_agent_view(self, enabled: bool, *, team_id: str | None = None) -> None:
        """Whether the app has Slack's agent feature in a workspace (assistant.threads.*)."""
        with self._lock:
            self._dir.workspace(team_id).agent_view = enabled

    def bot_user(self, team_id: str | None = None) -> str:
        with self._lock:
            return self._dir.workspace(team_id).bot_user_id

    def bot_token(self, team_id: str) -> str | None:
        """The live bot token installed for a workspace (T…) or organisation (E…), if any."""
        with self._lock:
            if team_id.startswith("E"):
                token = self._dir.live_bot_token(None, team_id)
            else:
                ws = self._dir.workspace(team_id)
                token = self._dir.live_bot_token(team_id, ws.enterprise_id)
            return token.value if token else None

    # ---- OAuth v2

    def configure_oauth(
        self,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        redirect_uris: tuple[str, ...] | None = None,
    ) -> None:
        """The app's credentials (defaults: CLIENT_ID, CLIENT_SECRET) and allowed redirects."""
        with self._lock:
            self._oauth.client_id = client_id or self._oauth.client_id
            self._oauth.client_secret = client_secret or self._oauth.client_secret
            if redirect_uris is not None:
                self._oauth.redirect_uris = tuple(redirect_uris)

    @property
    def client_id(self) -> str:
        return self._oauth.client_id

    @property
    def client_secret(self) -> str:
        return self._oauth.client_secret

    def issue_code(
        self,
        team_id: str,
        *,
        user_id: str | None = None,
        scope: str = "chat:write,commands",
        user_scope: str = "",
        redirect_uri: str | None = None,
    ) -> str:
        """A one-time code as if `user_id` had approved the install (org-wide for an E… id)."""
        with self._lock:
            return self._oauth.issue(
                self._dir,
                team_id,
                user_id=user_id,
                scopes=scope,
                user_scopes=user_scope,
                redirect_uri=redirect_uri,
            )

    @property
    def authorization_url(self) -> str:
        """The consent page's address, for Bolt's `OAuthSettings(authorization_url=…)`."""
        return f"{self.base_url}/oauth/v2/authorize"

    def authorize_url(self, *, team_id: str | None = None, **params: str) -> str:
        """The emulated consent page; GET redirects to `redirect_uri` with a code and `state`."""
        query: dict[str, str] = {"client_id": self._oauth.client_id, **params}
        if team_id:
            query["team"] = team_id
        return f"{self.authorization_url}?{urlencode(query)}"

    def handle_authorize(self, query: str) -> Reply:
        """GET /oauth/v2/authorize (called on the server's threads)."""
        with self._lock:
            status, headers, error = self._oauth.authorize(self._dir, query)
        body = {"ok": not error, **({"error": error} if error else {})}
        return Reply(body, status=status, headers=headers)

    # ---- uninstalling and events

    def uninstall(self, team_id: str) -> list[dict[str, Any]]:
        """Remove the app from a workspace (or an org, E…): its tokens stop working.

        Returns the envelopes Slack would send (tokens_revoked, then app_uninstalled), ready
        for `SlackSender.post_json`.
        """
        with self._lock:
            return self._uninstall(team_id)

    def _uninstall(self, team_id: str) -> list[dict[str, Any]]:
        org_wide = team_id.startswith("E")
        team: str | None
        enterprise: str | None
        if org_wide:
            if team_id not in self._dir.enterprises:
                raise ValueError(f"no organisation {team_id!r}")
            members = self._dir.org_workspaces(team_id)
            team, enterprise = None, team_id
            bots, people = self._dir.revoke_installation(team, enterprise)
            if not members:
                return []
            ws = members[0]
        else:
            ws = self._dir.workspace(team_id)
            team, enterprise = ws.team_id, ws.enterprise_id
            bots, people = self._dir.revoke_installation(team, enterprise)
        out = events.uninstall_envelopes(
            ws, bots=bots, people=people, is_enterprise_install=org_wide
        )
        self._events.extend(out)
        return out

    @property
    def events(self) -> list[dict[str, Any]]:
        """Every event envelope the emulator has built, oldest first."""
        with self._lock:
            return list(self._events)

    def assistant_thread_started(
        self, user_id: str, *, team_id: str | None = None, context_channel: str | None = None
    ) -> dict[str, Any]:
        """A user opens the app's agent container: a new thread in their DM with the bot."""
        with self._lock:
            ws = self._dir.workspace(team_id)
            if ws.known_user(user_id) is None:
                raise ValueError(f"unknown user {user_id!r}; add_user it first")
            channel = ws.open_im(user_id).id
            thread_ts = ws.next_ts()
            ws.assistant_threads[(channel, thread_ts)] = {"user": user_id}
            out = events.assistant_thread(
                ws,
                "assistant_thread_started",
                user_id=user_id,
                channel_id=channel,
                thread_ts=thread_ts,
                context_channel=context_channel,
            )
            self._events.append(out)
            return out

    def assistant_thread_context_changed(
        self, channel_id: str, thread_ts: str, *, context_channel: str, team_id: str | None = None
    ) -> dict[str, Any]:
        """The user, with the container open, moved to `context_channel`."""
        with self._lock:
            ws = self._dir.workspace(team_id)
            thread = ws.assistant_threads.get((channel_id, thread_ts))
            if thread is None or not thread.get("user"):
                raise ValueError(f"no assistant thread {thread_ts} in {channel_id}")
            out = events.assistant_thread(
                ws,
                "assistant_thread_context_changed",
                user_id=str(thread["user"]),
                channel_id=channel_id,
                thread_ts=thread_ts,
                context_channel=context_channel,
            )
            self._events.append(out)
            return out

    def assistant_thread(
        self, channel_id: str, thread_ts: str, *, team_id: str | None = None
    ) -> dict[str, Any] | None:
        """What the app last set on a thread: status, loading_messages, title, prompts."""
        with self._lock:
            found = self._dir.workspace(team_id).assistant_threads.get((channel_id, thread_ts))
            return None if found is None else dict(found)

    # ---- the methods about tokens

    def _install_method(
        self, method: str, request: ApiRequest, token: Token | None, ws: Workspace | None
    ) -> dict[str, Any]:
        args = request.args
        if method == "oauth.v2.access":
            return self._oauth.access(self._dir, args, request.basic)
        assert token is not None
        if method == "auth.test":
            return _auth_test(self._dir, token, ws)
        if method == "auth.teams.list":
            # the workspaces an org-wide install reaches; a workspace install reaches its own
            if token.team_id is not None:
                reach = [self._dir.workspace(token.team_id)]
            else:
                reach = self._dir.org_workspaces(str(token.enterprise_id))
            teams = [{"id": w.team_id, "name": w.team_name} for w in reach]
            page, cursor = page_of(teams, args)
            return {"teams": page, "response_metadata": {"next_cursor": cursor}}
        if method == "apps.uninstall":
            self._oauth.check_client(args.get("client_id"), args.get("client_secret"))
            self._uninstall(token.team_id or str(token.enterprise_id))
            return {}
        # auth.revoke
        if args.get("test") in (True, 1, "1", "true"):
            return {"revoked": False}
        self._dir.revoke(token)
        if ws is None and token.enterprise_id:
            ws = next(iter(self._dir.org_workspaces(token.enterprise_id)), None)
        if ws is not None:
            bots, people = ([token.user_id], []) if token.kind == "bot" else ([], [token.user_id])
            org_wide = token.is_enterprise_install
            self._events.append(
                events.tokens_revoked(ws, bots=bots, people=people, is_enterprise_install=org_wide)
            )
        return {"revoked": True}


def _auth_test(directory: Directory, token: Token, ws: Workspace | None) -> dict[str, Any]:
    """auth.test for the calling token: its workspace, or its organisation when org-wide.

    An org-wide token called without a team_id names the organisation where a workspace
    would be (team_id is then the E… id), since it belongs to no single workspace.
    """
    out: dict[str, Any] = {}
    if ws is None:
        org = directory.enterprises[str(token.enterprise_id)]
        user = org.users.get(token.user_id)
        out.update(url=f"https://{org.id.lower()}.enterprise.emulated.slack.com/", team=org.name)
        out.update(team_id=org.id, bot_id=f"B{org.id[1:]}")
    else:
        user = ws.users.get(token.user_id)
        out.update(url=ws.domain, team=ws.team_name, team_id=ws.team_id, bot_id=ws.bot_id)
    out["user"] = user.name if user else token.user_id.lower()
    out["user_id"] = token.user_id
    if token.kind != "bot":
        out.pop("bot_id")
    if token.enterprise_id:
        out["enterprise_id"] = token.enterprise_id
    out["is_enterprise_install"] = token.is_enterprise_install
    return out
