"""`/faq` ack latency from concurrent clients: this app beside a bare Bolt app, each in its own
process, with Slack's emulation in a third, as they would be deployed.

Run on its own: `python bench/ack_latency.py [--runs 5] [--clients 8] [--commands 50]`.

Each run starts the emulation of Slack's Web API in a process of its own, then, one after the
other, a bare Bolt app (one `/faq` listener that only acks) and this app (`create_app` on a
fresh SQLite database, the knowledge base and sentence model loaded), each served by waitress
in a child process the same way. The app is served as `champbot serve` serves it: the web
process writes each command's inbox row and acks, and its worker process (started beside it,
at a lower priority) does the work after the ack (the search, the database, the reply to the
response URL), so what is measured is what that work costs the next ack on the same machine.
`--clients` threads in this process send `--commands` signed `/faq` commands each, and time
each from sending to the HTTP response: the ack. Every command is distinct (the app answers a
command sent twice within seconds once), and the run checks that every one was answered.

`--watch DIR` also times every database transaction of this app's web and worker processes
(`bench/lockwatch.py`: the wait for SQLite's write lock or the first round trip, how long the
lock was held, the commit) and prints a summary per process after each run.
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from pathlib import Path

from common import QUESTIONS, percentile  # bench/ is the script's own directory

from bot.slack_requests import SlackSender

ROOT = Path(__file__).resolve().parent.parent
TOKEN, SECRET, OFFICER = "xoxb-bench", "bench-secret", "UOFFICER1"
SEQUENCE = itertools.count(1)  # every command distinct: one sent twice is answered once


def emulation(conn: Connection, urls: int) -> None:
    """Child process: Slack's emulation, and `urls` response URLs made ready for the commands."""
    from bot.emulator import SlackEmulator

    emu = SlackEmulator(token=TOKEN)
    emu.start()
    emu.add_user(OFFICER, name="olivia", tz="Europe/London")
    emu.add_channel("CGENERAL")
    conn.send((emu.api_url, [emu.response_url(f"ack-{n}") for n in range(urls)]))
    while conn.recv() == "count":  # until told to stop
        conn.send(len(emu.responses))
    emu.stop()


def server(
    conn: Connection, kind: str, api_url: str, database_url: str, watch: str | None = None
) -> None:
    """Child process: the bare app or this app behind waitress; sends its port, serves until
    told to stop."""
    from concurrent.futures import ThreadPoolExecutor as Pool

    from slack_bolt import Ack, App
    from slack_sdk import WebClient

    from bot.app import create_app
    from bot.config import Settings
    from bot.db import Database
    from bot.runtime import Runtime
    from bot.server import HttpServer, wsgi_app

    env = {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": api_url,
        "DATABASE_URL": database_url,
        "CHAMPBOT_KB_DIR": str(ROOT / "knowledge"),
    }
    settings = Settings.from_env(env, dotenv=None)
    runtime = worker = None
    if watch:  # time every transaction, here and in the worker process
        import lockwatch

        lockwatch.install(watch, kind)
        env["CHAMPBOT_LOCKWATCH"] = watch
        env["PYTHONPATH"] = str(ROOT / "bench" / "lockwatch_site")
    if kind == "bare":
        db = Database(database_url)
        app = App(
            signing_secret=SECRET,
            client=WebClient(token=TOKEN, base_url=api_url),
            process_before_response=False,
            listener_executor=Pool(max_workers=8),
        )

        @app.command("/faq")
        def faq(ack: Ack) -> None:
            ack()

    else:
        import os

        from bot.models import Base
        from bot.worker import WorkerProcess

        if not database_url.startswith("sqlite"):  # given with --database-url: emptied
            fresh = Database(database_url)
            fresh.upgrade()
            with fresh.engine.begin() as tables:
                for table in reversed(Base.metadata.sorted_tables):
                    tables.execute(table.delete())
            fresh.dispose()
        runtime = Runtime.from_settings(settings)
        db = runtime.db
        worker = WorkerProcess(scheduler=False, env={**os.environ, **env})
        app = create_app(runtime, transport=worker.transport)
        while not worker.ready:  # as `champbot serve`'s health check waits for it
            time.sleep(0.05)
    http = HttpServer(wsgi_app(app, db), host="127.0.0.1", port=0)
    import threading

    threading.Thread(target=http.run, daemon=True).start()
    conn.send(http.port)
    conn.recv()
    http.close()
    if worker is not None:
        worker.close()
    if runtime is not None:
        runtime.close()
    db.dispose()


def acks(port: int, urls: list[str], clients: int, commands: int) -> list[float]:
    sender = SlackSender(f"http://127.0.0.1:{port}/slack/events", SECRET)

    def client(n: int) -> list[float]:
        out = []
        for i in range(commands):
            started = time.perf_counter()
            resp = sender.command(
                "/faq",
                f"{QUESTIONS[(n + i) % len(QUESTIONS)]} (#{next(SEQUENCE)})",
                user=OFFICER,
                channel="CGENERAL",
                response_url=urls[n * commands + i],
            )
            out.append((time.perf_counter() - started) * 1000)
            if resp.status != 200:
                raise RuntimeError(f"/faq answered HTTP {resp.status}")
        return out

    with ThreadPoolExecutor(max_workers=clients) as pool:
        return [t for batch in pool.map(client, range(clients)) for t in batch]


def measure(
    kind: str,
    api_url: str,
    urls: list[str],
    args: argparse.Namespace,
    settle: Callable[[], None] = lambda: time.sleep(1.0),
) -> list[float]:
    """Time the acks of `kind`'s app; `settle` waits before it is stopped (the app's answers:
    a stopped worker leaves what it had not begun to the next start's sweep)."""
    ctx = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp:
        mine, theirs = ctx.Pipe()
        url = args.database_url or f"sqlite:///{tmp}/b.db"
        watch = None
        if args.watch:
            watch = str(Path(args.watch) / f"{kind}-{next(SEQUENCE)}")
        child = ctx.Process(target=server, args=(theirs, kind, api_url, url, watch))
        child.start()
        port = mine.recv()
        acks(port, urls[: args.clients * 2], args.clients, 2)  # warm up: first search, first insert
        time.sleep(0.5)
        timings = acks(port, urls[args.clients * 2 :], args.clients, args.commands)
        settle()
        mine.send("stop")
        child.join(timeout=60)
    if watch:
        import lockwatch

        print(f"{kind} (transactions in {watch}):\n{lockwatch.summary(watch)}", flush=True)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--commands", type=int, default=50, help="per client")
    parser.add_argument(
        "--database-url", help="a database to EMPTY and use (default: a fresh SQLite file per run)"
    )
    parser.add_argument(
        "--watch", help="a directory: time every transaction of each run there (lockwatch.py)"
    )
    args = parser.parse_args()
    ctx = multiprocessing.get_context("spawn")
    bare_runs, app_runs = [], []
    for _ in range(args.runs):
        mine, theirs = ctx.Pipe()
        emu = ctx.Process(target=emulation, args=(theirs, args.clients * (args.commands + 2)))
        emu.start()
        api_url, urls = mine.recv()
        bare_runs.append(measure("bare", api_url, urls, args))
        mine.send("stop")
        emu.join(timeout=30)
        mine, theirs = ctx.Pipe()
        emu = ctx.Process(target=emulation, args=(theirs, args.clients * (args.commands + 2)))
        emu.start()
        api_url, urls = mine.recv()
        sent = args.clients * (args.commands + 2)

        def answered_all(emu: Connection = mine, sent: int = sent) -> None:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                emu.send("count")
                if emu.recv() >= sent:
                    return
                time.sleep(0.2)

        app_runs.append(measure("app", api_url, urls, args, settle=answered_all))
        mine.send("count")
        answered = mine.recv()
        if answered != sent:
            raise RuntimeError(f"the app answered {answered} of {sent} commands")
        mine.send("stop")
        emu.join(timeout=30)
    print(
        f"{args.runs} runs; {args.clients} clients × {args.commands} `/faq`; the app, the bare "
        "app and Slack's emulation each in a process of its own.\n"
    )
    print(
        "| `/faq` ack | each run: median/p99 ms | median of medians | median of p99s |\n"
        "| --- | --- | --- | --- |"
    )
    for name, runs in (("bare Bolt app", bare_runs), ("this app", app_runs)):
        per_run = " · ".join(f"{statistics.median(r):.1f}/{percentile(r, 99):.1f}" for r in runs)
        print(
            f"| {name} | {per_run} | **{statistics.median(statistics.median(r) for r in runs):.1f}"
            f"** | **{statistics.median(percentile(r, 99) for r in runs):.1f}** |"
        )
    bare = statistics.median(percentile(r, 99) for r in bare_runs)
    app = statistics.median(percentile(r, 99) for r in app_runs)
    print(f"\nack p99 ratio (this app / bare): {app / bare:.2f}")


if __name__ == "__main__":
    main()
