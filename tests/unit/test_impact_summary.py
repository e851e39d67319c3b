"""When the monthly summary falls due and which month it covers; its message passes Slack's
Block Kit checks (the emulator's) with the table inside Slack's limits."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.config import ConfigError, Settings
from bot.domain.figures import CpdFigures, Figures, OutcomeFigures, QuestionFigures, RequestFigures
from bot.domain.impact import Disclosure, ImpactReport, Month
from bot.emulator.blockkit import check_message
from bot.services.monthly import due
from bot.views.impact_summary import summary_message


def _settings(cron: str) -> Settings:
    return Settings.from_env({"CHAMPBOT_REPORT_CRON": cron}, dotenv=None)


def test_the_default_is_08_00_on_the_first_for_the_month_before() -> None:
    settings = _settings("0 8 1 * *")
    assert due(settings=settings, now=datetime(2026, 12, 1, 7, 59, tzinfo=UTC)) is None
    found = due(settings=settings, now=datetime(2026, 12, 1, 8, 0, tzinfo=UTC))
    assert found is not None and found.month == "2026-11"
    # November in London: GMT throughout, so midnights in UTC.
    assert found.start == datetime(2026, 11, 1, tzinfo=UTC)
    assert found.end == datetime(2026, 12, 1, tzinfo=UTC)
    # A clock down at 08:00 still sends it within three days, and not after.
    assert due(settings=settings, now=datetime(2026, 12, 3, 23, tzinfo=UTC)) is not None
    assert due(settings=settings, now=datetime(2026, 12, 4, 9, tzinfo=UTC)) is None


def test_a_month_in_summer_time_starts_at_midnight_in_london() -> None:
    found = due(settings=_settings("0 8 1 * *"), now=datetime(2026, 7, 1, 9, tzinfo=UTC))
    assert found is not None and found.month == "2026-06"
    assert found.start == datetime(2026, 5, 31, 23, tzinfo=UTC)


def test_any_cron_covers_the_last_whole_month_and_off_is_off() -> None:
    found = due(settings=_settings("*/5 * * * * UTC"), now=datetime(2026, 3, 9, 12, 3, tzinfo=UTC))
    assert found is not None and found.month == "2026-02" and found.zone == "UTC"
    assert due(settings=_settings("off"), now=datetime(2026, 12, 1, 8, tzinfo=UTC)) is None
    with pytest.raises(ConfigError):
        _settings("every month")


def _month(first: date, marac: int) -> Month:
    q = QuestionFigures(None, 400, {}, 280, 90, 10, 0)
    r = RequestFigures(None, 80, 0, 2, 76, 2, 78, 3, [600.0] * 78, [3600.0] * 76, 50, 6)
    o = OutcomeFigures(resolved=76, recorded=70, stalking_offence=40, marac=marac)
    cpd = CpdFigures(required_hours=6, champions=20, met=15, due_soon=2, behind=2, none_recorded=1)
    return Month(first, Figures(None, None, q, r, outcomes=o, cpd=cpd), 300, 260)


def test_the_summary_is_a_valid_table_with_small_counts_hidden() -> None:
    months = [_month(date(2026, 10, 1), 9), _month(date(2026, 11, 1), 3)]
    report = ImpactReport(
        network_name="Stalking Champions",
        since=datetime(2026, 11, 1, tzinfo=UTC),
        until=datetime(2026, 12, 1, tzinfo=UTC),
        zone="Europe/London",
        generated_at=datetime(2026, 12, 1, 8, tzinfo=UTC),
        figures=months[-1].figures,
        officers_asked=300,
        officers_helped=260,
        months=months,
        disclosure=Disclosure(5),
    )
    message = summary_message(report)
    assert check_message({"text": message.text, "blocks": message.blocks}) == []
    (table,) = [b for b in message.blocks if b["type"] == "table"]
    rows = {row[0]["text"]: [c["text"] for c in row[1:]] for row in table["rows"]}
    assert rows["Figure"] == ["Nov 2026", "Oct 2026"]
    assert rows["MARAC referral"] == ["fewer than 5", "9 (12%)"]
    assert rows["Questions asked"] == ["400", "400"]
    assert "November 2026" in message.text


def test_the_month_is_the_cron_zones_month() -> None:
    # 08:00 on 1 December in Auckland is still 30 November in UTC: November is due, in NZ time.
    settings = _settings("0 8 1 * * Pacific/Auckland")
    found = due(settings=settings, now=datetime(2026, 11, 30, 19, 30, tzinfo=UTC))
    assert found is not None and found.month == "2026-11"
    assert found.end == datetime(2026, 11, 30, 11, tzinfo=UTC)  # midnight 1 Dec, NZDT
