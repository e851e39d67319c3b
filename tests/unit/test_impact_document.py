"""The impact report's HTML escapes every value (the template is autoescaped)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.domain.figures import Figures, QuestionFigures, RequestFigures
from bot.domain.impact import Gap, ImpactReport, Month
from bot.reports import document


def test_markup_in_a_value_is_shown_as_text() -> None:
    q = QuestionFigures(None, 0, {}, 0, 0, 0, 0)
    r = RequestFigures(None, 0, 0, 0, 0, 0, 0, 0, [], [], 0, 0)
    figures = Figures(None, None, q, r)
    report = ImpactReport(
        network_name='North <script>alert("x")</script> & South',
        since=datetime(2026, 11, 1, tzinfo=UTC),
        until=datetime(2026, 12, 1, tzinfo=UTC),
        zone="Europe/London",
        generated_at=datetime(2026, 12, 1, tzinfo=UTC),
        figures=figures,
        officers_asked=0,
        officers_helped=0,
        months=[Month(date(2026, 11, 1), figures)],
        gaps=[Gap("<i>spo</i>", 7, 0)],
    )
    page = document.html(report)
    assert "<script>" not in page and "<i>spo" not in page
    assert "North &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; South" in page
    assert "&lt;i&gt;spo&lt;/i&gt;" in page
