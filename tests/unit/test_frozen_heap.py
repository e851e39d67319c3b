"""A serving process freezes what it loaded (`gc.freeze`): the knowledge base and its indexes
live as long as the process, and a full collection that walked them (30 to 40 ms, holding the
GIL) stalled the acks of the web process and the work of the worker."""

from __future__ import annotations

from pathlib import Path

from bot.emulator import SlackEmulator
from tests.conftest import ROOT, process_env, python_json

# The web process (`Runtime.from_settings`, as `serve` builds it) and then, in the same
# interpreter, the worker's main loop on a socket pair, each reporting what the collector
# still tracks and what it has frozen once it is ready to serve.
PROCESSES = """
import gc, json, socket, threading
from bot.config import Settings
from bot.runtime import Runtime
from bot.worker import run_worker

settings = Settings.from_env(dotenv=None)
runtime = Runtime.from_settings(settings)
seen = {"web": {"frozen": gc.get_freeze_count(), "tracked": len(gc.get_objects())}}
gc.unfreeze()
mine, theirs = socket.socketpair()

def web_process():  # reads the worker's "ready", then hangs up, which stops it
    assert mine.makefile("rb").readline() == b"ready\\n"
    seen["worker"] = {"frozen": gc.get_freeze_count(), "tracked": len(gc.get_objects())}
    mine.shutdown(socket.SHUT_RDWR)

threading.Thread(target=web_process, daemon=True).start()
run_worker(settings, fd=theirs.detach(), scheduler=False)
print(json.dumps(seen))
"""


def test_a_serving_process_freezes_what_it_loaded(
    tmp_path: Path, emulator: SlackEmulator, encodings_cache: Path
) -> None:
    env = process_env(tmp_path, emulator.api_url, encodings_cache, CHAMPBOT_LOG_LEVEL="WARNING")
    seen = python_json(PROCESSES, env=env, cwd=ROOT, timeout=120)
    for process in ("web", "worker"):
        # the knowledge base alone is over 100,000 objects; what a full collection still
        # walks once it is frozen is a small part of what the process holds
        assert seen[process]["frozen"] > 100_000, seen
        assert seen[process]["tracked"] < seen[process]["frozen"] / 5, seen
