"""Where the reply to something a person did goes: a conversation (or a thread in it), the
message a button sat on, or a slash command's response_url."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReplyTo:
    """One place a reply is delivered to, through the outbox.

    `channel` (a conversation, or a user ID for their DM with the bot) with `thread_ts` for a
    thread; or `message_ts`: that message in `channel` is replaced; or `response_url`
    (ephemeral, for `user`; `replace`: the message a button sat on is replaced).
    `clear_status`: the agent view's status line in that thread is cleared once the reply is
    there.
    """

    channel: str | None = None
    thread_ts: str | None = None
    message_ts: str | None = None
    response_url: str | None = None
    user: str | None = None
    replace: bool = False
    clear_status: bool = False

    @classmethod
    def post(
        cls, channel: str, *, thread_ts: str | None = None, clear_status: bool = False
    ) -> ReplyTo:
        """A new message in `channel` (in the thread `thread_ts`, if given)."""
        return cls(channel=channel, thread_ts=thread_ts, clear_status=clear_status)

    @classmethod
    def edit(cls, channel: str, message_ts: str) -> ReplyTo:
        """The message `message_ts` in `channel`, redrawn."""
        return cls(channel=channel, message_ts=message_ts)

    @classmethod
    def respond(cls, url: str, *, user: str | None, replace: bool = False) -> ReplyTo:
        """Through a response_url: ephemeral to `user` (who gets it by DM should the URL
        expire first), or `replace` the message a button sat on."""
        return cls(response_url=url, user=user, replace=replace)
