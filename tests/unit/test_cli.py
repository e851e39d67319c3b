"""The champbot command line: operator-facing output and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.cli import main
from bot.emulator import SlackEmulator
from tests.conftest import BOT_TOKEN

ROOT = Path(__file__).resolve().parents[2]


def test_manifest_is_json_slack_accepts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["manifest", "--url", "https://champbot.example.org/"]) == 0
    manifest = json.loads(capsys.readouterr().out)
    endpoint = "https://champbot.example.org/slack/events"
    assert manifest["settings"]["event_subscriptions"]["request_url"] == endpoint
    assert manifest["settings"]["interactivity"]["request_url"] == endpoint
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) >= {
        "message.im",
        "app_mention",
        "app_home_opened",
    }
    commands = {c["command"] for c in manifest["features"]["slash_commands"]}
    assert {"/ask", "/faq", "/champbot"} <= commands
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert {"chat:write", "commands", "im:history"} <= set(
        manifest["oauth_config"]["scopes"]["bot"]
    )


def test_kb_check_passes_on_the_shipped_knowledge_base(capsys: pytest.CaptureFixture[str]) -> None:
    # As of the day the entries were last reviewed: overdue reviews are a problem in their own
    # right (their own test below), not a reason for this one to fail once the dates pass.
    assert main(["kb", "check", "--dir", str(ROOT / "knowledge"), "--today", "2026-11-28"]) == 0
    assert "0 errors, 0 warnings" in capsys.readouterr().out


def test_kb_check_flags_entries_past_review(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "check", "--dir", str(ROOT / "knowledge"), "--today", "2030-01-01"]) == 1
    out = capsys.readouterr().out
    assert "review" in out.lower() and "0 errors" in out


def test_kb_check_names_the_file_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "broken.md").write_text("---\nid: broken\ntitle: x\n---\nbody\n")
    assert main(["kb", "check", "--dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "broken.md" in out


def test_kb_search_shows_ranked_scores(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "search", "--dir", str(ROOT / "knowledge"), "what", "is", "an", "spo"]) == 0
    out = capsys.readouterr().out
    assert "case: answered" in out and " 1. " in out


def test_kb_tune_fits_on_the_tune_split_and_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fixtures = ROOT / "tests" / "knowledge" / "fixtures"
    questions = tmp_path / "questions.yaml"
    questions.write_text(
        '- {q: "whats max for 4a", expect: s4a-maximum-sentence, split: tune}\n'
        '- {q: "annual leave form?", expect: off-topic, split: tune}\n'
        '- {q: "can a 2a conviction lose him his gun cert", expect: not-covered, split: tune}\n'
        '- {q: "spo breach sentance", expect: spo-breach, split: test}\n',
        encoding="utf-8",
    )
    args = ["kb", "tune", "--dir", str(fixtures / "kb"), "--file", str(questions)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "search: words" in out and "calibration: (" in out and "answer_threshold:" in out
    assert "top-1 (answered)" in out and "uncovered answered" in out
    questions.write_text("- {q: x\n", encoding="utf-8")
    assert main(args) == 2
    assert "questions.yaml: cannot be read" in capsys.readouterr().err


def test_kb_tune_can_choose_the_uncovered_cap_by_cross_validation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.knowledge.test_kb_crossval import TUNE

    fixtures = ROOT / "tests" / "knowledge" / "fixtures"
    questions = tmp_path / "questions.yaml"
    questions.write_text(TUNE, encoding="utf-8")
    args = ["kb", "tune", "--dir", str(fixtures / "kb"), "--file", str(questions), "--cv", "2"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.count("held out in 2 folds of the tune split") == 5  # one line per cap
    assert "cap on uncovered questions answered: " in out and "answer_threshold:" in out


def test_roster_from_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/r.db")
    assert (
        main(
            [
                "roster",
                "add",
                "UCHAMP1",
                "--role",
                "champion",
                "--area",
                "North",
                "--skills",
                "cyber,spo",
            ]
        )
        == 0
    )
    assert main(["roster", "list"]) == 0
    assert "UCHAMP1\tchampion\tNorth\tcyber,spo" in capsys.readouterr().out
    assert main(["roster", "add", "not-an-id", "--role", "lead"]) == 2
    assert "not a Slack user ID" in capsys.readouterr().err
    assert main(["roster", "remove", "UCHAMP1"]) == 0


def test_serve_without_a_token_is_one_clear_line(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "serve"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "SLACK_BOT_TOKEN is not set" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_command_on_a_new_database_prints_only_its_result(tmp_path: Path) -> None:
    # The database is created and migrated on the way; the operator sees the answer alone.
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path}/new.db",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "roster", "list"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "the roster is empty"
    assert proc.stderr == ""


def _children() -> dict[int, str]:
    """This process's live children: pid → command line."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:  # gone while we looked
            continue
        if int(fields[1]) == os.getpid() and fields[0] != "Z":
            found[int(stat.parent.name)] = cmdline.replace(b"\0", b" ").decode()
    return found


def test_serve_that_fails_after_starting_its_worker_leaves_no_worker_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emulator: SlackEmulator
) -> None:
    """A start-up error after the worker process was started (here: the app cannot be built)
    stops that worker: a stray one would go on sweeping the inbox with nobody to stop it."""
    import bot.app
    from bot.config import ConfigError

    def refuse(*args: object, **kwargs: object) -> object:
        raise ConfigError("the app cannot be built")

    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    for name, value in {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": "secret",
        "SLACK_API_URL": emulator.api_url,
        "DATABASE_URL": f"sqlite:///{tmp_path}/serve.db",
        "CHAMPBOT_KB_DIR": str(ROOT / "knowledge"),
        "CHAMPBOT_SEMANTIC": "off",
        "CHAMPBOT_CACHE_DIR": "off",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(bot.app, "create_app", refuse)
    before = set(_children())
    assert main(["serve", "--port", "0"]) == 2
    deadline = time.monotonic() + 10
    while (left := {p: c for p, c in _children().items() if p not in before}) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.05)
    assert left == {}, left
