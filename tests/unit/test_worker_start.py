"""`champbot serve` starts its worker process first, so that the two processes import and load
side by side; the worker opens the database only once the web process has checked it; and the
worker runs with glibc's allocator set to give freed buffers back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bot.emulator import SlackEmulator
from bot.worker import ALLOCATOR, WorkerProcess
from tests.conftest import process_env


def _env(tmp_path: Path, emulator: SlackEmulator, cache: Path) -> dict[str, str]:
    return process_env(tmp_path, emulator.api_url, cache)


def _wait(condition: object, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def _idle(pid: int) -> bool:
    """Whether the process has stopped using the CPU (it waits on something)."""
    before = _cpu_ticks(pid)
    time.sleep(0.5)
    return _cpu_ticks(pid) == before


# Run in a fresh interpreter: the command line imported, then `serve`'s worker started, and
# what the web process had imported by then.
EARLY = """
import json, sys
import bot.cli
worker = bot.cli.early_worker(["serve", "--port", "0", "--no-scheduler"])
imported = sorted(m for m in ("sqlalchemy", "slack_bolt", "bot.app", "bot.db") if m in sys.modules)
other = bot.cli.early_worker(["serve", "--no-worker"]), bot.cli.early_worker(["kb", "check"])
print(json.dumps({"pid": worker.pid if worker else None, "imported": imported,
                  "other": [o is None for o in other]}), flush=True)
worker.schema_checked()
import time
deadline = time.monotonic() + 120
while not worker.ready and time.monotonic() < deadline:
    time.sleep(0.05)
print(json.dumps({"ready": worker.ready}), flush=True)
worker.close(timeout=30)
"""


def test_serve_starts_its_worker_before_it_imports_the_app(
    tmp_path: Path, emulator: SlackEmulator, encodings_cache: Path
) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", EARLY],
        cwd=tmp_path,
        env=_env(tmp_path, emulator, encodings_cache),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    started, ended = (json.loads(line) for line in proc.stdout.strip().splitlines()[-2:])
    assert started["pid"] is not None
    # the worker was started before the web process imported the database or Bolt
    assert started["imported"] == []
    assert started["other"] == [True, True]  # --no-worker, and any other command: none
    assert ended["ready"]


def test_the_worker_opens_the_database_only_once_the_web_process_has_checked_it(
    tmp_path: Path, emulator: SlackEmulator, encodings_cache: Path
) -> None:
    database = tmp_path / "worker.db"
    worker = WorkerProcess(
        scheduler=False, env=_env(tmp_path, emulator, encodings_cache), schema_checked=False
    )
    try:
        # it loads the entries, then waits: no database made (SQLite), not ready
        assert _wait(lambda: _cpu_ticks(worker.pid) > 0 and _idle(worker.pid))
        assert not worker.ready
        assert not database.exists()
        assert worker.returncode is None
        worker.schema_checked()
        assert _wait(lambda: worker.ready)
        assert database.exists()
    finally:
        worker.close(timeout=30)
    assert worker.returncode == 0


def test_a_worker_whose_web_process_stops_before_the_schema_check_stops_too(
    tmp_path: Path, emulator: SlackEmulator, encodings_cache: Path
) -> None:
    worker = WorkerProcess(
        scheduler=False, env=_env(tmp_path, emulator, encodings_cache), schema_checked=False
    )
    assert _wait(lambda: _cpu_ticks(worker.pid) > 0 and _idle(worker.pid))
    worker.close(timeout=30)
    assert worker.returncode == 0
    assert not (tmp_path / "worker.db").exists()


def test_the_worker_runs_with_the_allocator_settings_unless_the_operator_set_them(
    tmp_path: Path, emulator: SlackEmulator, encodings_cache: Path
) -> None:
    def environ(worker: WorkerProcess) -> dict[str, str]:
        """The worker's environment as it was started (empty while it is being restarted)."""
        seen: dict[str, str] = {}

        def read() -> bool:
            try:
                pairs = Path(f"/proc/{worker.pid}/environ").read_bytes().split(b"\0")
            except OSError:
                return False
            seen.update(p.decode().partition("=")[::2] for p in pairs if p)
            return "CHAMPBOT_KB_DIR" in seen

        assert _wait(read, timeout=30), (seen, worker.returncode)
        return seen

    env = _env(tmp_path, emulator, encodings_cache)
    worker = WorkerProcess(scheduler=False, env=env)
    try:
        seen = environ(worker)
        assert {k: seen.get(k) for k in ALLOCATOR} == ALLOCATOR
        assert ALLOCATOR == {"MALLOC_MMAP_THRESHOLD_": "131072", "MALLOC_ARENA_MAX": "2"}
    finally:
        # Its environment is all this test reads: killed at once (close's wait of 0 s), not
        # left to load the knowledge base and the model first (a CPU-second a worker).
        worker.close(timeout=0)
    mine = WorkerProcess(scheduler=False, env={**env, "MALLOC_ARENA_MAX": "4"})
    try:
        assert environ(mine)["MALLOC_ARENA_MAX"] == "4"
    finally:
        mine.close(timeout=0)


NICE = {"CHAMPBOT_WORKER_NICENESS": "7"}


def _stat_of_threads(pid: int, field: int) -> dict[int, int]:
    """One field of each thread's stat, numbered as in proc(5): 19 its nice value, 41 its
    scheduling policy."""
    out = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        out[int(task.name)] = int(fields[field - 3])  # the fields after pid and (comm)
    return out


def test_once_ready_every_thread_of_the_worker_runs_at_its_lower_priority(
    tmp_path: Path, emulator: SlackEmulator, encodings_cache: Path
) -> None:
    """A priority is a thread's on Linux: lowered after the work pool, the sweeps and the
    clock have started, it must be lowered for each of them too, or they compete with the
    web process's acks at its own priority."""
    worker = WorkerProcess(
        scheduler=True, env={**_env(tmp_path, emulator, encodings_cache), **NICE}
    )
    try:
        assert _wait(lambda: worker.ready)
        threads = _stat_of_threads(worker.pid, 19)
        assert len(threads) > 2  # the main thread and those it started before it was ready
        assert set(threads.values()) == {int(NICE["CHAMPBOT_WORKER_NICENESS"])}, threads
    finally:
        worker.close(timeout=30)


def test_idle_puts_every_thread_of_the_worker_in_the_idle_class(
    tmp_path: Path, emulator: SlackEmulator, encodings_cache: Path
) -> None:
    """`CHAMPBOT_WORKER_NICENESS=idle`: every thread the worker has started by the time it is
    ready runs only when no thread of a normal priority wants a core (and so every thread
    they start later: a thread's class is inherited)."""
    env = {**_env(tmp_path, emulator, encodings_cache), "CHAMPBOT_WORKER_NICENESS": "idle"}
    worker = WorkerProcess(scheduler=True, env=env)
    try:
        assert _wait(lambda: worker.ready)
        threads = _stat_of_threads(worker.pid, 41)
        assert len(threads) >= 2  # the main thread and at least one it started
        assert set(threads.values()) == {os.SCHED_IDLE}, threads
    finally:
        worker.close(timeout=30)
