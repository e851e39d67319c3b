"""`champbot console` plays whole flows with several people, from a script."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.knowledge import KnowledgeBase
from tests.conftest import KB_DIR, ROOT

Console = Callable[[list[str]], str]


@pytest.fixture
def run_console(tmp_path: Path, kb: KnowledgeBase, encodings_cache: Path) -> Console:
    """Plays lines in `champbot console`, reading the run's encodings cache (the `kb` fixture
    fills it) rather than encoding the knowledge base again."""

    def play(lines: list[str]) -> str:
        return _run(tmp_path, encodings_cache, lines)

    return play


def _run(tmp_path: Path, encodings: Path, lines: list[str]) -> str:
    script = tmp_path / "script.txt"
    script.write_text("\n".join(lines) + "\n")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"sqlite:///{tmp_path}/console.db",
        "CHAMPBOT_KB_DIR": str(KB_DIR),
        "CHAMPBOT_CACHE_DIR": str(encodings),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "console", "--script", str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_an_officer_asks_and_gives_feedback(run_console: Console) -> None:
    out = run_console(["what is a stalking protection order", "/click not what", "/quit"])
    assert "bot → DM to olivia" in out
    assert "[1] That answers it" in out and "[2] Not what I needed" in out
    assert "message updated" in out and "passed this to the people" in out


def test_a_live_case_goes_to_a_champion_who_claims_and_resolves(run_console: Console) -> None:
    out = run_console(
        [
            "my victim says her ex keeps following her home, should i arrest him",
            "/as chris",
            "/click accept",  # on the offer to chris
            "/click resolve",  # in the consult
            "/submit advised an s2A arrest and an SPO application",
            "/as olivia",
            "/click yes, it helped",
            "/home",
            "/quit",
        ],
    )
    assert "This sounds like a live case" in out
    assert "bot → DM to chris" in out and "] Accept" in out
    assert "@chris has taken your request" in out
    assert "bot → group DM" in out and "] Resolve" in out
    assert "modal: Resolve #1" in out and "Resolved by @chris" in out
    assert "Did the advice help?" in out and "] Yes, it helped" in out
    assert "that helps the network show its value" in out
    assert "App Home of olivia" in out


def test_a_lead_broadcasts_and_a_champion_acknowledges(run_console: Console) -> None:
    out = run_console(
        [
            "/as lena",
            "/broadcast",
            "/submit national | New CPS guidance | Please read it. | | | ask",
            "/submit",
            "/as chris",
            "/click acknowledge",
            "/quit",
        ],
    )
    assert "modal: New broadcast" in out and "1. Category: National policy" in out
    assert "modal: Preview" in out and "bot → #network" in out
    assert "1 of 2 champions have acknowledged" in out
