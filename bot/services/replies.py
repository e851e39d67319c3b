"""Short replies to what a person did (a command's status, a button's confirmation), queued
in the same transaction as what they announce, like every other message the bot sends."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bot.domain.replies import ReplyTo
from bot.notify import answers


def tell(
    *,
    session: Session,
    to: ReplyTo,
    text: str,
    blocks: list[dict[str, Any]] | None = None,
) -> None:
    """Queue `text` (and `blocks`) to `to`: delivered once the transaction commits."""
    answers.tell(session=session, to=to, text=text, blocks=blocks)
