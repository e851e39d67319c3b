"""Slack's OAuth v2 install flow emulated: consent at a loopback URL, codes, oauth.v2.access.

Slack's consent page (`/oauth/v2/authorize`) is stood in for by a redirect straight back to
the app with a one-time code, as if the person had pressed *Allow*; the `team` query
parameter (Slack's own way to preselect a workspace) says which workspace, or organisation
(E…) for an org-wide install, consents.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode

from bot.emulator.records import SlackError
from bot.emulator.tenancy import Directory, Token
from bot.emulator.workspace import User

CODE_LIFETIME = 600  # seconds: Slack's codes expire after ten minutes


@dataclass
class Grant:
    """One authorization code and the installation it stands for."""

    team_id: str | None  # None: an org-wide install of `enterprise_id`
    enterprise_id: str | None
    user_id: str
    scopes: tuple[str, ...]
    user_scopes: tuple[str, ...]
    redirect_uri: str | None
    issued: float
    used: bool = False


def _scopes(value: Any) -> tuple[str, ...]:
    return tuple(s.strip() for s in str(value or "").split(",") if s.strip())


class OAuthServer:
    """The app's client credentials and the codes issued for it."""

    def __init__(self, *, client_id: str, client_secret: str) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uris: tuple[str, ...] = ()
        self.grants: dict[str, Grant] = {}

    def issue(
        self,
        directory: Directory,
        target: str,
        *,
        user_id: str | None = None,
        scopes: str = "chat:write,commands",
        user_scopes: str = "",
        redirect_uri: str | None = None,
    ) -> str:
        """A code for installing into workspace `target` (T…) or org-wide into `target` (E…)."""
        team_id: str | None
        enterprise_id: str | None
        if target.startswith("E"):
            if target not in directory.enterprises:
                raise ValueError(f"no organisation {target!r}; add_workspace one in it first")
            team_id, enterprise_id = None, target
            users = directory.enterprises[target].users
        else:
            ws = directory.workspace(target)
            team_id, enterprise_id, users = ws.team_id, ws.enterprise_id, ws.users
        installer = user_id or next(
            (u.id for u in sorted(users.values(), key=lambda u: u.id) if not u.is_bot), None
        )
        if installer is None:
            # a workspace with nobody in it yet still has the admin who installs the app
            installer = "WINSTALLER" if enterprise_id else "UINSTALLER"
            users[installer] = User(installer, "installer", "Installing Admin")
        elif installer not in users:
            raise ValueError(f"{installer!r} is not a member of {target}")
        code = f"{int(time.time())}.{secrets.token_hex(16)}"
        self.grants[code] = Grant(
            team_id,
            enterprise_id,
            installer,
            _scopes(scopes),
            _scopes(user_scopes),
            redirect_uri,
            time.time(),
        )
        return code

    def authorize(self, directory: Directory, query: str) -> tuple[int, dict[str, str], str]:
        """The consent page: (status, headers, error) for GET /oauth/v2/authorize?…"""
        params = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
        if params.get("client_id") != self.client_id:
            return 400, {}, "invalid_client_id"
        if not params.get("scope") and not params.get("user_scope"):
            return 400, {}, "invalid_scope"
        redirect = params.get("redirect_uri") or (self.redirect_uris or ("",))[0]
        if not redirect or (self.redirect_uris and redirect not in self.redirect_uris):
            return 400, {}, "bad_redirect_uri"
        target = params.get("team") or directory.default.team_id
        try:
            code = self.issue(
                directory,
                target,
                user_id=params.get("user") or None,
                scopes=params.get("scope", ""),
                user_scopes=params.get("user_scope", ""),
                redirect_uri=params.get("redirect_uri") or None,
            )
        except ValueError:
            return 400, {}, "team_not_found"
        answer = {"code": code}
        if "state" in params:
            answer["state"] = params["state"]
        sep = "&" if "?" in redirect else "?"
        return 302, {"Location": f"{redirect}{sep}{urlencode(answer)}"}, ""

    def check_client(self, client_id: Any, client_secret: Any) -> None:
        # wrong credentials and bad codes are answers, not misuses: a test may send them
        if not client_id or client_id != self.client_id:
            raise SlackError("invalid_client_id")
        if client_secret != self.client_secret:
            raise SlackError("bad_client_secret")

    def access(
        self, directory: Directory, args: dict[str, Any], basic: tuple[str, str] | None
    ) -> dict[str, Any]:
        """oauth.v2.access: exchange a code, once, for the installation's tokens."""
        client_id, client_secret = basic or (args.get("client_id"), args.get("client_secret"))
        self.check_client(client_id, client_secret)
        if args.get("grant_type") not in (None, "", "authorization_code"):
            raise SlackError("invalid_grant_type", "only the code grant is emulated")
        grant = self.grants.get(str(args.get("code") or ""))
        if grant is None or grant.used or time.time() - grant.issued > CODE_LIFETIME:
            raise SlackError("invalid_code")  # unknown, already exchanged, or expired
        if grant.redirect_uri and args.get("redirect_uri") != grant.redirect_uri:
            raise SlackError("bad_redirect_uri")
        grant.used = True
        return self._install(directory, grant)

    def _install(self, directory: Directory, grant: Grant) -> dict[str, Any]:
        org = directory.enterprises.get(grant.enterprise_id) if grant.enterprise_id else None
        if grant.team_id is not None:
            ws = directory.workspace(grant.team_id)
            bot_user, app_id = ws.bot_user_id, ws.app_id
        else:
            assert org is not None
            bot_user, app_id = org.bot_user_id, directory.default.app_id
        # a reinstall keeps the live bot token, as Slack does without token rotation
        bot = directory.live_bot_token(grant.team_id, grant.enterprise_id)
        if bot is None:
            owner = grant.team_id or grant.enterprise_id or ""
            bot = directory.add_token(
                Token(
                    directory.mint("bot", owner[1:]),
                    "bot",
                    grant.team_id,
                    grant.enterprise_id,
                    user_id=bot_user,
                )
            )
        bot.scopes = grant.scopes
        authed: dict[str, Any] = {"id": grant.user_id}
        if grant.user_scopes:
            owner = grant.team_id or grant.enterprise_id or ""
            person = directory.add_token(
                Token(
                    directory.mint("user", owner[1:]),
                    "user",
                    grant.team_id,
                    grant.enterprise_id,
                    user_id=grant.user_id,
                    scopes=grant.user_scopes,
                )
            )
            authed.update(
                scope=",".join(grant.user_scopes),
                access_token=person.value,
                token_type="user",
            )
        team = None
        if grant.team_id is not None:
            ws = directory.workspace(grant.team_id)
            team = {"id": ws.team_id, "name": ws.team_name}
        return {
            "access_token": bot.value,
            "token_type": "bot",
            "scope": ",".join(grant.scopes),
            "bot_user_id": bot_user,
            "app_id": app_id,
            "team": team,
            "enterprise": {"id": org.id, "name": org.name} if org else None,
            "is_enterprise_install": grant.team_id is None,
            "authed_user": authed,
        }
