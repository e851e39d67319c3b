"""The emulator's failures and rate limits: a call answered with an error, held in flight, or
limited as Slack limits it (what `SlackEmulator` adds to `EmulatorCore` for the tests)."""

from __future__ import annotations

import math
from typing import Any

from bot.emulator.handling import EmulatorCore
from bot.emulator.limits import DEFAULT_ERRORS, METHOD_TIERS, TIERS, Fault, Hold, Where


class EmulatorFaults(EmulatorCore):
    """Failures injected into the emulator's answers, calls held, and rate limits."""

    def inject(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int | None = None,
        times: int = 1,
        error: str | None = None,
        team_id: str | None = None,
        applied: bool = False,
        channel: str | None = None,
        where: Where | None = None,
    ) -> None:
        """Answer the next `times` calls of `method` with HTTP `status` without applying them.

        `team_id`: only calls routed to that workspace (None: whichever workspace calls).
        `channel`: only calls to that conversation (a user ID also matches their DM's D…, and
        a DM's D… a post addressed to the user ID); `where`: only calls whose arguments it
        accepts. `applied`: the call takes effect first and only its answer is the failure
        (Slack posted, then answered 500: the caller cannot tell that it worked).

        429 carries Retry-After (default 1 s) and {"ok":false,"error":"ratelimited"}; with
        status 200, `error` gives an ok=false answer such as "is_archived". `method` may also
        be "response_url", or "upload_url" (the POST of a file's bytes).
        """
        if method not in self.reference and method not in ("response_url", "upload_url"):
            raise ValueError(f"{method!r} is not a Web API method")
        if times < 1:
            raise ValueError("times must be at least 1")
        if applied and (status < 500 or method == "response_url"):
            raise ValueError("only a Web API call's 5xx can come after the call took effect")
        if status == 429 and retry_after is None:
            retry_after = 1
        default = DEFAULT_ERRORS.get(status, "request_failed" if status != 200 else "")
        if not (error or default):
            raise ValueError("an injected status 200 needs an error")
        fault = Fault(
            status,
            error or default,
            retry_after,
            times,
            applied=applied,
            where=self._where(channel, where, team_id),
        )
        with self._lock:
            self._faults.add(method, fault, team_id or "")

    def hold(
        self,
        method: str,
        *,
        applied: bool,
        channel: str | None = None,
        where: Where | None = None,
        team_id: str | None = None,
    ) -> Hold:
        """Hold the next call of `method` (to `channel`, or whose arguments `where` accepts)
        until `Hold.release()` (at most a minute): `applied` True, after it took effect (Slack
        has the message, its answer is on the way); False, before (then it is answered 500 and
        never takes effect). `Hold.wait_reached()` waits for the call. For a test that kills
        the caller while its call is in flight."""
        if method not in self.reference:
            raise ValueError(f"{method!r} is not a Web API method")
        hold = Hold(method, applied, self._where(channel, where, team_id))
        with self._lock:
            self._faults.add_hold(hold)
        return hold

    def _where(self, channel: str | None, where: Where | None, team_id: str | None) -> Where | None:
        if channel is None:
            return where

        def to_channel(args: dict[str, Any]) -> bool:
            # Resolved when the call comes: a DM opened since still matches its user.
            with self._lock:
                ws = self._dir.workspace(team_id)
                wanted = {channel, ws.ims.get(channel, channel)}
                wanted |= {user for user, dm in ws.ims.items() if dm == channel}
            named = {args.get("channel"), args.get("channel_id")}
            return bool(named & wanted) and (where is None or where(args))

        return to_channel

    def rate_limit(
        self,
        method: str,
        *,
        per_minute: float,
        burst: int | None = None,
        team_id: str | None = None,
    ) -> None:
        """Limit `method` to `per_minute` calls (bursts of `burst`); excess gets 429.

        Each workspace has its own allowance, as on Slack; `team_id` sets the limit for that
        workspace alone (None: for every workspace without its own). "chat.postMessage:channel"
        limits each channel separately (see `rate_limit_channels`).
        """
        if method == "chat.postMessage:channel":
            per_second = per_minute / 60.0
            self.rate_limit_channels(per_second=per_second, burst=burst or 3, team_id=team_id)
            return
        if method not in self.reference:
            raise ValueError(f"{method!r} is not a Web API method")
        with self._lock:
            self._limiter.limit_method(
                method,
                per_minute=per_minute,
                burst=burst or max(1, math.ceil(per_minute / 10)),
                team=team_id or "",
            )

    def rate_limit_channels(
        self, *, per_second: float = 1.0, burst: int = 3, team_id: str | None = None
    ) -> None:
        """chat.postMessage at about `per_second` per channel, as Slack does, bursts allowed."""
        with self._lock:
            self._limiter.limit_channels(per_second=per_second, burst=burst, team=team_id or "")

    def slack_rate_limits(self, *, scale: float = 1.0) -> None:
        """Slack's published tiers for the methods emulated, plus the per-channel limit.

        `scale` multiplies every rate (e.g. 10 for a faster benchmark with the same shape).
        """
        for method, tier in METHOD_TIERS.items():
            self.rate_limit(method, per_minute=TIERS[tier] * scale)
        self.rate_limit_channels(per_second=1.0 * scale, burst=3)
