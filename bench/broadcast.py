"""One broadcast to 1,000 champions by DM, under Slack's rate limits, against the emulation.

Run on its own: `python bench/broadcast.py [--runs 3] [--champions 1000] [--per-minute 600]`.

A lead sends a broadcast with "Also send to each champion by DM" through the whole stack over
real HTTP (`/broadcast`, the form, the preview, *Send now*). The emulation of Slack's Web API
enforces `chat.postMessage`'s "special" tier as Slack describes it: about one message a second
in each channel (bursts of 3), and a workspace-wide limit, here `--per-minute` (600 a minute,
bursts of a tenth of that, 60), answered with 429 and Retry-After like Slack. The time runs from
pressing *Send now* to the last message accepted. The shortest time those limits allow for N
messages, every one to its own channel, is (N - burst) / rate: the ratio of the two is how close
the delivery comes to what Slack allows. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.app import create_app
from bot.config import Settings
from bot.db import Database
from bot.emulator import SlackEmulator
from bot.knowledge import KnowledgeBase
from bot.models import Base, Member, Role
from bot.runtime import Runtime
from bot.server import HttpServer, wsgi_app
from bot.slack_requests import SlackSender
from bot.tenancy import Workspace

ROOT = Path(__file__).resolve().parent.parent
TOKEN, SECRET, LEAD, NETWORK = "xoxb-bench", "bench-secret", "ULEAD0001", "CNETWORK"
CHANNEL_RATE, CHANNEL_BURST = 1.0, 3


@dataclass(frozen=True)
class Result:
    """One run: messages accepted, how long they took, what the limits allow, 429s seen."""

    messages: int
    elapsed: float
    bound: float
    limited: int

    @property
    def ratio(self) -> float:
        return self.elapsed / self.bound if self.bound else float("nan")


def form_values(champions: int) -> dict[str, dict[str, dict[str, Any]]]:
    return {
        "category": {
            "value": {"type": "static_select", "selected_option": {"value": "national_policy"}}
        },
        "title": {"value": {"type": "plain_text_input", "value": "New CPS stalking guidance"}},
        "message": {
            "value": {
                "type": "plain_text_input",
                "value": f"All {champions} champions: please read the new guidance before your "
                "next shift. *Key change*: consider s2A first.",
            }
        },
        "links": {"value": {"type": "plain_text_input", "value": "https://www.cps.gov.uk/"}},
        "send_at": {"value": {"type": "datetimepicker", "selected_date_time": None}},
        "options": {
            "value": {"type": "checkboxes", "selected_options": [{"value": "ack"}, {"value": "dm"}]}
        },
    }


def run_once(champions: int, per_minute: float, database_url: str, kb: KnowledgeBase) -> Result:
    emu = SlackEmulator(token=TOKEN)
    emu.start()
    ids = [f"U{i:07d}" for i in range(1, champions + 1)]
    emu.add_user(LEAD, name="lena", tz="Europe/London")
    for uid in ids:
        emu.add_user(uid, name=uid.lower())
    emu.add_channel(NETWORK)
    settings = Settings.from_env(
        {
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": emu.api_url,
            "DATABASE_URL": database_url,
            "CHAMPBOT_KB_DIR": str(ROOT / "knowledge"),
            "CHAMPBOT_NETWORK_CHANNEL": NETWORK,
        },
        dotenv=None,
    )
    db = Database(database_url)
    db.upgrade()
    with db.engine.begin() as conn:  # a fresh start on a database given with --database-url
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
    with db.session(Workspace("T0001")) as s:  # the emulation's one workspace
        s.add(Member(slack_user_id=LEAD, role=Role.LEAD, on_duty=True, max_active=3))
        s.add_all(
            Member(slack_user_id=uid, role=Role.CHAMPION, on_duty=True, max_active=3) for uid in ids
        )
    runtime = Runtime(settings=settings, db=db, kb=kb)
    server = HttpServer(wsgi_app(create_app(runtime), db), host="127.0.0.1", port=0)
    threading.Thread(target=server.run, daemon=True).start()
    sender = SlackSender(f"http://127.0.0.1:{server.port}/slack/events", SECRET)
    expected = champions + 2  # the post, a copy for each champion, the lead's confirmation
    done = threading.Event()
    accepted: list[float] = []

    def count(call: Any) -> None:
        if call.method == "chat.postMessage" and call.ok:
            accepted.append(call.time)
            if len(accepted) >= expected:
                done.set()

    try:
        sender.command(
            "/broadcast", "", user=LEAD, channel=NETWORK, response_url=emu.response_url()
        )
        form = emu.wait_for(lambda e: e.find_calls("views.update", ok=True), timeout=10)[0]
        view = form.args["view"]
        answer = sender.view_submission(user=LEAD, view=view, values=form_values(champions))
        preview = answer.json()["view"]
        # Slack's limits from here on: the form and preview are not what is measured.
        emu.rate_limit("chat.postMessage", per_minute=per_minute, burst=int(per_minute / 10))
        emu.rate_limit_channels(per_second=CHANNEL_RATE, burst=CHANNEL_BURST)
        emu.on_call(count)
        started = time.time()
        assert sender.view_submission(user=LEAD, view=preview, values={}).json() == {
            "response_action": "clear"
        }
        if not done.wait(timeout=max(120.0, 4 * expected / (per_minute / 60))):
            raise RuntimeError(f"only {len(accepted)} of {expected} messages were accepted")
        elapsed = max(accepted) - started
        posted = emu.find_calls("chat.postMessage", ok=True)
        per_channel: dict[str, int] = {}
        for call in posted:
            per_channel[str(call.args.get("channel"))] = (
                per_channel.get(str(call.args.get("channel")), 0) + 1
            )
        if len(posted) != expected or any(n != 1 for n in per_channel.values()):
            raise RuntimeError("a message was posted twice, or someone was missed")
        limited = sum(1 for c in emu.find_calls("chat.postMessage") if c.status == 429)
    finally:
        server.close()
        emu.stop()
        db.dispose()
    burst = int(per_minute / 10)
    bound = max(0.0, (expected - burst) / (per_minute / 60))
    return Result(expected, elapsed, bound, limited)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--champions", type=int, default=1000)
    parser.add_argument("--per-minute", type=float, default=600.0, help="workspace-wide limit")
    parser.add_argument(
        "--database-url", help="a database to EMPTY and use (default: a fresh SQLite file per run)"
    )
    args = parser.parse_args()
    kb = KnowledgeBase.load(ROOT / "knowledge")
    print(
        f"{args.champions} champions; chat.postMessage limited to {args.per_minute:g} a minute "
        f"across the workspace (bursts of {int(args.per_minute / 10)}) and {CHANNEL_RATE:g} a "
        f"second per channel (bursts of {CHANNEL_BURST}).\n"
    )
    print(
        "| run | messages | elapsed s | bound s | ratio | 429s |\n"
        "| --- | --- | --- | --- | --- | --- |"
    )
    results = []
    for run in range(1, args.runs + 1):
        with tempfile.TemporaryDirectory() as tmp:
            url = args.database_url or f"sqlite:///{tmp}/bench.db"
            result = run_once(args.champions, args.per_minute, url, kb)
        results.append(result)
        print(
            f"| {run} | {result.messages} | {result.elapsed:.1f} | {result.bound:.1f} | "
            f"{result.ratio:.3f} | {result.limited} |"
        )
    print(
        f"| **median** | | **{statistics.median(r.elapsed for r in results):.1f}** | "
        f"**{statistics.median(r.bound for r in results):.1f}** | "
        f"**{statistics.median(r.ratio for r in results):.3f}** | |"
    )


if __name__ == "__main__":
    main()
