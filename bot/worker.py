"""The worker process that `champbot serve` starts beside itself: the web process validates a
request, writes its inbox row, acks and sends the row's id down a socket; the worker (at a
lower CPU priority) claims the row and runs its work through the processing app, and sweeps
the inbox for rows a crash left. The clock's jobs run here too, off the web process.

The socket carries one line per message: `i<id>` an inbox row to work on, `o<id>,<id>,…`
outbox rows a form wrote in the web process, to deliver; and first, to a worker started with
`--after-schema` (as `serve` starts it, before its own imports), `schema` once the web process
has checked the database. Nothing else crosses it: the work reads the request from the
database. The worker stops when the socket closes (the web process stopped or died), after
finishing what it had started; the web process starts a new worker if its worker dies, and
whatever was sent to a dead one is taken by the new one's sweep.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

# Nothing heavy at import: `champbot serve` starts its worker with this module before it
# imports the app (`bot.cli_serve.early_worker`).
if TYPE_CHECKING:
    from apscheduler.schedulers.base import BaseScheduler

    from bot.config import Settings
    from bot.runtime import Runtime
    from bot.unit import Processor

log = logging.getLogger(__name__)

# The worker yields the cores to the web process's acks (CHAMPBOT_WORKER_NICENESS overrides:
# on a machine shared with other busy processes, a high value starves the answers instead).
NICENESS = 2
RESTART_AFTER = 1.0  # seconds before a dead worker is started again
SCHEMA_CHECKED = "schema"  # the first line to a worker started with --after-schema
# glibc's allocator in the worker (an operator's own setting of either wins). Each question
# has ONNX Runtime allocate and free buffers of a few hundred kB; by default glibc raises its
# threshold for mapping a block of its own to the largest such block freed, so they come from
# the heap, and the heap's free pages between live blocks are never given back: the worker
# grew by about 20 MB over 500 questions. A fixed threshold maps them and unmaps them on free
# (and stops the raising); two arenas, not eight per core, for the work pool's threads.
ALLOCATOR = {"MALLOC_MMAP_THRESHOLD_": "131072", "MALLOC_ARENA_MAX": "2"}


class PipeTransport:
    """The `bot.unit.Transport` to the worker: sends it inbox and outbox ids; a send to a dead
    worker is dropped (the new worker's sweep takes the inbox rows, the clock's outbox sweep
    the outbox rows)."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._lock = threading.Lock()

    def send_schema_checked(self) -> None:
        self._send(f"{SCHEMA_CHECKED}\n")

    def hand_over(self, inbox_id: int) -> None:
        self._send(f"i{inbox_id}\n")

    def deliver(self, ids: list[int]) -> None:
        if ids:
            self._send("o" + ",".join(str(i) for i in ids) + "\n")

    def replace(self, sock: socket.socket) -> None:
        with self._lock:
            old, self._sock = self._sock, sock
        _hang_up(old)

    def close(self) -> None:
        with self._lock:
            _hang_up(self._sock)

    def _send(self, line: str) -> None:
        try:
            with self._lock:
                self._sock.sendall(line.encode())
        except OSError as error:
            log.warning("the worker process did not take a message (%s)", type(error).__name__)


def _hang_up(sock: socket.socket) -> None:
    """Close our end so that the worker reads the end of its input now: shut down first, since
    `close` alone leaves the socket open while a file object on it (the thread that reads the
    worker's "ready") is still open, and the worker would wait for a close that never came."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


class WorkerProcess:
    """The worker child of a web process, restarted if it dies, stopped with `close`. Started
    with `schema_checked=False`, it loads what needs no database and then waits for
    `schema_checked()`: the web process checks (and on SQLite upgrades) the schema alone."""

    def __init__(
        self,
        *,
        scheduler: bool,
        env: Mapping[str, str] | None = None,
        schema_checked: bool = True,
    ) -> None:
        self._scheduler = scheduler
        self._env = {**ALLOCATOR, **(os.environ if env is None else env)}
        self._closing = threading.Event()
        self._ready = threading.Event()
        self._schema = schema_checked
        self._spawning = threading.Lock()  # a restart and `schema_checked` one at a time
        sock, self._proc = self._spawn()
        self.transport = PipeTransport(sock)
        self._watch = threading.Thread(target=self._supervise, name="worker-watch", daemon=True)
        self._watch.start()

    @property
    def pid(self) -> int:
        return self._proc.pid

    @property
    def returncode(self) -> int | None:
        """How the worker process ended (None while it runs; negative: killed by that signal)."""
        return self._proc.poll()

    @property
    def ready(self) -> bool:
        """Whether the worker has started and is taking work (`/healthz` says so)."""
        return self._ready.is_set()

    def schema_checked(self) -> None:
        """The web process has checked the schema: the worker may open the database."""
        with self._spawning:
            if not self._schema:
                self._schema = True
                self.transport.send_schema_checked()

    def _spawn(self) -> tuple[socket.socket, subprocess.Popen[bytes]]:
        self._ready.clear()
        mine, theirs = socket.socketpair()
        command = [sys.executable, "-m", "bot", "worker", "--fd", str(theirs.fileno())]
        if self._scheduler:
            command.append("--scheduler")
        if not self._schema:
            command.append("--after-schema")
        proc = subprocess.Popen(command, pass_fds=[theirs.fileno()], env=self._env)
        theirs.close()
        threading.Thread(
            target=self._listen, args=(mine,), name="worker-ready", daemon=True
        ).start()
        return mine, proc

    def _listen(self, sock: socket.socket) -> None:
        # The worker says "ready" once, when it can take work; then nothing until it closes.
        with contextlib.suppress(OSError), sock.makefile("rb") as lines:
            for line in lines:
                if line.strip() == b"ready":
                    self._ready.set()

    def _supervise(self) -> None:
        while True:
            code = self._proc.wait()
            if self._closing.is_set():
                return
            log.error("the worker process exited (%s); starting another", code)
            time.sleep(RESTART_AFTER)
            with self._spawning:
                if self._closing.is_set():
                    return
                sock, self._proc = self._spawn()
                self.transport.replace(sock)

    def close(self, timeout: float = 30.0) -> None:
        """Close the socket (the worker finishes what it started and exits); wait for it."""
        self._closing.set()
        self.transport.close()
        try:
            self._proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            log.warning("the worker process did not stop within %.0fs; killing it", timeout)
            self._proc.kill()
            self._proc.wait()


def run_worker(settings: Settings, *, fd: int, scheduler: bool, after_schema: bool = False) -> int:
    """The worker's main loop (`champbot worker --fd N`): until the socket closes. With
    `after_schema`, the sentence model and the entries are loaded first and the database is
    opened once the web process has sent `SCHEMA_CHECKED` (if it stops first, so does this)."""
    from bot.app import create_processing_app
    from bot.db import Database
    from bot.inbox import Sweeper
    from bot.runtime import Runtime, keep_loaded_out_of_collections, load_knowledge
    from bot.unit import Processor

    sock = socket.socket(fileno=fd)
    kb = load_knowledge(settings)
    if after_schema and _first_line(sock) != SCHEMA_CHECKED.encode():
        sock.close()
        return 0  # the web process stopped (or failed) before its schema check passed
    db = Database(settings.database_url)
    db.ensure_schema()
    runtime = Runtime(settings=settings, db=db, kb=kb)
    runtime.db.writes_in_background()  # the web process's acks take SQLite's lock first
    processor = Processor(runtime, create_processing_app(runtime))
    sweeper = Sweeper(processor).start()
    keep_loaded_out_of_collections()
    _give_back_freed_memory()
    # Lower priority from now on, when there are acks to yield to; not while it starts beside
    # the web process, which waits for it to be ready before it serves.
    lower_priority(os.environ.get("CHAMPBOT_WORKER_NICENESS", str(NICENESS)))
    sock.sendall(b"ready\n")
    log.info("worker started (pid %d)", os.getpid())
    # The clock's jobs start beside the first work, not before the worker takes work: they
    # are periodic sweeps, and their imports (APScheduler's schedulers, the reports' services)
    # are no part of answering (its threads start at the priority set above).
    clock = _Clock(runtime, sock) if scheduler else None
    try:
        left = dispatch(sock, lambda line: _take(line, processor, runtime))
        if left:
            log.info("stopping: %d ids not taken are left to the sweeps", left)
    finally:
        sweeper.close()
        if clock is not None:
            clock.stop()
        # The units running finish; those queued behind them are left, like the ids above, to
        # the next worker's sweep (each is an inbox row): a stop never waits for a backlog.
        runtime.work_pool.close(leave_queued=True)
        runtime.close()
        sock.close()
    return 0


class _Clock:
    """The clock's jobs, started in a thread of their own (`stop` waits for the start). If
    they cannot start, the worker stops (its socket shut), as it did when they started before
    "ready": the web process logs it and starts another."""

    def __init__(self, runtime: Runtime, sock: socket.socket) -> None:
        self._scheduler: BaseScheduler | None = None
        self._thread = threading.Thread(
            target=self._start, args=(runtime, sock), name="worker-clock", daemon=True
        )
        self._thread.start()

    def _start(self, runtime: Runtime, sock: socket.socket) -> None:
        from bot.runtime import keep_loaded_out_of_collections

        try:
            from bot.scheduler import start_background

            self._scheduler = start_background(runtime)
        except Exception:
            log.exception("the clock's jobs did not start; the worker stops")
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            return
        keep_loaded_out_of_collections()  # what the clock imported, as at start

    def stop(self) -> None:
        self._thread.join()
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)


def lower_priority(setting: str) -> None:
    """Every thread of this process at a lower priority, and so every thread they start: a
    niceness (`setting` a number), or Linux's idle class (`idle`: the threads run only when no
    thread of a normal priority wants the core, so an ack never waits behind the work; on a
    machine shared with other busy processes the work waits behind them too). On Linux a
    priority belongs to a thread, not to the process: set in one thread after the others have
    started (the work pool, the sweeps, the clock, ONNX Runtime's), it would leave them at the
    web process's priority, competing with its acks. A setting that is neither is ignored."""
    idle = setting.strip().lower() == "idle"
    try:
        niceness = 0 if idle else int(setting)
    except ValueError:
        log.warning("CHAMPBOT_WORKER_NICENESS=%r is neither a number nor 'idle'", setting)
        return
    try:
        threads = [int(tid) for tid in os.listdir("/proc/self/task")]
    except OSError:  # no /proc: the calling thread (where a priority is the process's)
        threads = [0]
    for tid in threads:
        with contextlib.suppress(OSError):  # a thread that has just ended
            if idle:
                os.sched_setscheduler(tid, os.SCHED_IDLE, os.sched_param(0))
            else:
                os.setpriority(os.PRIO_PROCESS, tid, niceness)


def _first_line(sock: socket.socket) -> bytes:
    """One line from the socket, read a byte at a time (a buffered reader could take the lines
    behind it, which `dispatch` reads); empty if the socket closes first."""
    line = bytearray()
    with contextlib.suppress(OSError):
        while not line.endswith(b"\n"):
            byte = sock.recv(1)
            if not byte:
                return b""
            line += byte
    return bytes(line).strip()


def _give_back_freed_memory() -> None:
    """Return to the system the heap pages that loading freed (the YAML, the model's parsing):
    glibc keeps them otherwise. Nothing where the C library has no `malloc_trim`."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)


def dispatch(sock: socket.socket, take: Callable[[bytes], None]) -> int:
    """Hand each line the web process sends to `take`, in order, until the socket closes (the
    web process stopped or died); then stop at once and say how many lines were not taken.
    The socket is read as lines come, not as `take` gets through them (it waits while the work
    pool is full), so a close is seen behind any backlog of requests acked faster than they
    are answered; what is left is in the database (inbox rows for the next worker's sweep,
    outbox rows for the clock's)."""
    waiting: deque[bytes] = deque()
    arrived = threading.Condition()
    closed = False

    def read() -> None:
        nonlocal closed
        with contextlib.suppress(OSError), sock.makefile("rb") as lines:
            for line in lines:
                with arrived:
                    waiting.append(line.strip())
                    arrived.notify()
        with arrived:
            closed = True
            arrived.notify()

    threading.Thread(target=read, name="worker-read", daemon=True).start()
    while True:
        with arrived:
            arrived.wait_for(lambda: bool(waiting) or closed)
            if closed:
                return len(waiting)
            line = waiting.popleft()
        take(line)


def _take(line: bytes, processor: Processor, runtime: Runtime) -> None:
    kind, rest = line[:1], line[1:].decode("ascii", "replace")
    try:
        ids = [int(part) for part in rest.split(",") if part]
    except ValueError:
        log.warning("the worker ignored a malformed message")
        return
    if kind == b"i":
        for inbox_id in ids:
            runtime.work_pool.submit(functools.partial(processor.process, inbox_id))
    elif kind == b"o":
        runtime.worker.submit(ids)
