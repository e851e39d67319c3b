"""The printable impact report: HTML from a Jinja2 template (autoescaped), the same HTML laid
out as a PDF by WeasyPrint, with the charts embedded so either file stands on its own."""

from __future__ import annotations

import base64
from functools import cache
from typing import TYPE_CHECKING, Any

from bot.domain.impact import ImpactReport
from bot.reports.charts import CHARTS
from bot.views import impact as words
from bot.views.time import plain_time

if TYPE_CHECKING:
    from jinja2 import Environment

TEMPLATE = "impact.html.j2"


@cache
def _environment() -> Environment:
    # imported here: the monthly job needs it, answering questions does not
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    # Every value is escaped, whatever a template says: a network name is configuration, not
    # markup, and nothing else reaches the page that a person typed.
    return Environment(
        loader=PackageLoader("bot.reports", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def title(report: ImpactReport) -> str:
    return f"{report.network_name}: impact report"


def context(report: ImpactReport, *, charts: bool = True) -> dict[str, Any]:
    """Everything the template shows, as words and rows (the small-number rule applied)."""
    w = words.Words(report.disclosure)
    f = report.figures
    gap_rows, left_out = words.gap_rows(report.gaps, w)
    n = report.disclosure.min_count
    return {
        "title": title(report),
        "period": words.period_words(report.since, report.until, report.zone),
        "glance": words.glance(
            f, w, officers_asked=report.officers_asked, officers_helped=report.officers_helped
        ),
        "outcomes": words.outcome_rows(f, w),
        "cpd": words.cpd_rows(f, w),
        "as_at": plain_time(report.until, report.zone).rsplit(" at ", 1)[0],
        "month_header": words.month_header(),
        "month_rows": [words.month_row(m, w) for m in report.months],
        "charts": [{"alt": alt, "src": _data_uri(draw(report))} for alt, draw in CHARTS if charts],
        "gap_rows": gap_rows,
        "gaps_left_out": (
            f"{left_out} more of the most asked topics were each asked about fewer than {n} "
            "times, too few to show."
            if left_out
            else ""
        ),
        "notes": [
            f"The period is {words.period_words(report.since, report.until, report.zone)}, "
            f"days and months as in {report.zone}; figures as at "
            f"{words.generated_words(report)}.",
            f"To keep any one case, officer or champion from being recognised, a count from 1 "
            f"to {n - 1} is shown as 'fewer than {n}', and so is any share or time worked out "
            f"from so few, or whose remainder is that small; where one of a set of counts that "
            f"add up to a total shown is hidden, the next smallest is 'not shown' with it.",
            "Officers helped: officers whose question was answered from the knowledge base or "
            "whose case reached a champion, of the officers who asked anything.",
            "Cases are counted in the month they were asked; consults' advice in the month the "
            "case was asked. Shares of helpfulness are of the officers who answered the question.",
            "No free text is shown: neither questions nor consults' outcomes, nor anything a "
            "champion or officer typed.",
        ],
    }


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def html(report: ImpactReport) -> str:
    """The report as one self-contained HTML page (charts inline), ready to print."""
    return _environment().get_template(TEMPLATE).render(**context(report))


def pdf(report: ImpactReport, *, page: str | None = None) -> bytes:
    """The report as a PDF, laid out by WeasyPrint from the same HTML (`page`, if given)."""
    from weasyprint import HTML

    document = HTML(string=page if page is not None else html(report), base_url=None)
    return bytes(document.write_pdf())
