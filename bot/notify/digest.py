"""The weekly digest, rendered and queued for the network channel."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from bot.domain.figures import DigestFigures
from bot.models import Broadcast
from bot.services import outbox, refs
from bot.views import digest as views


def post_digest(
    *,
    session: Session,
    channel: str,
    week: str,
    start: datetime,
    end: datetime,
    zone: str,
    sent: Sequence[Broadcast],
    figures: DigestFigures,
    network_name: str,
) -> None:
    """Queue one week's digest (its ref names the week, so it is queued once)."""
    message = views.digest_message(
        start=start, end=end, zone=zone, sent=sent, figures=figures, network_name=network_name
    )
    outbox.post(
        session=session,
        channel=channel,
        text=message.text,
        blocks=message.blocks,
        ref=refs.digest(week),
    )
