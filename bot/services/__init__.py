"""Domain services: the rules of the network. They take a Session and plain values, never Slack."""

from bot.domain.errors import NotAllowed, ServiceError

__all__ = ["NotAllowed", "ServiceError", "rows_changed"]


def rows_changed(result: object) -> int:
    """How many rows an UPDATE or DELETE changed: with a conditional update, who won."""
    return int(getattr(result, "rowcount", 0) or 0)
