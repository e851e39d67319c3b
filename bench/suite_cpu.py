"""Where the test suite's CPU goes: each test's CPU seconds, its own process's and its children's.

A pytest plugin, loaded into the suite's run and every xdist worker:

    SUITE_CPU_DIR=/tmp/cpu PYTHONPATH=. .venv/bin/pytest -q -p bench.suite_cpu
    python bench/suite_cpu.py /tmp/cpu        # the tests and modules that took the most

Each worker appends one JSON line a test to `SUITE_CPU_DIR/<pid>.jsonl`: the test's id, its
wall seconds (setup, call and teardown) and the CPU seconds `getrusage` counts in that time for
the worker (all its threads: the app, the emulation, the listeners) and for the children it has
waited for (`champbot serve`, `champbot console`, tesseract). PostgreSQL's own work is not in
it. Nothing is written without SUITE_CPU_DIR.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

_out: IO[str] | None = None


def _cpu() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    global _out
    folder = os.environ.get("SUITE_CPU_DIR")
    if not folder:
        yield
        return
    if _out is None:
        Path(folder).mkdir(parents=True, exist_ok=True)
        _out = open(Path(folder) / f"{os.getpid()}.jsonl", "a")  # noqa: SIM115 (the run's)
    own, children, started = *_cpu(), time.monotonic()
    yield
    own_after, children_after = _cpu()
    line = {
        "id": item.nodeid,
        "self": own_after - own,
        "child": children_after - children,
        "wall": time.monotonic() - started,
    }
    _out.write(json.dumps(line) + "\n")
    _out.flush()


def main(folder: str, top: int = 30) -> None:
    rows = [json.loads(line) for path in Path(folder).glob("*.jsonl") for line in path.open()]
    cpu = {r["id"]: r["self"] + r["child"] for r in rows}
    print(f"{len(rows)} tests, {sum(cpu.values()):.1f} CPU-s in tests")
    print("\n  CPU s   own  children  wall s  test")
    for r in sorted(rows, key=lambda r: -cpu[r["id"]])[:top]:
        print(f"{cpu[r['id']]:7.2f} {r['self']:5.2f} {r['child']:9.2f} {r['wall']:7.1f}  {r['id']}")
    modules: dict[str, float] = defaultdict(float)
    for test, seconds in cpu.items():
        modules[test.split("::")[0]] += seconds
    print("\n  CPU s  module")
    for module, seconds in sorted(modules.items(), key=lambda m: -m[1])[:top]:
        print(f"{seconds:7.1f}  {module}")


if __name__ == "__main__":
    main(sys.argv[1], *(int(a) for a in sys.argv[2:3]))
