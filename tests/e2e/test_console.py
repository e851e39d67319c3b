"""`champbot console` plays whole flows with several people, from a script: timed flows with
`/wait`, forms, consults, and Slack's markup as a terminal shows it."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cli import main
from bot.db import Database
from bot.knowledge import KnowledgeBase
from tests.conftest import KB_DIR, ROOT, sqlite_copy

Console = Callable[[list[str]], str]
TIMED_FLOWS = Path(__file__).parent.parent / "console" / "timed_flows.txt"


@pytest.fixture
def console_db(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The console's database, where `_run` points it: a copy of one migrated once a run, so
    each console does not import Alembic and run every migration (a second of its start)."""
    into = tmp_path / "console.db"
    sqlite_copy(tmp_path_factory, "migrated", lambda db: None, into).dispose()
    return into


@pytest.fixture
def run_console(
    tmp_path: Path, kb: KnowledgeBase, encodings_cache: Path, console_db: Path
) -> Console:
    """Plays lines in `champbot console`, in this process (as `python -m bot` runs it, with the
    environment it would have), reading the run's encodings cache (the `kb` fixture fills it)
    rather than encoding the knowledge base again."""

    def play(lines: list[str]) -> str:
        return _play(tmp_path, encodings_cache, lines)

    return play


@pytest.fixture
def run_console_err(
    tmp_path: Path, kb: KnowledgeBase, encodings_cache: Path, console_db: Path
) -> Callable[[list[str]], tuple[str, str]]:
    """Like `run_console`, in a `champbot console` process of its own, with what it wrote to
    stderr too (its logging's own handler, which a test's process does not have)."""

    def play(lines: list[str]) -> tuple[str, str]:
        return _run(tmp_path, encodings_cache, lines)

    return play


def _environment(tmp_path: Path, encodings: Path, **extra: str) -> dict[str, str]:
    """What a console a person starts in `tmp_path` reads: no Slack, its own SQLite file."""
    return {
        "HOME": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path}/console.db",  # see `console_db`
        "CHAMPBOT_KB_DIR": str(KB_DIR),
        "CHAMPBOT_CACHE_DIR": str(encodings),
        **extra,
    }


def _script(tmp_path: Path, lines: list[str]) -> Path:
    script = tmp_path / "script.txt"
    script.write_text("\n".join(lines) + "\n")
    return script


def _run(tmp_path: Path, encodings: Path, lines: list[str], **extra: str) -> tuple[str, str]:
    """`champbot console --script` as a process of its own: its stdout and stderr."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(ROOT),
        **_environment(tmp_path, encodings, **extra),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "console", "--script", str(_script(tmp_path, lines))],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout, proc.stderr


def _play(tmp_path: Path, encodings: Path, lines: list[str], **extra: str) -> str:
    """`champbot console --script` in this process, through `bot.cli.main` as `python -m bot`
    calls it: what it printed. A process of its own costs 1.5 CPU-s of imports and start
    (ten such tests); here only the environment is its own, with none of this test
    process's settings, no default workspace, and its changes to logging undone after."""
    script = _script(tmp_path, lines)
    root, bolt_log = logging.getLogger(), logging.getLogger("champbot.bolt")
    level, filters = root.level, list(bolt_log.filters)
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name.startswith(("CHAMPBOT_", "SLACK_")) or name in ("DATABASE_URL", "HOME"):
                mp.delenv(name)
        for name, value in _environment(tmp_path, encodings, **extra).items():
            mp.setenv(name, value)
        mp.chdir(tmp_path)
        mp.setattr(Database, "default_workspace", None)  # as in a process of its own
        try:
            with contextlib.redirect_stdout(out):
                assert main(["console", "--script", str(script)]) == 0
        finally:
            root.setLevel(level)
            bolt_log.filters[:] = filters
    return out.getvalue()


def steps(out: str) -> list[tuple[str, str]]:
    """The console's output cut at each prompt: (the line typed, what followed it)."""
    parts = re.split(r"^\w+> (.*)$", out, flags=re.MULTILINE)
    return list(zip(parts[1::2], parts[2::2], strict=True))


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


def test_the_timed_flows_script_plays_a_timeout_an_escalation_and_a_scheduled_broadcast(
    tmp_path: Path, kb: KnowledgeBase, encodings_cache: Path, console_db: Path
) -> None:
    lines = TIMED_FLOWS.read_text().splitlines()
    out = _play(tmp_path, encodings_cache, lines, CHAMPBOT_OFFER_TIMEOUT="900")
    played = steps(out)
    waits = [(typed, shown) for typed, shown in played if typed.startswith("/wait")]
    assert [typed for typed, _ in waits] == ["/wait 16m", "/wait 7m", "/wait 8m", "/wait 16m"]
    before = "".join(shown for typed, shown in played[: played.index(waits[0])])
    assert "bot → DM to chris" in before and "] Accept" in before
    assert "timed out" not in before and "bot → DM to cara" not in before

    timeout, warning, escalation, broadcast = (shown for _, shown in waits)
    assert "It is now" in timeout
    assert "The offer timed out and moved to the next champion" in timeout
    assert "bot → DM to cara" in timeout and "] Accept" in timeout
    assert "escalates to the leads soon" not in timeout
    assert "bot → DM to cara" in warning and "escalates to the leads soon" in warning
    assert "overdue" not in warning
    assert "bot → DM to lena" in escalation and "This request is overdue" in escalation
    assert "leads have been told" in escalation

    scheduled = "".join(shown for typed, shown in played[: played.index(waits[3])])
    assert "is scheduled for" in scheduled and "bot → #network" not in scheduled
    assert "Scheduled broadcasts (1)" in scheduled
    assert "bot → #network" in broadcast and "CHARGING GUIDANCE CHANGED" in broadcast
    assert "bot → DM to chris" in broadcast and "bot → DM to cara" in broadcast  # "dm"
    after = played[played.index(waits[3]) + 1][1]
    assert "Scheduled broadcasts (0)" in after and "\nSent " in after
    assert "1 of 2 champions have acknowledged" in out


def test_each_form_is_printed_once_and_back_returns_from_the_preview(
    run_console: Console,
) -> None:
    out = run_console(
        [
            "/as lena",
            "/broadcast",
            "/submit national | Old title | Message. | | | ask",
            "/back",
            "/submit national | New title | Message. | | | ask",
            "/submit",
            "/quit",
        ]
    )
    played = dict(steps(out))
    assert played["/broadcast"].count("── modal: New broadcast ──") == 1
    assert "Press Back to change anything" in out and "/back for Back" in out
    assert played["/back"].count("── modal: New broadcast ──") == 1
    assert "modal: Preview" in played["/submit national | New title | Message. | | | ask"]
    assert "bot → #network" in played["/submit"] and "NEW TITLE" in played["/submit"]
    assert "OLD TITLE" not in played["/submit"]


def test_an_unknown_form_value_is_refused_with_the_choices_and_short_names_work(
    run_console: Console,
) -> None:
    out = run_console(
        [
            "/as lena",
            "/broadcast",
            "/submit national | Title | Message. | | | ask, by sms",
            "/submit nation | Title | Message. | | | ask, dm",
            "/submit",
            "/quit",
        ]
    )
    played = steps(out)
    refused = played[2][1]
    assert "'by sms' is not one of the choices" in refused
    assert "Ask champions to acknowledge, Also send to each champion by DM" in refused
    assert "modal: Preview" not in refused
    assert "each of the 2 champions as a direct message" in played[3][1]
    sent = played[4][1]
    assert "bot → DM to chris" in sent and "bot → DM to cara" in sent


def test_unknown_commands_get_no_developer_hint_and_help_fits_the_role(
    run_console_err: Callable[[list[str]], tuple[str, str]],
) -> None:
    out, err = run_console_err(["/nonsense", "/help", "/as lena", "/help", "/quit"])
    played = steps(out)
    assert "The bot has no /nonsense command" in played[0][1]
    assert "Unhandled request" not in out + err and "@app.command" not in out + err
    officer, lead = played[1][1], played[3][1]
    assert out.count("running locally") == 1 and "running locally" not in officer + lead
    for line in ("/wait", "/say", "/back", "/click", "/submit", "/as", "/home", "/mention"):
        assert line in officer and line in lead
    assert "/ask" in officer and "/broadcast" not in officer
    assert "/broadcast list" in lead and "/champbot stats" in lead


def test_names_typed_as_in_slack_and_typing_in_a_consult_as_either_party(
    run_console: Console,
) -> None:
    out = run_console(
        [
            "/say too early",
            "my victim says her ex keeps following her home, should i arrest him",
            "/as chris",
            "/click accept",
            "/say Arrest under s2A, and ask @olivia for the diary.",
            "/as olivia",
            "/say Thanks, will do.",
            "/as adam",
            "/champbot roster add @omar champion",
            "/quit",
        ]
    )
    played = steps(out)
    assert "You are in no consult" in played[0][1]
    chris = played[4][1]
    assert "chris → group DM with olivia" in chris
    assert "ask @olivia for the diary" in chris and "<@" not in chris
    assert "olivia → group DM with chris" in played[6][1]
    roster = played[8][1]
    assert "@omar" in roster and "champion" in roster.lower() and "UOMAR" not in roster


def test_slack_markup_is_shown_readably(run_console: Console) -> None:
    out = run_console(
        [
            "my victim says her ex keeps following her home, should i arrest him",
            "/as lena",
            "/broadcast",
            "/submit national | Tom & Jerry <b> | Read *this* first. | "
            "https://www.cps.gov.uk/legal-guidance/stalking CPS guidance | | ask",
            "/submit",
            "/quit",
        ]
    )
    for raw in ("<#", "<@", "<!date", "<http", ":scroll:", "&amp;", "&lt;", "*National policy*"):
        assert raw not in out, raw
    assert re.search(r"claim by \d\d:\d\d", out)  # a <!date^…^{time}|…> token
    assert "📜 National policy · from @lena" in out
    assert "posted in #network" in out and "bot → #network" in out
    assert "Read this first." in out and "TOM & JERRY <B>" in out
    assert "CPS guidance (https://www.cps.gov.uk/legal-guidance/stalking)" in out
    assert "Request #1 from @olivia" in out


def test_the_readmes_timed_flow_plays_as_it_says(run_console: Console) -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## The console") :]
    start = section.index("```text\n") + len("```text\n")
    lines = section[start : section.index("\n```", start)].splitlines()
    assert 8 <= len(lines) <= 14 and any(line.startswith("/wait") for line in lines)
    out = run_console([*lines, "/quit"])
    waits = [shown for typed, shown in steps(out) if typed.startswith("/wait")]
    assert len(waits) == 4
    assert "The offer timed out and moved to the next champion" in waits[0]
    assert "No champion is available to take this request" in waits[1]
    assert "This request is overdue" in waits[2]
    assert "bot → #network" in waits[3] and "1 of 2 champions have acknowledged" in out


def test_outcome_picks_and_cpd_play_in_the_console(run_console: Console) -> None:
    out = run_console(
        [
            "my victim says her ex keeps following her home, should i arrest him",
            "/as chris",
            "/click accept",
            "/click resolve",
            "/submit advised s2A and an SPO | s2A | yes | recommended | marac | helpline",
            "/as olivia",
            "/click yes, it changed what i did",
            "/as chris",
            "/champion cpd",
            "/click log cpd activity",
            "/submit Paladin webinar | | 25 | Paladin | |",
            "/submit Paladin webinar | | 1.5 | Paladin | |",
            "/as lena",
            "/champion cpd",
            "/click record a training session",
            "/submit chris, cara | Force CPD day | | 3 | Force L&D |",
            "/champbot stats",
            "/quit",
        ],
    )
    assert "changed what you did on the case" in out
    assert "cpd_hours: One activity is at most 24 hours" in out  # refused, then corrected
    assert "1.5 of 6 hours in the last 12 months" in out
    assert "is logged for 2 champions" in out
    assert "stalking offence advised (s2A, s4A): 1 (100%)" in out
    assert "MARAC referrals: 1 (100%)" in out
    assert "advice changed what the officer did: 1 of the 1 who said (100%)" in out
