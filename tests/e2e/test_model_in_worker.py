"""`champbot serve` loads the sentence model in the worker, which answers the questions, and
not in the web process, which only acks and hands them over (75 MB it would hold for nothing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.db import Database
from bot.emulator import SlackEmulator
from bot.knowledge import KnowledgeBase
from tests.e2e.processes import Process

ONNX_RUNTIME = "onnxruntime_pybind11_state"  # ONNX Runtime's library, as /proc/PID/maps names it


def _maps(pid: int) -> str:
    return Path(f"/proc/{pid}/maps").read_text()


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_the_model_is_loaded_in_the_worker_only(
    emulator: SlackEmulator, db: Database, tmp_path: Path, kb: KnowledgeBase, encodings_cache: Path
) -> None:
    if not kb.semantic:
        pytest.skip("the sentence model is not installed")
    process = Process(emulator, db, tmp_path, encodings=encodings_cache, scheduler=False)
    process.start()
    try:
        assert process.proc is not None
        web = process.proc.pid
        workers = [
            int(child)
            for task in Path(f"/proc/{web}/task").iterdir()
            for child in (task / "children").read_text().split()
        ]
        assert len(workers) == 1
        assert ONNX_RUNTIME not in _maps(web)
        assert ONNX_RUNTIME in _maps(workers[0])
    finally:
        process.stop()
