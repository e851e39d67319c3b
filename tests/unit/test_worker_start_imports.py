"""What the worker has imported when it says it is ready: nothing it does not need to take
work. The clock's jobs (APScheduler's schedulers, `bot.scheduler` and the reports' services)
start after "ready", beside the first work; dateparser is imported by the first natural time
(`/champion away until friday`), not at start; nor is anything a serving process never uses."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.db import Database
from bot.emulator import SlackEmulator
from tests.conftest import NOT_TO_SERVE, process_env, python_json

# The worker's main loop in a thread of a fresh interpreter, on a socket pair: what is
# imported as it says "ready" (taken as it sends it), and (with the clock) once the clock has
# started.
WORKER = """
import json, socket, sys, threading, time
from bot.config import Settings
from bot.worker import run_worker
clock = sys.argv[1] == "clock"
at_ready = []
send = socket.socket.sendall
def sendall(sock, data, *args):  # what is imported as the worker says it is ready
    if data == b"ready\\n" and not at_ready:
        at_ready.append(sorted(sys.modules))
    return send(sock, data, *args)
socket.socket.sendall = sendall
mine, theirs = socket.socketpair()
worker = threading.Thread(
    target=run_worker, args=(Settings.from_env(dotenv=None),),
    kwargs={"fd": theirs.detach(), "scheduler": clock, "after_schema": True},
)
worker.start()
mine.sendall(b"schema\\n")
lines = mine.makefile("rb")
assert lines.readline().strip() == b"ready"
deadline = time.monotonic() + 60
while clock and time.monotonic() < deadline and not any(
    t.name == "APScheduler" for t in threading.enumerate()
):
    time.sleep(0.02)
later = sorted(sys.modules)
threads = sorted(t.name for t in threading.enumerate())
mine.shutdown(socket.SHUT_RDWR)
worker.join(60)
print(json.dumps({"ready": at_ready[0], "later": later, "threads": threads}))
"""

LATER = {"bot.scheduler", "apscheduler.schedulers", "apscheduler.schedulers.background"}


def _worker(
    tmp_path: Path, emulator: SlackEmulator, cache: Path, mode: str
) -> dict[str, list[str]]:
    env = process_env(tmp_path, emulator.api_url, cache)
    Database(env["DATABASE_URL"]).upgrade()
    report: dict[str, list[str]] = python_json(WORKER, mode, env=env, cwd=tmp_path)
    return report


@pytest.mark.parametrize("mode", ["clock", "no clock"])
def test_the_worker_is_ready_before_it_imports_the_clock(
    tmp_path: Path, emulator: SlackEmulator, encodings_cache: Path, mode: str
) -> None:
    report = _worker(tmp_path, emulator, encodings_cache, mode)
    ready = set(report["ready"])
    tops = {name.partition(".")[0] for name in ready}
    assert not tops & (NOT_TO_SERVE | {"dateparser"}), sorted(
        tops & (NOT_TO_SERVE | {"dateparser"})
    )
    assert not ready & LATER, sorted(ready & LATER)
    assert "bot.app" in ready and "handlers.home" in ready  # the listeners are all there
    if mode == "clock":  # and then the clock starts
        assert set(report["later"]) >= LATER
        assert "APScheduler" in report["threads"]
    else:
        assert not set(report["later"]) & LATER


# The web process of `champbot serve` (with a worker) as `cmd_serve` starts it: its app and
# the knowledge base by words alone (the worker has the model).
WEB = """
import dataclasses, json, socket, sys
from bot.app import create_app
from bot.config import Settings
from bot.runtime import Runtime
from bot.server import wsgi_app
from bot.worker import PipeTransport
settings = dataclasses.replace(Settings.from_env(dotenv=None), semantic=False)
runtime = Runtime.from_settings(settings)
app = create_app(runtime, transport=PipeTransport(socket.socketpair()[0]))
wsgi_app(app, runtime.db, ready=lambda: True)
print(json.dumps(sorted(sys.modules)))
"""


def test_the_web_process_imports_nothing_of_the_model(
    tmp_path: Path, emulator: SlackEmulator, encodings_cache: Path
) -> None:
    env = process_env(tmp_path, emulator.api_url, encodings_cache, CHAMPBOT_SEMANTIC="on")
    Database(env["DATABASE_URL"]).upgrade()  # as `champbot db upgrade` leaves it
    tops = {name.partition(".")[0] for name in python_json(WEB, env=env, cwd=tmp_path)}
    model = {"numpy", "onnxruntime", "tokenizers", "onnx", "dateparser"}
    assert "slack_bolt" in tops and "sqlalchemy" in tops
    assert not tops & (model | NOT_TO_SERVE), sorted(tops & (model | NOT_TO_SERVE))
