"""Impact figures: the text summary, the weekly CSV and the chart."""

from __future__ import annotations

import csv
import struct
from datetime import timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.db import Database
from bot.knowledge import KnowledgeBase
from bot.models import Role, Surface, utcnow
from bot.report import chart, period_words, weekly, write_report
from bot.services import questions, requests, roster, stats
from tests import seeding
from tests.conftest import SERVICE_SETTINGS as SETTINGS


def populate(db: Database, kb: KnowledgeBase) -> None:
    start = utcnow() - timedelta(days=10)
    with db.session() as s:
        roster.add(session=s, slack_user_id="UCHAMP1", role=Role.CHAMPION)
        for text in ("what is an spo", "max sentence for s4a", "parking permit at hq"):
            questions.ask(
                session=s,
                kb=kb,
                asker_id="UOFF1",
                text=text,
                surface=Surface.DM,
                subject="stalking",
                now=start,
            )
        for minutes in (5, 15, 40):
            req, _ = requests.create(
                session=s, settings=SETTINGS, asker_id="UOFF1", text="he follows her", now=start
            )
            seeding.claim_and_resolve(
                s,
                SETTINGS,
                req.id,
                "UCHAMP1",
                claimed_at=start + timedelta(minutes=minutes),
                resolved_at=start + timedelta(minutes=minutes * 2),
            )


def test_figures_medians_and_percentiles(db: Database, kb: KnowledgeBase) -> None:
    populate(db, kb)
    with db.session() as s:
        f = stats.figures(session=s)
    r, q = f.requests, f.questions
    assert (r.total, r.reached_champion, r.resolved) == (3, 3, 3)
    assert r.median_claim() == 15 * 60 and r.p90_claim() == pytest.approx(35 * 60)
    assert r.median_resolve() == 30 * 60 and r.by_champion == {"UCHAMP1": 3}
    assert q.total == 3


def test_request_states_do_not_overlap(db: Database, kb: KnowledgeBase) -> None:
    start = utcnow() - timedelta(hours=2)
    with db.session() as s:
        roster.add(session=s, slack_user_id="UCHAMP1", role=Role.CHAMPION)
        made = [
            requests.create(
                session=s, settings=SETTINGS, asker_id="UOFF1", text="he follows her", now=start
            )[0].id
            for _ in range(4)
        ]
        for rid in made[1:]:  # three taken by a champion; the first still waits
            seeding.claim(s, SETTINGS, rid, "UCHAMP1", now=start + timedelta(minutes=1))
        seeding.resolve(s, SETTINGS, made[2], "UCHAMP1", now=start + timedelta(minutes=5))
        requests.record_helped(session=s, request_id=made[2], user_id="UOFF1", helped=True)
        requests.cancel(
            session=s,
            settings=SETTINGS,
            request_id=made[3],
            user_id="UOFF1",
            caller=seeding.member(s, "UOFF1"),
            now=start,
        )
    with db.session() as s:
        r = stats.figures(session=s).requests
        text = write_report(session=s, since=None, csv_path=None, png_path=None)
    assert r.states == {"waiting": 1, "with a champion": 1, "resolved": 1, "cancelled": 1}
    assert sum(r.states.values()) == r.total == 4 and r.reached_champion == 3
    assert r.helped_share == 1.0
    assert "now: 1 waiting, 1 with a champion, 1 resolved, 1 cancelled" in text
    assert "claimed" not in text and "open" not in text


def test_report_writes_text_csv_and_png(db: Database, kb: KnowledgeBase, tmp_path: Path) -> None:
    populate(db, kb)
    csv_path, png_path = tmp_path / "impact.csv", tmp_path / "impact.png"
    with db.session() as s:
        text = write_report(session=s, since=None, csv_path=str(csv_path), png_path=str(png_path))
    assert "questions asked: 3" in text and "time to a champion: median 15 min" in text
    # Champions by a stable stand-in where there is no Slack to ask, never by ID.
    assert "resolved per champion: Champion A 3" in text and "UCHAMP1" not in text
    assert "GMT" in text or "BST" in text
    rows = list(csv.DictReader(csv_path.open()))
    assert len(rows) >= 1 and sum(int(r["requests"]) for r in rows) == 3
    assert sum(int(r["resolved"]) for r in rows) == 3
    assert next(r for r in rows if r["requests"] != "0")["median_minutes_to_claim"] == "15.0"
    assert png_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_chart_for_a_pcc_titled_labelled_in_two_panels(
    db: Database, kb: KnowledgeBase, tmp_path: Path
) -> None:
    # here, not at the top: every xdist worker collects this module, few of them run this test
    # (matplotlib is a third of a CPU-second to import)
    import matplotlib.colors

    populate(db, kb)
    now = utcnow()
    with db.session() as s:
        weeks = weekly(session=s, since=None, now=now)
    period = period_words(None, now, "Europe/London")
    fig = chart(weeks, network_name="Stalking Champions", period=period)
    volumes, outcomes, _share = fig.axes
    assert fig.get_suptitle() == f"Stalking Champions: questions and requests, {period}"
    assert (volumes.get_title(), outcomes.get_title()) == ("Volumes per week", "Outcomes per week")
    legend = [t.get_text() for t in volumes.get_legend().get_texts()]
    assert "requests to champions" in legend and "not covered yet (a gap)" in legend
    # Every count is labelled on its bar: 3 questions, 3 requests, a 15-minute median, 0% helped.
    labels = {t.get_text() for ax in fig.axes for t in ax.texts}
    assert {"3", "15.0"} <= labels
    # No green for the gaps, no red for off-topic questions.
    key = volumes.get_legend()
    colours = {
        t.get_text(): matplotlib.colors.to_hex(h.get_facecolor())
        for t, h in zip(key.get_texts(), key.legend_handles, strict=True)
    }
    gap, off = colours["not covered yet (a gap)"], colours["off topic"]
    r, g, b = matplotlib.colors.to_rgb(gap)
    assert not (g > r + 0.1 and g > b + 0.1)
    r, g, b = matplotlib.colors.to_rgb(off)
    assert not (r > g + 0.1 and r > b + 0.1)
    # The legend sits below the bars, not over them.
    fig.canvas.draw()
    box = volumes.get_legend().get_window_extent()
    assert box.y1 <= volumes.get_window_extent().y0
    path = tmp_path / "chart.png"
    fig.savefig(path)
    data = path.read_bytes()
    width, height = struct.unpack(">II", data[16:24])
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and width >= 1000 and 500 <= height <= 1200


def test_report_cli_refuses_a_bad_date(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/r.db")
    assert main(["report", "--since", "last tuesday"]) == 2
    assert "--since must be a date" in capsys.readouterr().err
    assert main(["report", "--since", "2026-01-01"]) == 0
    assert "Impact, since 01 Jan 2026" in capsys.readouterr().out
    assert main(["report", "--tz", "Mars/Olympus"]) == 2
    assert "--tz must be a time zone" in capsys.readouterr().err
    assert main(["report", "--tz", "Asia/Kolkata"]) == 0
    assert " IST" in capsys.readouterr().out
