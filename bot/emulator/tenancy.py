"""Workspaces, Enterprise organisations and the tokens that reach them: routing a call by token."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from bot.emulator.records import SlackError
from bot.emulator.workspace import USER_ID, Counter, User, Workspace

TOKEN_PREFIXES = ("xoxb-", "xapp-", "xoxp-")


@dataclass
class Token:
    """One access token: whose it is, what it may do, and whether it still works.

    `team_id` is None for an org-wide installation's token, which reaches every workspace of
    `enterprise_id`. `revoked` is the error a revoked token now gets: "token_revoked" after
    auth.revoke, "account_inactive" for a bot token of an uninstalled app (as the reference
    describes the two errors).
    """

    value: str
    kind: str  # "bot" or "user"
    team_id: str | None
    enterprise_id: str | None = None
    user_id: str = ""
    scopes: tuple[str, ...] | None = None  # None: every scope
    revoked: str | None = None

    @property
    def is_enterprise_install(self) -> bool:
        return self.team_id is None


@dataclass
class Enterprise:
    """An Enterprise organisation: its workspaces share users and may share one install."""

    id: str
    name: str
    users: dict[str, User] = field(default_factory=dict)
    bot_user_id: str = ""


class Directory:
    """Every workspace and token of one emulator; callers hold the emulator's lock."""

    def __init__(self, default: Workspace, ids: Counter) -> None:
        self.default = default
        self.ids = ids
        self.workspaces: dict[str, Workspace] = {default.team_id: default}
        self.enterprises: dict[str, Enterprise] = {}
        self.tokens: dict[str, Token] = {}

    # ---- building

    def add_enterprise(self, enterprise_id: str, name: str) -> Enterprise:
        if not enterprise_id.startswith("E"):
            raise ValueError(f"{enterprise_id!r} is not an Enterprise ID (E…)")
        if enterprise_id not in self.enterprises:
            org = Enterprise(enterprise_id, name, bot_user_id=f"WB{enterprise_id[1:]}")
            self.enterprises[enterprise_id] = org
        return self.enterprises[enterprise_id]

    def add_workspace(
        self,
        team_id: str,
        *,
        name: str,
        enterprise_id: str | None,
        auto_create: bool,
        agent_view: bool,
    ) -> Workspace:
        if team_id in self.workspaces:
            raise ValueError(f"workspace {team_id!r} already exists")
        if not (team_id.startswith("T") and team_id[1:].isalnum() and team_id.isupper()):
            raise ValueError(f"{team_id!r} is not a team ID (T…)")
        org = self.enterprises.get(enterprise_id) if enterprise_id else None
        if enterprise_id and org is None:
            org = self.add_enterprise(enterprise_id, f"{enterprise_id} organisation")
        ws = Workspace(
            auto_create=auto_create,
            team_id=team_id,
            team_name=name,
            # in an org the app has one bot user, a W… ID valid in every workspace of it
            bot_user_id=org.bot_user_id if org else f"UB{team_id[1:]}",
            bot_id=f"B{team_id[1:]}",
            app_id=self.default.app_id,
            enterprise_id=enterprise_id,
            users=org.users if org else None,
            ids=self.ids,
            agent_view=agent_view,
        )
        self.workspaces[team_id] = ws
        return ws

    def workspace(self, team_id: str | None) -> Workspace:
        if team_id is None:
            return self.default
        try:
            return self.workspaces[team_id]
        except KeyError:
            raise ValueError(f"no workspace {team_id!r}; add_workspace it first") from None

    def org_workspaces(self, enterprise_id: str) -> list[Workspace]:
        return [ws for ws in self.workspaces.values() if ws.enterprise_id == enterprise_id]

    def add_token(self, token: Token) -> Token:
        if not token.value.startswith(TOKEN_PREFIXES):
            raise ValueError(f"a token must start with one of {TOKEN_PREFIXES}")
        known = self.tokens.get(token.value)
        if known is not None and known.revoked is None and known != token:
            raise ValueError("that token already belongs to another installation")
        self.tokens[token.value] = token
        return token

    def mint(self, kind: str, owner: str) -> str:
        """A fresh token in Slack's shape: xoxb-/xoxp-, numeric parts, a random tail."""
        prefix = "xoxb" if kind == "bot" else "xoxp"
        return f"{prefix}-{owner}-{self.ids.next():06d}-{secrets.token_hex(12)}"

    def live_bot_token(self, team_id: str | None, enterprise_id: str | None) -> Token | None:
        for token in self.tokens.values():
            if (
                token.kind == "bot"
                and token.revoked is None
                and token.team_id == team_id
                and token.enterprise_id == enterprise_id
            ):
                return token
        return None

    # ---- routing

    def route(
        self, value: str, args: dict[str, Any], *, need_workspace: bool = True
    ) -> tuple[Token, Workspace | None]:
        """The token and the workspace a call acts on, or the error Slack gives.

        An org-wide token acts on no workspace until one is named or found; only methods
        about the token itself (`need_workspace` False) may go without one.
        """
        token = self.tokens.get(value)
        if token is None:
            raise SlackError("invalid_auth", "the token belongs to no workspace of the emulator")
        if token.revoked:
            # not a misuse: the app may learn of a revocation only from this answer
            raise SlackError(token.revoked)
        if token.team_id is not None:
            return token, self.workspaces[token.team_id]
        if not need_workspace and not args.get("team_id"):
            return token, None
        return token, self._org_workspace(token, args)

    def _org_workspace(self, token: Token, args: dict[str, Any]) -> Workspace:
        """An org-wide token acts on the workspace `team_id` names, else the one it finds."""
        assert token.enterprise_id is not None
        members = self.org_workspaces(token.enterprise_id)
        team = args.get("team_id")
        if team:
            for ws in members:
                if ws.team_id == team:
                    return ws
            raise SlackError("team_not_found", f"team {team!r} is not in {token.enterprise_id}")
        channel = args.get("channel") or args.get("channel_id")
        if isinstance(channel, str) and not USER_ID.match(channel):
            for ws in members:
                if channel in ws.channels:
                    return ws
        if not members:
            raise SlackError("team_not_found", f"{token.enterprise_id} has no workspace yet")
        return members[0]

    # ---- revocation

    def revoke(self, token: Token, *, error: str = "token_revoked") -> None:
        token.revoked = error

    def revoke_installation(
        self, team_id: str | None, enterprise_id: str | None
    ) -> tuple[list[str], list[str]]:
        """Revoke every live token of one installation; the bot and user IDs that held them."""
        bots: list[str] = []
        people: list[str] = []
        for token in self.tokens.values():
            if token.revoked or token.team_id != team_id or token.enterprise_id != enterprise_id:
                continue
            if token.kind == "bot":
                token.revoked = "account_inactive"
                bots.append(token.user_id)
            else:
                token.revoked = "token_revoked"
                people.append(token.user_id)
        return sorted(set(bots)), sorted(set(people))
