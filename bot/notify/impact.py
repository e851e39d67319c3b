"""The monthly impact summary, rendered (the Block Kit table and the report's PDF) and queued:
for each lead, the message to their DM and then the PDF shared after it in the same DM."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from bot.domain.impact import ImpactReport
from bot.reports import document
from bot.services import outbox, refs
from bot.views.impact_summary import summary_message


def filename(report: ImpactReport, month: str) -> str:
    """ "stalking-champions-impact-2026-11.pdf"."""
    slug = re.sub(r"[^a-z0-9]+", "-", report.network_name.lower()).strip("-") or "network"
    return f"{slug}-impact-{month}.pdf"


def post_summary(*, session: Session, leads: list[str], report: ImpactReport, month: str) -> int:
    """Queue the summary and its PDF to each lead (each ref names the month and the lead, so a
    lead is sent each once); how many leads it was queued for."""
    message = summary_message(report)
    pdf = document.pdf(report)
    name = filename(report, month)
    title = f"{document.title(report)}, {month}"
    for lead in leads:
        post = refs.impact_summary(month, lead)
        outbox.post(
            session=session, channel=lead, text=message.text, blocks=message.blocks, ref=post
        )
        outbox.upload(
            session=session,
            target_ref=post,
            filename=name,
            title=title,
            content=pdf,
            ref=refs.impact_file(month, lead),
            alt_txt=f"{title}: the impact report as a printable PDF",
        )
    return len(leads)
