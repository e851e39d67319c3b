"""What the emulator records: Web API calls, response_url posts, and errors it answers with."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Call:
    """One Web API call as the emulator saw it, with the JSON it answered."""

    method: str
    args: dict[str, Any]
    ok: bool
    error: str | None
    time: float
    status: int = 200
    response: dict[str, Any] = field(default_factory=dict)
    injected: bool = False
    team_id: str | None = None  # the workspace the token was routed to (None: none was)
    enterprise_id: str | None = None

    def summary(self) -> str:
        """One line for logs and timeout messages."""
        outcome = "ok" if self.ok else f"{self.error} (HTTP {self.status})"
        shown = {k: _short(v) for k, v in self.args.items() if k in _SHOWN}
        team = f"[{self.team_id}] " if self.team_id else ""
        return f"{team}{self.method} {outcome} {shown}"


@dataclass(frozen=True)
class ResponsePost:
    """One POST to a response_url the emulator handed out."""

    url: str
    tag: str
    body: dict[str, Any]
    ok: bool
    error: str | None
    time: float
    channel: str | None = None
    message_ts: str | None = None

    def summary(self) -> str:
        outcome = "ok" if self.ok else str(self.error)
        return f"response_url[{self.tag}] {outcome} text={_short(self.body.get('text'))}"


class SlackError(Exception):
    """A call Slack would answer with ok=false; `violation` when it is also a misuse."""

    def __init__(self, error: str, violation: str | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.violation = violation


_SHOWN = ("channel", "user", "user_id", "users", "ts", "text", "view_id", "external_id")


def _short(value: Any, limit: int = 60) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
