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


def test_the_templates_are_package_data() -> None:
    """A normal install (a wheel) carries only the files pyproject.toml lists beside the code."""
    import tomllib
    from fnmatch import fnmatch
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    globs = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["bot"]
    templates = [
        p.relative_to(root / "bot").as_posix() for p in (root / "bot/reports/templates").iterdir()
    ]
    assert templates
    for name in templates:
        assert any(fnmatch(name, g) for g in globs), f"{name} would be left out of a wheel"
