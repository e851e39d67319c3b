"""Benchmark: the resident size of `champbot serve`'s two processes, and their start.

Run on its own from the repository root: `python bench/footprint.py [--runs 5]`. Each run starts
`champbot serve` as its own process (SQLite, the local emulation of Slack's Web API, loopback
only), first with an empty encodings cache (the knowledge base is encoded) and then with the
cache that start left (warm), in turn with `CHAMPBOT_SEMANTIC=off` (words only) for comparison,
and with `--baseline-tree` an earlier version of the code in the same way.
`serve` is two processes: the web process, which acks and hands each request over, and its
worker, which answers the questions and so is the one that loads the sentence model. Each is
measured: start is the time from launching `serve` to `GET /healthz` answering (which waits
for the worker), when the worker process was launched (after the web process, in the
kernel's clock ticks), and the CPU time each process used until then (the figure a shared machine's
load does not inflate); the resident size (VmRSS, its peak VmHWM, and the private pages, USS,
from /proc/PID/smaps_rollup) is read from /proc once the server has answered questions by DM,
so the model has run, and the worker's also at start. PSS adds the two processes' proportional
sizes (a page they share counts half to each). Prints one Markdown row per run and mode, then
the medians. The worker's RSS is read at start, after 20 questions and after `--questions`
(500 by default, the evaluation set's questions in turn).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.emulator import SlackEmulator  # noqa: E402
from bot.knowledge.evalset import load_eval_set  # noqa: E402
from bot.slack_requests import SlackSender  # noqa: E402

# The evaluation set's questions, in its order: distinct wordings, so the model meets many
# of its vocabulary's words (its embedding table is read where their tokens fall).
QUESTIONS = [q.q for q in load_eval_set(ROOT / "knowledge" / "eval" / "questions.yaml")]
USERS = [f"UBENCH{i:02d}" for i in range(50)]
CHAMPBOT = Path(sys.executable).with_name("champbot")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM from /proc/PID/status, and Pss and the private pages (USS) from
    /proc/PID/smaps_rollup, in kB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0])
    out["USS"] = 0
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        key, _, value = line.partition(":")
        if key == "Pss":
            out["Pss"] = int(value.split()[0])
        elif key in ("Private_Clean", "Private_Dirty"):
            out["USS"] += int(value.split()[0])
    return out


def _mappings(pid: int) -> dict[str, int]:
    """Rss by what is mapped (a file's path, [heap], anonymous ones by their size), in kB,
    from /proc/PID/smaps."""
    out: dict[str, int] = {}
    name = ""
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        fields = line.split()
        if fields and not fields[0].endswith(":"):  # a mapping's first line
            start, end = (int(a, 16) for a in fields[0].split("-"))
            # anonymous ones by their size: 8 MB thread stacks, 64 MB malloc arenas...
            name = fields[5] if len(fields) > 5 else f"[anon {(end - start) >> 10} kB]"
        elif fields and fields[0] == "Rss:":
            out[name] = out.get(name, 0) + int(fields[1])
    return out


def _growth(before: dict[str, int], after: dict[str, int], top: int = 12) -> str:
    """The mappings whose Rss grew most, in MB."""
    grown = {k: after.get(k, 0) - before.get(k, 0) for k in after.keys() | before.keys()}
    largest = sorted(grown.items(), key=lambda kv: -abs(kv[1]))[:top]
    return ", ".join(f"{Path(k).name or k} {v / 1024:+.1f}" for k, v in largest if v)


def _children(pid: int) -> list[int]:
    """The processes `pid` started (the worker of `champbot serve`)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def _started(pid: int) -> float:
    # starttime, field 22 of /proc/PID/stat, in clock ticks since boot
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[19]) / os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    # utime and stime, fields 14 and 15 of /proc/PID/stat, in clock ticks
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_once(
    emu: SlackEmulator,
    cache: Path,
    database: Path,
    semantic: bool,
    tree: Path | None = None,
    questions: int = 500,
    mappings: bool = False,
) -> dict[str, float]:
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(tree or ""),
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_SIGNING_SECRET": "bench-secret",
        "SLACK_API_URL": emu.api_url,
        "DATABASE_URL": f"sqlite:///{database}",
        "CHAMPBOT_KB_DIR": str(ROOT / "knowledge"),
        "CHAMPBOT_CACHE_DIR": str(cache),
        "CHAMPBOT_SEMANTIC": "on" if semantic else "off",
        "CHAMPBOT_LOG_LEVEL": "WARNING",
    }
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(CHAMPBOT), "serve", "--port", str(port), "--no-scheduler"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        # the worker is `python -m bot worker`, which finds `bot` in its working directory
        # before PYTHONPATH: run in the tree measured, or an earlier version's web process
        # would start this version's worker
        cwd=str(tree or ROOT),
    )
    try:
        deadline = started + 600
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"serve exited: {process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.perf_counter() > deadline:
                raise RuntimeError("serve did not answer /healthz within 600 s")
            time.sleep(0.01)
        ready = time.perf_counter() - started
        cpu = _cpu_seconds(process.pid)
        workers = _children(process.pid)
        if len(workers) != 1:
            raise RuntimeError(f"expected one worker process, found {len(workers)}")
        worker_cpu = _cpu_seconds(workers[0])
        launched = _started(workers[0]) - _started(process.pid)
        worker_ready = _status(workers[0])["VmRSS"] / 1024
        at_start = _mappings(workers[0]) if mappings else {}
        sender = SlackSender(f"http://127.0.0.1:{port}/slack/events", "bench-secret")
        # from many officers in turn: each DM channel takes about a post a second (the pacer)
        channels = [(user, emu.im_channel(user)) for user in USERS]
        posted = threading.Semaphore(0)
        emu.on_call(lambda call: posted.release() if call.method == "chat.postMessage" else None)
        after: dict[int, dict[str, int]] = {}
        for n in range(1, questions + 1):
            user, channel = channels[n % len(channels)]
            sender.dm(user=user, channel=channel, text=QUESTIONS[(n - 1) % len(QUESTIONS)])
            if not posted.acquire(timeout=30):
                raise RuntimeError("no answer within 30 s")
            if n == 20:
                after[20] = _status(workers[0])
        web = _status(process.pid)
        worker = _status(workers[0])
        if mappings:
            print(f"worker's growth by mapping, MB: {_growth(at_start, _mappings(workers[0]))}")
        return {
            "start": ready,
            "cpu": cpu,
            "worker cpu": worker_cpu,
            "launched": launched,
            "rss": web["VmRSS"] / 1024,
            "hwm": web["VmHWM"] / 1024,
            "uss": web["USS"] / 1024,
            "worker ready rss": worker_ready,
            "worker rss 20": after.get(20, worker)["VmRSS"] / 1024,
            "worker rss": worker["VmRSS"] / 1024,
            "worker hwm": worker["VmHWM"] / 1024,
            "worker uss": worker["USS"] / 1024,
            "pss": (web["Pss"] + worker["Pss"]) / 1024,
        }
    finally:
        process.terminate()
        process.wait(timeout=30)


# The columns: each figure's key and heading; times in s, sizes in MB.
COLUMNS = {
    "start": "start s",
    "cpu": "start CPU s (web)",
    "worker cpu": "start CPU s (worker)",
    "launched": "worker launched after s",
    "rss": "web RSS",
    "hwm": "web peak RSS",
    "uss": "web USS",
    "worker ready rss": "worker RSS at start",
    "worker rss 20": "worker RSS after 20 questions",
    "worker rss": "worker RSS after all",
    "worker hwm": "worker peak RSS",
    "worker uss": "worker USS",
    "pss": "PSS of both",
}
HEADINGS = list(COLUMNS.values())
SECONDS = ("start", "cpu", "worker cpu", "launched")


def _cells(r: dict[str, float]) -> str:
    return " | ".join(f"{r[k]:.2f}" if k in SECONDS else f"{r[k]:.0f}" for k in COLUMNS)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument(
        "--questions", type=int, default=500, help="questions asked by DM before the last RSS"
    )
    p.add_argument(
        "--mode", action="append", help="only this mode, e.g. 'model, warm cache' (repeatable)"
    )
    p.add_argument(
        "--baseline-tree",
        type=Path,
        help="a checkout of an earlier version (git archive REV | tar -x -C DIR), run as a "
        "fourth mode with a warm cache of its own",
    )
    p.add_argument(
        "--mappings",
        action="store_true",
        help="after each run, the mappings of the worker (/proc/PID/smaps) that grew most",
    )
    args = p.parse_args(argv)
    emu = SlackEmulator(token="xoxb-bench")
    emu.start()
    for user in USERS:
        emu.add_user(user, name=user.lower(), real_name=user, tz="Europe/London")
    modes = ["model, cold cache", "model, warm cache", "words only"]
    if args.baseline_tree:
        modes += ["baseline, cold cache", "baseline, warm cache"]
    if args.mode:
        modes = [m for m in modes if m in args.mode]
    results: dict[str, list[dict[str, float]]] = {m: [] for m in modes}
    print(f"| run | mode | {' | '.join(HEADINGS)} |\n|{' --- |' * (len(HEADINGS) + 2)}")
    try:
        for run in range(1, args.runs + 1):
            with tempfile.TemporaryDirectory() as tmp:
                database = Path(tmp) / "bench.db"
                primed: set[str] = set()
                for mode in modes:  # the modes take turns, so background load falls on all
                    version = "baseline" if mode.startswith("baseline") else "branch"
                    tree = args.baseline_tree if version == "baseline" else None
                    cache = Path(tmp) / f"cache-{version}"  # each version's own
                    if mode.endswith("warm cache") and version not in primed:
                        # no cold start before it in this run: one start, not counted, fills it
                        run_once(emu, cache, database, True, tree, 0)
                    primed.add(version)
                    r = run_once(
                        emu,
                        cache,
                        database,
                        mode != "words only",
                        tree,
                        args.questions,
                        args.mappings,
                    )
                    results[mode].append(r)
                    print(f"| {run} | {mode} | {_cells(r)} |")
                    sys.stdout.flush()
    finally:
        emu.stop()
    print(f"\n(medians)\n| mode | {' | '.join(HEADINGS)} |\n|{' --- |' * (len(HEADINGS) + 1)}")
    for mode, rows in results.items():
        print(f"| {mode} | {_cells({k: statistics.median(r[k] for r in rows) for k in rows[0]})} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
