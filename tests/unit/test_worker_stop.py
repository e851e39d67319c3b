"""The worker process stops when the web process closes its socket, without first working
through a backlog: ids not yet taken, and units queued but not started, are left to the
sweeps (each is an inbox row the next worker claims)."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

from bot.emulator import SlackEmulator
from bot.worker import WorkerProcess, dispatch
from bot.workpool import WorkPool
from tests.conftest import process_env


def test_a_close_is_seen_behind_a_backlog_and_the_rest_is_left() -> None:
    web, worker = socket.socketpair()
    taken: list[bytes] = []

    def take(line: bytes) -> None:
        taken.append(line)
        time.sleep(0.02)  # a unit of work: 200 of them would take four seconds

    web.sendall(b"".join(f"i{n}\n".encode() for n in range(200)))
    web.close()  # the web process stops with 200 requests acked and not yet answered
    left = dispatch(worker, take)
    assert len(taken) + left == 200
    assert left > 150  # it stopped, and did not answer the backlog first
    assert taken == [f"i{n}".encode() for n in range(len(taken))]  # in order, stripped


def test_every_line_sent_before_the_close_is_taken_when_the_worker_keeps_up() -> None:
    web, worker = socket.socketpair()
    taken: list[bytes] = []
    done = threading.Event()
    result: list[int] = []

    def run() -> None:
        result.append(dispatch(worker, taken.append))
        done.set()

    threading.Thread(target=run, daemon=True).start()
    for n in range(5):
        web.sendall(f"o{n},{n + 1}\n".encode())
    deadline = time.monotonic() + 5
    while len(taken) < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    web.close()
    assert done.wait(5)
    assert taken == [f"o{n},{n + 1}".encode() for n in range(5)] and result == [0]


def test_a_pool_closed_leaving_its_queue_runs_only_what_had_started() -> None:
    pool = WorkPool(threads=1, queued=10)
    started, release = threading.Event(), threading.Event()
    ran: list[int] = []

    def blocker() -> None:
        started.set()
        release.wait(5)
        ran.append(0)

    pool.submit(blocker)
    assert started.wait(5)
    for n in range(1, 6):
        pool.submit(lambda n=n: ran.append(n))  # queued behind the running one
    closer = threading.Thread(target=lambda: pool.close(timeout=5, leave_queued=True))
    closer.start()
    time.sleep(0.1)
    release.set()
    closer.join(5)
    assert not closer.is_alive()
    assert ran == [0]  # the running unit finished; the queued ones were left, never run
    assert pool.wait_idle(timeout=1)  # and nothing is counted as still to do


def test_the_worker_process_stops_by_itself_when_its_web_process_closes(
    tmp_path: Path, emulator: SlackEmulator, encodings_cache: Path
) -> None:
    """Closing the web process's end is the stop: the worker sees it at once and exits on its
    own (0), not killed when the wait runs out (before, the thread reading the worker's
    "ready" kept the socket open, and every stop waited the full time, then killed it)."""
    env = process_env(tmp_path, emulator.api_url, encodings_cache)
    worker = WorkerProcess(scheduler=False, env=env)
    deadline = time.monotonic() + 60
    while not worker.ready and time.monotonic() < deadline:
        time.sleep(0.05)
    assert worker.ready
    worker.close(timeout=15)
    assert worker.returncode == 0  # it stopped itself; a kill would be -9
