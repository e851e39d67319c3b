"""Time from a signed DM request to the answer posted, over real HTTP against the emulation.

Run on its own: `python bench/answer_latency.py [--runs 5] [--questions 200]`. Prints the median
and 99th percentile per run and the median of those across runs, as Markdown.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

from common import QUESTIONS, percentile  # bench/ is the script's own directory

from bot.app import create_app
from bot.config import Settings
from bot.emulator import SlackEmulator
from bot.runtime import Runtime
from bot.server import HttpServer, wsgi_app
from bot.slack_requests import SlackSender

ROOT = Path(__file__).resolve().parent.parent


def run_once(count: int, database_url: str) -> list[float]:
    emu = SlackEmulator(token="xoxb-bench")
    emu.start()
    emu.add_user("UBENCH", name="bench", real_name="Bench", tz="Europe/London")
    settings = Settings.from_env(
        {
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": "bench-secret",
            "SLACK_API_URL": emu.api_url,
            "DATABASE_URL": database_url,
            "CHAMPBOT_KB_DIR": str(ROOT / "knowledge"),
        },
        dotenv=None,
    )
    runtime = Runtime.from_settings(settings)
    server = HttpServer(wsgi_app(create_app(runtime), runtime.db), host="127.0.0.1", port=0)
    threading.Thread(target=server.run, daemon=True).start()
    sender = SlackSender(f"http://127.0.0.1:{server.port}/slack/events", "bench-secret")
    channel = emu.im_channel("UBENCH")
    posted = threading.Semaphore(0)
    emu.on_call(lambda call: posted.release() if call.method == "chat.postMessage" else None)
    timings = []
    try:
        for i in range(count):
            started = time.perf_counter()
            sender.dm(user="UBENCH", channel=channel, text=QUESTIONS[i % len(QUESTIONS)])
            if not posted.acquire(timeout=10):
                raise RuntimeError("no answer within 10 s")
            timings.append((time.perf_counter() - started) * 1000)
    finally:
        server.close()
        runtime.close()
        emu.stop()
        runtime.db.dispose()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--database-url", help="default: a fresh SQLite file per run")
    args = parser.parse_args()
    medians, p99s = [], []
    print("| run | median ms | p99 ms |\n| --- | --- | --- |")
    for run in range(1, args.runs + 1):
        with tempfile.TemporaryDirectory() as tmp:
            url = args.database_url or f"sqlite:///{tmp}/bench.db"
            timings = run_once(args.questions, url)
        medians.append(statistics.median(timings))
        p99s.append(percentile(timings, 99))
        print(f"| {run} | {medians[-1]:.1f} | {p99s[-1]:.1f} |")
    print(
        f"| **median of runs** | **{statistics.median(medians):.1f}** | "
        f"**{statistics.median(p99s):.1f}** |"
    )


if __name__ == "__main__":
    main()
