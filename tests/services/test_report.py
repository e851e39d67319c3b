"""Impact figures: the text summary, the weekly CSV and the chart."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.db import Database
from bot.knowledge import KnowledgeBase
from bot.models import Role, Surface, utcnow
from bot.report import write_report
from bot.services import questions, requests, roster, stats
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
            requests.claim(
                session=s,
                settings=SETTINGS,
                request_id=req.id,
                champion_id="UCHAMP1",
                now=start + timedelta(minutes=minutes),
            )
            requests.resolve(
                session=s,
                settings=SETTINGS,
                request_id=req.id,
                user_id="UCHAMP1",
                outcome="advised",
                now=start + timedelta(minutes=minutes * 2),
            )


def test_figures_medians_and_percentiles(db: Database, kb: KnowledgeBase) -> None:
    populate(db, kb)
    with db.session() as s:
        r = stats.request_figures(session=s)
        q = stats.question_figures(session=s)
    assert (r.total, r.claimed, r.resolved) == (3, 3, 3)
    assert r.median_claim() == 15 * 60 and r.p90_claim() == pytest.approx(35 * 60)
    assert r.median_resolve() == 30 * 60 and r.by_champion == {"UCHAMP1": 3}
    assert q.total == 3


def test_report_writes_text_csv_and_png(db: Database, kb: KnowledgeBase, tmp_path: Path) -> None:
    populate(db, kb)
    csv_path, png_path = tmp_path / "impact.csv", tmp_path / "impact.png"
    with db.session() as s:
        text = write_report(session=s, since=None, csv_path=str(csv_path), png_path=str(png_path))
    assert "questions asked: 3" in text and "time to claim: median 15.0 min" in text
    rows = list(csv.DictReader(csv_path.open()))
    assert len(rows) >= 1 and sum(int(r["requests"]) for r in rows) == 3
    assert rows[0]["median_minutes_to_claim"] == "15.0"
    assert png_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_cli_refuses_a_bad_date(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/r.db")
    assert main(["report", "--since", "last tuesday"]) == 2
    assert "--since must be a date" in capsys.readouterr().err
    assert main(["report", "--since", "2026-01-01"]) == 0
    assert "Impact, since 01 Jan 2026" in capsys.readouterr().out
