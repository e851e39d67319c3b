"""`champbot report --by-force`: each force's volumes, time to a champion and outcomes side by
side, and nationally; each force's figures computed from its own rows only."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.db import Database
from bot.knowledge import KnowledgeBase
from bot.models import KnownWorkspace, Role, Surface, utcnow
from bot.services import questions, requests, roster
from bot.tenancy import Workspace
from tests.conftest import SERVICE_SETTINGS as SETTINGS

# force -> (questions, minutes each request took to reach a champion)
FORCES = {"TFORCEA": (1, [10]), "TFORCEB": (2, [20, 40]), "TFORCEC": (3, [])}


def _populate(db: Database, kb: KnowledgeBase) -> None:
    start = utcnow() - timedelta(days=3)
    for team, (asked, claims) in FORCES.items():
        with db.everywhere() as s:
            s.add(KnownWorkspace(team_id=team))
        with db.session(Workspace(team)) as s:
            roster.add(session=s, slack_user_id="UCHAMP1", role=Role.CHAMPION)
            for n in range(asked):
                questions.ask(
                    session=s,
                    kb=kb,
                    asker_id="UOFF1",
                    text=f"what is an spo {n}",
                    surface=Surface.DM,
                    subject="stalking",
                    now=start,
                )
            for minutes in claims:
                req, _ = requests.create(
                    session=s, settings=SETTINGS, asker_id="UOFF1", text="he follows", now=start
                )
                requests.claim(
                    session=s,
                    settings=SETTINGS,
                    request_id=req.id,
                    champion_id="UCHAMP1",
                    caller=roster.get(session=s, slack_user_id="UCHAMP1"),
                    now=start + timedelta(minutes=minutes),
                )


def test_report_by_force_puts_every_force_side_by_side(
    db: Database,
    kb: KnowledgeBase,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    _populate(db, kb)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", db.url)
    out_csv = tmp_path / "forces.csv"
    assert main(["report", "--by-force", "--csv", str(out_csv)]) == 0
    printed = capsys.readouterr().out
    assert "3 forces" in printed
    rows = {row["force"]: row for row in csv.DictReader(out_csv.open())}
    assert set(rows) == {"TFORCEA", "TFORCEB", "TFORCEC", "nationally"}
    for team, (asked, claims) in FORCES.items():
        assert rows[team]["questions"] == str(asked)
        assert rows[team]["requests"] == str(len(claims))
        assert rows[team]["with a champion"] == str(len(claims))
    assert rows["TFORCEA"]["to a champion (median)"] == "10 min"
    assert rows["TFORCEB"]["to a champion (median)"] == "30 min"
    assert rows["TFORCEC"]["to a champion (median)"] == "–"
    assert rows["nationally"]["questions"] == "6" and rows["nationally"]["requests"] == "3"
    assert rows["nationally"]["to a champion (median)"] == "20 min"
    for team in FORCES:
        assert any(line.startswith(team) for line in printed.splitlines())
