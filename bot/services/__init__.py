"""Domain services: the rules of the network. They take a Session and plain values, never Slack."""


class ServiceError(Exception):
    """A request the rules refuse; the message is written for the person who asked."""


class NotAllowed(ServiceError):
    """The caller's role does not permit this."""


def rows_changed(result: object) -> int:
    """How many rows an UPDATE or DELETE changed: with a conditional update, who won."""
    return int(getattr(result, "rowcount", 0) or 0)
