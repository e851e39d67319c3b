"""How fast the app acknowledges and answers, beside a bare Bolt app, idle and under a broadcast.

Run on its own: `python bench/serving.py [--runs 5] [--clients 8] [--commands 50]
[--questions 200] [--champions 1000] [--officers 20] [--gap 0.25]`. Everything goes over real
HTTP to waitress, against the local emulation of Slack's Web API. In one run, side by side:

1. *Ack latency*: `/faq` from `--clients` concurrent clients, each sending `--commands` signed
   slash commands, timed from sending to Slack's HTTP response (the ack). The same load goes
   to a bare Bolt app whose one listener only acks, served the same way: the ratio of the two
   99th percentiles is what the app's middleware and listeners add before the ack.
   The app runs as `champbot serve` runs it: this process writes each request's inbox row and
   acks, a worker process (at a lower priority) does the work after the ack.
2. *Answer latency, idle*: a signed DM to the answer posted (`chat.postMessage` received by the
   emulation), one question at a time, one every `--gap` seconds, from `--officers` officers in
   turn (so no officer's DM channel is asked faster than Slack's one message a second there:
   that limit is the channel's, whatever the app does).
3. *Answer latency during a broadcast*: the same, while a lead's broadcast goes to
   `--champions` champions by DM under Slack's limits (the emulation enforces about one
   message a second per channel and 600 a minute across the workspace, as `bench/broadcast.py`).

Prints Markdown tables: the median and 99th percentile of each run, and the median of the runs.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import QUESTIONS, percentile  # bench/ is the script's own directory
from slack_bolt import Ack, App
from slack_sdk import WebClient

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
from bot.worker import WorkerProcess

ROOT = Path(__file__).resolve().parent.parent
TOKEN, SECRET, LEAD, NETWORK = "xoxb-bench", "bench-secret", "ULEAD0001", "CNETWORK"
OFFICER = "UOFFICER1"  # the one who sends the `/faq` commands
SEQUENCE = itertools.count(1)  # every command distinct: one sent twice is answered once


@dataclass(frozen=True)
class Run:
    """One run's timings, in milliseconds."""

    bare_ack: list[float]
    app_ack: list[float]
    idle_answer: list[float]
    busy_answer: list[float]
    broadcast_sent: int
    answers_limited: int  # answers' posts Slack (the emulation) answered with 429


@contextmanager
def served(bolt: App, db: Database) -> Iterator[SlackSender]:
    """`bolt` behind waitress on a loopback port, and a sender that signs requests for it."""
    server = HttpServer(wsgi_app(bolt, db), host="127.0.0.1", port=0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield SlackSender(f"http://127.0.0.1:{server.port}/slack/events", SECRET)
    finally:
        server.close()


def bare_app(emu: SlackEmulator) -> App:
    """A Bolt app with one listener that only acks, configured like the real one."""
    app = App(
        signing_secret=SECRET,
        client=WebClient(token=TOKEN, base_url=emu.api_url),
        process_before_response=False,
        listener_executor=ThreadPoolExecutor(max_workers=8),
    )

    @app.command("/faq")
    def faq(ack: Ack) -> None:
        ack()

    return app


def acks(sender: SlackSender, emu: SlackEmulator, clients: int, commands: int) -> list[float]:
    """Concurrent `/faq` commands; the time each took to be acknowledged."""

    def client(n: int) -> list[float]:
        out = []
        for i in range(commands):
            started = time.perf_counter()
            resp = sender.command(
                "/faq",
                f"{QUESTIONS[(n + i) % len(QUESTIONS)]} (#{next(SEQUENCE)})",
                user=OFFICER,
                channel="CGENERAL",
                response_url=emu.response_url(f"bench-{n}-{i}"),
            )
            out.append((time.perf_counter() - started) * 1000)
            if resp.status != 200:
                raise RuntimeError(f"/faq answered HTTP {resp.status}")
        return out

    with ThreadPoolExecutor(max_workers=clients) as pool:
        return [t for batch in pool.map(client, range(clients)) for t in batch]


def officers(count: int) -> list[str]:
    return [f"UASKER{n:04d}" for n in range(1, count + 1)]


def answers(
    sender: SlackSender,
    emu: SlackEmulator,
    args: argparse.Namespace,
    keep_going: Callable[[], bool],
) -> list[float]:
    """DMs one at a time, a gap apart, officers in turn; the time from sending each to its
    answer being posted."""
    askers = officers(args.officers)
    channels = {emu.im_channel(user): user for user in askers}
    posted = threading.Semaphore(0)
    emu.on_call(
        lambda c: (
            posted.release()
            if c.method == "chat.postMessage" and c.ok and c.args.get("channel") in channels
            else None
        )
    )
    timings: list[float] = []
    next_at = time.perf_counter()
    for i in range(args.questions):
        time.sleep(max(0.0, next_at - time.perf_counter()))
        if not keep_going():
            break
        user = askers[i % len(askers)]
        next_at = time.perf_counter() + args.gap
        started = time.perf_counter()
        sender.dm(user=user, channel=emu.im_channel(user), text=QUESTIONS[i % len(QUESTIONS)])
        if not posted.acquire(timeout=30):
            raise RuntimeError("no answer within 30 s")
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def form_values(champions: int) -> dict[str, dict[str, dict[str, Any]]]:
    return {
        "category": {
            "value": {"type": "static_select", "selected_option": {"value": "national_policy"}}
        },
        "title": {"value": {"type": "plain_text_input", "value": "New CPS stalking guidance"}},
        "message": {
            "value": {
                "type": "plain_text_input",
                "value": f"All {champions} champions: please read the new guidance.",
            }
        },
        "links": {"value": {"type": "plain_text_input", "value": ""}},
        "send_at": {"value": {"type": "datetimepicker", "selected_date_time": None}},
        "options": {
            "value": {"type": "checkboxes", "selected_options": [{"value": "dm"}]},
        },
    }


def start_broadcast(sender: SlackSender, emu: SlackEmulator, champions: int) -> None:
    """A lead sends a broadcast to the network channel and to every champion by DM."""
    sender.command("/broadcast", "", user=LEAD, channel=NETWORK, response_url=emu.response_url())
    form = emu.wait_for(lambda e: e.find_calls("views.update", ok=True), timeout=10)[0]
    values = form_values(champions)
    answer = sender.view_submission(user=LEAD, view=form.args["view"], values=values)
    preview = answer.json()["view"]
    emu.rate_limit("chat.postMessage", per_minute=600, burst=60)
    emu.rate_limit_channels(per_second=1.0, burst=3)
    assert sender.view_submission(user=LEAD, view=preview, values={}).json() == {
        "response_action": "clear"
    }


def run_once(args: argparse.Namespace, kb: KnowledgeBase, database_url: str) -> Run:
    emu = SlackEmulator(token=TOKEN)
    emu.start()
    champions = [f"U{i:07d}" for i in range(1, args.champions + 1)]
    emu.add_user(LEAD, name="lena", tz="Europe/London")
    emu.add_user(OFFICER, name="olivia", tz="Europe/London")
    for n, uid in enumerate(officers(args.officers)):
        emu.add_user(uid, name=f"officer{n}", tz="Europe/London")
    for uid in champions:
        emu.add_user(uid, name=uid.lower())
    for channel in (NETWORK, "CGENERAL"):
        emu.add_channel(channel)
    env = {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": emu.api_url,
        "DATABASE_URL": database_url,
        "CHAMPBOT_KB_DIR": str(ROOT / "knowledge"),
        "CHAMPBOT_NETWORK_CHANNEL": NETWORK,
    }
    settings = Settings.from_env(env, dotenv=None)
    db = Database(database_url)
    db.upgrade()
    with db.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
    with db.session(Workspace("T0001")) as s:  # the emulation's one workspace
        s.add(Member(slack_user_id=LEAD, role=Role.LEAD, on_duty=True, max_active=3))
        s.add_all(
            Member(slack_user_id=uid, role=Role.CHAMPION, on_duty=True, max_active=3)
            for uid in champions
        )
    runtime = Runtime(settings=settings, db=db, kb=kb)
    # As `champbot serve` runs: the work after each ack in a worker process of its own.
    worker = WorkerProcess(scheduler=False, env={**os.environ, **env})
    try:
        while not worker.ready:
            time.sleep(0.05)
        with served(bare_app(emu), db) as bare:
            bare_ack = acks(bare, emu, args.clients, args.commands)
        with served(create_app(runtime, transport=worker.transport), db) as real:
            app_ack = acks(real, emu, args.clients, args.commands)
            time.sleep(1.0)  # let the last /faq replies go out
            idle = answers(real, emu, args, lambda: True)
            broadcast_started = time.time()
            start_broadcast(real, emu, args.champions)

            to_champions = set(champions)

            def copies() -> int:
                # A champion's copy is posted to their user id (Slack opens the DM).
                return sum(
                    1
                    for c in emu.find_calls("chat.postMessage", ok=True)
                    if c.args.get("channel") in to_champions
                )

            def broadcasting() -> bool:
                return copies() < args.champions and time.time() - broadcast_started < 120

            busy = answers(real, emu, args, broadcasting)
            sent = copies()
            asked = {emu.im_channel(user) for user in officers(args.officers)}
            limited = [
                c
                for c in emu.find_calls("chat.postMessage")
                if c.status == 429 and c.args.get("channel") in asked
            ]
    finally:
        worker.close()  # its delivery worker hands what it has not sent back to the outbox
        runtime.close()
        emu.stop()
        db.dispose()
    return Run(bare_ack, app_ack, idle, busy, sent, len(limited))


def row(name: str, values: list[list[float]]) -> str:
    medians = [statistics.median(v) for v in values if v]
    p99s = [percentile(v, 99) for v in values if v]
    per_run = " · ".join(f"{m:.1f}/{p:.1f}" for m, p in zip(medians, p99s, strict=True))
    return (
        f"| {name} | {per_run} | **{statistics.median(medians):.1f}** | "
        f"**{statistics.median(p99s):.1f}** |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--commands", type=int, default=50, help="per client")
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--champions", type=int, default=1000)
    parser.add_argument("--officers", type=int, default=20, help="asking in turn")
    parser.add_argument("--gap", type=float, default=0.25, help="seconds between questions")
    args = parser.parse_args()
    kb = KnowledgeBase.load(ROOT / "knowledge")
    runs = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            runs.append(run_once(args, kb, f"sqlite:///{tmp}/bench.db"))
    print(
        f"{args.runs} runs; {args.clients} clients × {args.commands} `/faq`; "
        f"{args.questions} DMs ({args.officers} officers in turn, one every {args.gap} s) idle "
        f"and during a broadcast to {args.champions} champions.\n"
    )
    print(
        "| measure | each run: median/p99 ms | median of medians | median of p99s |\n"
        "| --- | --- | --- | --- |"
    )
    print(row("`/faq` ack, bare Bolt app", [r.bare_ack for r in runs]))
    print(row("`/faq` ack, this app", [r.app_ack for r in runs]))
    print(row("DM → answer posted, idle", [r.idle_answer for r in runs]))
    print(row("DM → answer posted, during the broadcast", [r.busy_answer for r in runs]))
    bare_p99 = statistics.median(percentile(r.bare_ack, 99) for r in runs)
    app_p99 = statistics.median(percentile(r.app_ack, 99) for r in runs)
    idle_p99 = statistics.median(percentile(r.idle_answer, 99) for r in runs)
    busy_p99 = statistics.median(percentile(r.busy_answer, 99) for r in runs if r.busy_answer)
    print(
        f"\nack p99 ratio (this app / bare): {app_p99 / bare_p99:.2f}; "
        f"answer p99 during the broadcast / idle: {busy_p99 / idle_p99:.2f}; "
        f"answers timed during the broadcast per run: {[len(r.busy_answer) for r in runs]}; "
        f"broadcast DMs accepted while they were asked: {[r.broadcast_sent for r in runs]}; "
        f"answers' posts answered 429: {[r.answers_limited for r in runs]}"
    )


if __name__ == "__main__":
    main()
