"""The monthly impact summary as the leads see it in Slack: a table of the month's figures
beside the month before (Block Kit's table block), the full report following as a PDF."""

from __future__ import annotations

from bot.domain.impact import ImpactReport, Month
from bot.views.blocks import Block, Reply, section
from bot.views.impact import Row, Words, glance, month_label, outcome_rows
from bot.views.text import plain, truncate

# The outcome rows the table keeps (the PDF has them all).
OUTCOMES_SHOWN = (
    "Consults resolved",
    "Stalking offence advised (s2A or s4A)",
    "Harassment only advised (s2 or s4)",
    "Stalking Protection Order applied for or recommended",
    "Arrest advised",
    "MARAC referral",
)


def _column(month: Month, words: Words) -> list[Row]:
    f = month.figures
    rows = glance(
        f, words, officers_asked=month.officers_asked, officers_helped=month.officers_helped
    )
    rows += [r for r in outcome_rows(f, words) if r.label in OUTCOMES_SHOWN]
    cpd = f.cpd
    meeting = words.part(cpd.compliant, cpd.champions)
    rows.append(Row("Champions meeting the CPD requirement", meeting))
    return rows


def _cell(text: str) -> Block:
    return {"type": "raw_text", "text": truncate(text, 200) or "–"}


def summary_message(report: ImpactReport) -> Reply:
    """The last month of `report` (its period), beside the one before where there is one."""
    words = Words(report.disclosure)
    months = report.months[-2:]
    this = months[-1]
    columns = [_column(m, words) for m in reversed(months)]
    label = f"{this.start:%B %Y}"
    header = [_cell("Figure"), *(_cell(month_label(m.start)) for m in reversed(months))]
    table: Block = {
        "type": "table",
        "column_settings": [{"is_wrapped": True}, *({"align": "right"} for _ in months)],
        "rows": [header]
        + [
            [_cell(row.label), *(_cell(column[i].value) for column in columns)]
            for i, row in enumerate(columns[0])
        ],
    }
    title = f"{report.network_name}: impact summary, {label}"
    before = f", beside {months[0].start:%B}'s" if len(months) > 1 else ""
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": truncate(title, 150)}},
        section(
            f"The network's figures for *{label}*{before}. The full impact report, with the "
            "trends of the last twelve months, follows as a PDF."
        ),
        table,
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"Counts from 1 to {report.disclosure.min_count - 1} read 'fewer than "
                    f"{report.disclosure.min_count}', so that no case can be recognised. Cases "
                    "are counted in the month they were asked.",
                }
            ],
        },
    ]
    return Reply(text=plain(f"{title} (the full report follows as a PDF)"), blocks=blocks)
