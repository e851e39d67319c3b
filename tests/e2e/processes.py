"""`champbot serve` as a real child process (with its worker process), for tests that kill,
restart or run two of it."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bot.db import Database
from bot.emulator import SlackEmulator
from tests.conftest import BOT_TOKEN, KB_DIR, ROOT, SIGNING_SECRET


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# Every started `champbot serve` not yet stopped: a fixture that drops a database stops these
# first (`stop_all`), so no child sweeps a schema that is gone.
_LIVE: set[Process] = set()


def stop_all() -> None:
    """Stop every child process a test started and did not stop."""
    for process in list(_LIVE):
        process.stop()


class Process:
    """`champbot serve`, scheduler embedded, as a real child process: the web process and the
    worker it starts, in a process group of their own (`kill` ends both at once, as a crash
    of the machine would)."""

    def __init__(
        self,
        emu: SlackEmulator,
        db: Database,
        tmp: Path,
        *,
        encodings: Path,
        scheduler: bool = True,
        env: dict[str, str] | None = None,
    ) -> None:
        tmp.mkdir(parents=True, exist_ok=True)
        self.scheduler = scheduler
        self.port = free_port()
        self.env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(tmp),
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": emu.api_url,
            "DATABASE_URL": db.url,
            "CHAMPBOT_KB_DIR": str(KB_DIR),
            "CHAMPBOT_QUEUE_CHANNEL": "CQUEUE",
            "CHAMPBOT_OFFER_TIMEOUT": "4",
            "CHAMPBOT_SWEEP_SECONDS": "1",
            "PYTHONPATH": str(ROOT),
            "CHAMPBOT_CACHE_DIR": str(encodings),
            "CHAMPBOT_REPEAT_SECONDS": "0",  # as in tests/conftest.py
            **(env or {}),
        }
        self.tmp = tmp
        self.log = open(tmp / "serve.log", "ab")  # noqa: SIM115 (closed in stop)
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        _LIVE.add(self)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
            + ([] if self.scheduler else ["--no-scheduler"]),
            cwd=self.tmp,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
            start_new_session=True,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        self.log.flush()
        tail = (self.tmp / "serve.log").read_text()[-3000:]
        self.stop()  # never leave a half-started server running behind a failed test
        raise RuntimeError(f"champbot serve did not come up:\n{tail}")

    def kill(self) -> None:
        """SIGKILL the web process and its worker together."""
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        self._wait_group_gone()

    def _wait_group_gone(self, timeout: float = 10) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.killpg(self.proc.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.02)
        raise RuntimeError("the worker process outlived its web process")

    def stop(self) -> None:
        _LIVE.discard(self)
        self.log.close()
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        if self.proc:
            with contextlib.suppress(ProcessLookupError):  # never leave a worker behind
                os.killpg(self.proc.pid, signal.SIGKILL)
