"""A national broadcast to 43 forces × 50 champions by DM, each force its own workspace under
Slack's per-workspace rate limits, against the emulation.

Run on its own: `python bench/national.py [--runs 3] [--forces 43] [--champions 50]
[--database-url URL]` (default: PostgreSQL at 127.0.0.1:5432/test in a schema of its own when it
answers, else a fresh SQLite file).

The app runs in multi-workspace mode (SLACK_CLIENT_ID) and is installed in every workspace
through its install page (Slack's OAuth v2 flow, over HTTP). A national lead sends `/broadcast
national dm …` over real HTTP: one post in each force's network channel and a DM to each of its
champions, every one through that force's outbox with its installation's token. The emulation
enforces Slack's limits in each workspace on its own, answered with 429 and Retry-After like
Slack: every method's published tier, chat.postMessage's one message a second per channel
(bursts of 3), and a workspace-wide chat.postMessage limit, `--per-minute` (default 60 a minute,
bursts of a tenth of that). Slack does not publish the workspace-wide figure ("several hundred a
minute"); at 600 a minute a force's 51 messages fit in one burst and the bound is nil, so the
default is a small workspace's allowance, where the limit binds and the bound is long enough to
measure against.

The bound: the workspaces are independent, so the broadcast cannot finish before one force's
share can: (messages - burst) / rate for each workspace, every message to its own channel (51
messages at 60 a minute, bursts of 6: 45 s). The time runs from the command to the last message
accepted, so it includes writing every force's rows. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import statistics
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import text

from bot.app import create_app
from bot.config import Settings
from bot.db import Database
from bot.emulator import SlackEmulator
from bot.knowledge import KnowledgeBase
from bot.models import Base, ForceSettings, Member, Role
from bot.runtime import Runtime
from bot.scheduler import start_background
from bot.server import HttpServer, wsgi_app
from bot.slack_requests import SlackSender
from bot.tenancy import Workspace

ROOT = Path(__file__).resolve().parent.parent
SECRET, LEAD = "bench-secret", "UNATLEAD"
PG_URL = os.environ.get("CHAMPBOT_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
CHANNEL_RATE, CHANNEL_BURST = 1.0, 3


@dataclass(frozen=True)
class Result:
    messages: int
    elapsed: float
    bound: float
    limited: int
    written: float  # seconds until every force's rows were written (the command's own work)
    started_by: float  # seconds until every force's first message was accepted
    longest: float  # the longest any one force took, from its first message to its last

    @property
    def ratio(self) -> float:
        return self.elapsed / self.bound if self.bound else float("nan")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _get(url: str, cookie: str = "") -> tuple[int, dict[str, str], str]:
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with opener.open(request, timeout=30) as resp:
            return resp.status, dict(resp.headers.items()), resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers.items()), err.read().decode()


def install(base: str, team: str) -> None:
    """An admin of `team` installs the app from the install page, as a browser would."""
    _, headers, page = _get(base + "/slack/install")
    cookie = headers.get("Set-Cookie", "").split(";", 1)[0]
    found = re.search(r'href="([^"]*/oauth/v2/authorize\?[^"]*)"', page)
    assert found, page
    status, headers, body = _get(html.unescape(found.group(1)) + f"&team={team}")
    assert status == 302, body
    status, _, body = _get(headers["Location"], cookie)
    assert status == 200, body


def bound_seconds(champions: int, per_minute: float) -> float:
    """One force's share under its workspace's limit: (messages - burst) / rate."""
    burst = max(1, int(per_minute / 10))
    return max(0.0, (champions + 1 - burst) / (per_minute / 60))


def _database(url: str | None, tmp: str) -> tuple[Database, str | None]:
    if url:
        return Database(url), None
    try:
        import psycopg

        with psycopg.connect(PG_URL, connect_timeout=3):
            pass
    except Exception:
        return Database(f"sqlite:///{tmp}/national.db"), None
    schema = f"champbot_bench_{os.getpid()}"
    with Database(PG_URL).engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in PG_URL else "?"
    return Database(f"{PG_URL}{sep}options=-csearch_path%3D{schema}"), schema


def run_once(
    forces: int, champions: int, per_minute: float, db: Database, kb: KnowledgeBase
) -> Result:
    db.upgrade()
    with db.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
        for table in ("slack_installations", "slack_bots", "slack_oauth_states"):
            conn.execute(text(f"DELETE FROM {table}"))
    teams = [f"TF{n:02d}" for n in range(1, forces + 1)]
    emu = SlackEmulator(token="xoxb-unused")
    emu.start()
    for n, team in enumerate(teams, 1):
        emu.add_workspace(team, name=f"Force {n}")
        emu.add_channel(f"CNET{n:02d}", team_id=team)
        for c in range(1, champions + 1):
            emu.add_user(f"UC{n:02d}{c:03d}", name=f"c{n}-{c}", team_id=team)
    emu.add_user(LEAD, name="nadia", team_id=teams[0])
    settings = Settings.from_env(
        {
            "SLACK_CLIENT_ID": emu.client_id,
            "SLACK_CLIENT_SECRET": emu.client_secret,
            "SLACK_SIGNING_SECRET": SECRET,
            "CHAMPBOT_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "SLACK_API_URL": emu.api_url,
            "DATABASE_URL": db.url,
            "CHAMPBOT_KB_DIR": str(ROOT / "knowledge"),
        },
        dotenv=None,
    )
    runtime = Runtime(settings=settings, db=db.strict(), kb=kb)
    server = HttpServer(wsgi_app(create_app(runtime), db), host="127.0.0.1", port=0)
    # The clock, as `champbot serve` embeds it (sweeping every 15 s): it sends what a delivery
    # gave back to the outbox (rows held past a 429's Retry-After).
    scheduler = start_background(runtime)
    threading.Thread(target=server.run, daemon=True).start()
    base = f"http://127.0.0.1:{server.port}"
    emu.configure_oauth(redirect_uris=(base + "/slack/oauth_redirect",))
    try:
        for team in teams:
            install(base, team)
        for n, team in enumerate(teams, 1):
            with db.session(Workspace(team)) as s:
                s.add(ForceSettings(network_channel=f"CNET{n:02d}"))
                s.add_all(
                    Member(slack_user_id=f"UC{n:02d}{c:03d}", role=Role.CHAMPION, max_active=3)
                    for c in range(1, champions + 1)
                )
                if n == 1:
                    s.add(Member(slack_user_id=LEAD, role=Role.NATIONAL_LEAD, max_active=3))
        expected = forces * (champions + 1)
        done = threading.Event()
        accepted: list[float] = []
        lock = threading.Lock()

        def count(call: Any) -> None:
            if call.method == "chat.postMessage" and call.ok:
                with lock:
                    accepted.append(call.time)
                    if len(accepted) >= expected:
                        done.set()

        # Slack's limits from here on, each workspace its own allowance.
        emu.slack_rate_limits()
        emu.rate_limit("chat.postMessage", per_minute=per_minute, burst=int(per_minute / 10))
        emu.rate_limit_channels(per_second=CHANNEL_RATE, burst=CHANNEL_BURST)
        emu.on_call(count)
        sender = SlackSender(base + "/slack/events", SECRET, team_id=teams[0])
        started = time.time()
        reply = emu.response_url("national", team_id=teams[0])
        sender.command(
            "/broadcast",
            "national dm New CPS stalking guidance | Every champion: please read it before "
            "your next shift. *Key change*: consider s2A first.",
            user=LEAD,
            channel="CNET01",
            response_url=reply,
        )
        emu.wait_for(lambda e: e.responses, timeout=120)
        written = time.time() - started
        if not done.wait(timeout=max(300.0, 6 * bound_seconds(champions, per_minute))):
            raise RuntimeError(f"only {len(accepted)} of {expected} messages were accepted")
        elapsed = max(accepted) - started
        posted = emu.find_calls("chat.postMessage", ok=True)
        channels = {(c.team_id, str(c.args.get("channel"))) for c in posted}
        if len(posted) != expected or len(channels) != expected:
            raise RuntimeError("a message was posted twice, or someone was missed")
        limited = sum(1 for c in emu.calls if c.status == 429)
        spans: dict[str, list[float]] = {}
        for c in posted:
            spans.setdefault(str(c.team_id), []).append(c.time)
        started_by = max(min(times) for times in spans.values()) - started
        longest = max(max(times) - min(times) for times in spans.values())
    finally:
        scheduler.shutdown(wait=False)
        server.close()
        runtime.close()
        emu.stop()
    bound = bound_seconds(champions, per_minute)
    return Result(expected, elapsed, bound, limited, written, started_by, longest)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--forces", type=int, default=43)
    parser.add_argument("--champions", type=int, default=50)
    parser.add_argument("--per-minute", type=float, default=60.0, help="each workspace's limit")
    parser.add_argument("--database-url", help="a database to EMPTY and use")
    args = parser.parse_args()
    kb = KnowledgeBase.load(ROOT / "knowledge")
    with tempfile.TemporaryDirectory() as tmp:
        db, schema = _database(args.database_url, tmp)
        print(
            f"{args.forces} forces × {args.champions} champions by DM, on "
            f"{db.engine.dialect.name}; in each workspace: Slack's method tiers, "
            f"{CHANNEL_RATE:g} post a second per channel (bursts of {CHANNEL_BURST}), "
            f"chat.postMessage {args.per_minute:g} a minute (bursts of "
            f"{int(args.per_minute / 10)}).\n"
        )
        print(
            "| run | messages | rows written s | every force started s | longest force s "
            "| elapsed s | bound s | ratio | 429s |\n"
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
        )
        results = []
        try:
            for run in range(1, args.runs + 1):
                result = run_once(args.forces, args.champions, args.per_minute, db, kb)
                results.append(result)
                print(
                    f"| {run} | {result.messages} | {result.written:.1f} | "
                    f"{result.started_by:.1f} | {result.longest:.1f} | {result.elapsed:.1f} | "
                    f"{result.bound:.1f} | {result.ratio:.3f} | "
                    f"{result.limited} |",
                    flush=True,
                )
        finally:
            db.dispose()
            if schema:
                with Database(PG_URL).engine.begin() as conn:
                    conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        print(
            f"| **median** | | | | | **{statistics.median(r.elapsed for r in results):.1f}** | "
            f"**{statistics.median(r.bound for r in results):.1f}** | "
            f"**{statistics.median(r.ratio for r in results):.3f}** | |"
        )


if __name__ == "__main__":
    main()
