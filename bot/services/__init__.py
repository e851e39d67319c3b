"""Domain services: the rules of the network. They take a Session and plain values, never Slack."""


class ServiceError(Exception):
    """A request the rules refuse; the message is written for the person who asked."""


class NotAllowed(ServiceError):
    """The caller's role does not permit this."""
