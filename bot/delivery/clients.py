"""Which Web API client a call is made with, and which pacer it takes its slot from: per
workspace, since Slack's rate limits are per workspace and each installation has its token.

One deployment serves one workspace (SLACK_BOT_TOKEN: every call uses that token, and one
pacer) or many (OAuth installs: each workspace's calls use its installation's bot token, found
by `lookup`, and its own pacer, so one force's 429s never slow another force).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from slack_sdk import WebClient

from bot.delivery.pacing import Pacer, without_blind_retries

log = logging.getLogger(__name__)

# (team_id, enterprise_id) -> that installation's bot token, or None where there is none
TokenLookup = Callable[[str | None, str | None], str | None]
# (token, team_id, pacer) -> a client; with a pacer its posts are paced as interactive
ClientFactory = Callable[[str | None, str | None, Pacer | None], WebClient]
TOKEN_TTL = 60.0  # seconds a looked-up token is reused before the store is read again
SINGLE = ""  # the key of the one workspace of a single-workspace deployment
# Errors that no retry will cure: the row is marked failed and logged for an operator.
PERMANENT = frozenset(
    {
        "account_inactive",
        "cant_update_message",
        "channel_not_found",
        "edit_window_closed",
        "invalid_arguments",
        "invalid_auth",
        "invalid_blocks",
        "is_archived",
        "message_not_found",
        "missing_scope",
        "msg_too_long",
        "not_agent_app",
        "no_text",
        "not_allowed_token_type",
        "not_authed",
        "not_in_channel",
        "restricted_action",
        "too_many_users",
        "user_not_found",
        "user_not_in_channel",
        "users_list_not_supplied",
        "team_access_not_granted",
    }
)


class Clients:
    """Per workspace: its pacer, and the clients that carry its installation's token."""

    def __init__(
        self,
        make: ClientFactory,
        *,
        token: str | None = None,
        lookup: TokenLookup | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._make = make
        self._token = token
        self._lookup = lookup
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._pacers: dict[str, Pacer] = {}
        self._tokens: dict[tuple[str | None, str | None], tuple[str | None, float]] = {}
        self._delivery: dict[tuple[str | None, str | None, str], WebClient] = {}

    @property
    def multi_workspace(self) -> bool:
        return self._lookup is not None

    def key(self, team_id: str | None) -> str:
        """The pacing key of a workspace: its team id, or the one workspace's."""
        return (team_id or SINGLE) if self.multi_workspace else SINGLE

    def pacer(self, team_id: str | None) -> Pacer:
        """The pacer every post to this workspace goes through, in this process."""
        key = self.key(team_id)
        with self._lock:
            found = self._pacers.get(key)
            if found is None:
                found = self._pacers[key] = Pacer()
            return found

    def share_pacer(self, pacer: Pacer, team_id: str | None = None) -> None:
        """Pace the workspace's posts with `pacer` (one the listeners' client uses too)."""
        with self._lock:
            self._pacers[self.key(team_id)] = pacer

    def token(self, team_id: str | None, enterprise_id: str | None) -> str | None:
        """The bot token of the workspace's installation (None: the app is not installed)."""
        if self._lookup is None:
            return self._token
        now = self._monotonic()
        with self._lock:
            cached = self._tokens.get((team_id, enterprise_id))
        if cached is not None and now - cached[1] < TOKEN_TTL:
            return cached[0]
        found = self._lookup(team_id, enterprise_id)
        if found is not None:  # a workspace not installed yet may be in a minute: ask again
            with self._lock:
                self._tokens[(team_id, enterprise_id)] = (found, now)
        return found

    def for_delivery(self, team_id: str | None, enterprise_id: str | None) -> WebClient | None:
        """The client an outbox row of this workspace is sent with: the installation's token,
        429s, 5xx and broken connections handed back to the sender (which paces per
        workspace, and looks for a post whose outcome is unknown before sending it again); None
        where the app is not installed (uninstalled, or its tokens revoked)."""
        token = self.token(team_id, enterprise_id)
        if token is None:
            return None
        # The team rides on every call: an org-wide token acts on that workspace of its org.
        team = team_id if self.multi_workspace else None
        key = (team, enterprise_id, token)
        with self._lock:
            found = self._delivery.get(key)
        if found is None:
            found = without_blind_retries(self._make(token, team, None))
            with self._lock:
                self._delivery[key] = found
        return found

    def for_listener(
        self, team_id: str | None, enterprise_id: str | None, token: str | None = None
    ) -> WebClient:
        """The client a listener replies with: the workspace's token (`token`, as Bolt
        authorized the request, else the installation's), posts paced as interactive in the
        workspace's pacer."""
        token = token or self.token(team_id, enterprise_id)
        team = team_id if self.multi_workspace else None
        return self._make(token, team, self.pacer(team_id))

    def forget(self, team_id: str | None, enterprise_id: str | None) -> None:
        """Drop what is cached of an installation after an uninstall: one workspace's, or with
        no team every workspace's of the organisation (an org-wide install)."""

        def gone(team: str | None, enterprise: str | None) -> bool:
            return team == team_id if team_id else enterprise == enterprise_id

        with self._lock:
            self._tokens = {k: v for k, v in self._tokens.items() if not gone(*k)}
            self._delivery = {k: v for k, v in self._delivery.items() if not gone(k[0], k[1])}
