"""Where the ack's time goes: every database transaction of a process, timed from the inside.

`install(directory)` hooks SQLAlchemy (every engine, every connection) so that each
transaction that reaches the database is written as one JSON line to `directory/<pid>.jsonl`:

- `wait`: how long its first write statement took (on SQLite, that statement takes the write
  lock, so this is the wait for it, busy handler included; on PostgreSQL, the round trip);
- `hold`: from that statement's end to the end of the commit (SQLite: how long the write lock
  was held); `commit`: the commit alone (SQLite: the WAL write and its fsync);
- `begin`: the transaction's first statement (`BEGIN IMMEDIATE`, or the first write that made
  pysqlite send its deferred `BEGIN`); `stmts`: statements sent, the `BEGIN`/`COMMIT` not
  counted; `busy`: whether any statement failed with SQLITE_BUSY ("database is locked").

`python bench/lockwatch.py DIR` summarises a directory of such files, one line per process.
`bench/ack_latency.py --watch DIR` installs it in the web process and (through
`sitecustomize` on `PYTHONPATH`, see `bench/lockwatch_site/`) in the worker process.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "BEGIN IMMEDIATE")
_state = threading.local()


def install(directory: str, role: str) -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from sqlalchemy.engine.default import DefaultDialect

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{role}-{os.getpid()}.jsonl"
    lock = threading.Lock()

    def txn() -> dict[str, Any]:
        cur = getattr(_state, "txn", None)
        if cur is None:
            cur = _state.txn = {"stmts": 0, "wait": None, "wrote_at": None, "busy": False}
        return cur

    @event.listens_for(Engine, "before_cursor_execute")
    def _before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        _state.started = time.perf_counter()

    @event.listens_for(Engine, "after_cursor_execute")
    def _after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        ended = time.perf_counter()
        cur = txn()
        cur["stmts"] += 1
        head = statement.lstrip()[:15].upper()
        if cur["wrote_at"] is None and head.startswith(_WRITES):
            cur["wait"] = (ended - _state.started) * 1000
            cur["wrote_at"] = ended
            cur["begin"] = statement.lstrip()[:40]

    @event.listens_for(Engine, "handle_error")
    def _error(context: Any) -> None:
        if "locked" in str(context.original_exception) or "busy" in str(context.original_exception):
            txn()["busy"] = True

    original_commit = DefaultDialect.do_commit
    original_rollback = DefaultDialect.do_rollback

    def _finish(kind: str, started: float) -> None:
        ended = time.perf_counter()
        cur = getattr(_state, "txn", None)
        _state.txn = None
        if cur is None or cur["wrote_at"] is None:
            return  # a read-only transaction: no lock taken
        line = {
            "t": time.time(),
            "thread": threading.current_thread().name,
            "end": kind,
            "begin": cur.get("begin"),
            "stmts": cur["stmts"],
            "wait": round(cur["wait"], 3),
            "hold": round((ended - cur["wrote_at"]) * 1000, 3),
            "commit": round((ended - started) * 1000, 3),
            "busy": cur["busy"],
        }
        with lock, path.open("a") as f:
            f.write(json.dumps(line) + "\n")

    def do_commit(self: Any, dbapi_connection: Any) -> None:
        started = time.perf_counter()
        try:
            original_commit(self, dbapi_connection)
        finally:
            _finish("commit", started)

    def do_rollback(self: Any, dbapi_connection: Any) -> None:
        started = time.perf_counter()
        try:
            original_rollback(self, dbapi_connection)
        finally:
            _finish("rollback", started)

    try:  # SQLite's write transactions begin in `bot.db` (BEGIN IMMEDIATE, waiting its way)
        from bot.db import _Connection
    except ImportError:
        _Connection = None
    if _Connection is not None and hasattr(_Connection, "begin_write"):
        original_begin = _Connection.begin_write

        def begin_write(self: Any) -> None:
            started = time.perf_counter()
            try:
                original_begin(self)
            finally:
                ended = time.perf_counter()
                cur = txn()
                cur["wait"] = (ended - started) * 1000
                cur["wrote_at"] = ended
                cur["begin"] = "BEGIN IMMEDIATE"

        _Connection.begin_write = begin_write  # type: ignore[method-assign]

    DefaultDialect.do_commit = do_commit  # type: ignore[method-assign]
    DefaultDialect.do_rollback = do_rollback  # type: ignore[method-assign]
    # The SQLite dialect inherits these; PostgreSQL's psycopg dialect overrides neither.


def _pct(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))]


def summary(directory: str) -> str:
    lines = []
    for path in sorted(Path(directory).glob("*.jsonl")):
        rows = [json.loads(line) for line in path.read_text().splitlines() if line]
        if not rows:
            continue
        waits = [r["wait"] for r in rows]
        holds = [r["hold"] for r in rows]
        commits = [r["commit"] for r in rows]
        begins = sorted({(r["begin"] or "")[:20] for r in rows})
        lines.append(
            f"{path.stem}: {len(rows)} write transactions, "
            f"{sum(r['busy'] for r in rows)} with SQLITE_BUSY, "
            f"{sum(r['end'] == 'rollback' for r in rows)} rolled back; "
            f"wait median/p99/max {statistics.median(waits):.1f}/{_pct(waits, 99):.1f}/"
            f"{max(waits):.1f} ms; hold {statistics.median(holds):.1f}/{_pct(holds, 99):.1f}/"
            f"{max(holds):.1f}; commit {statistics.median(commits):.1f}/"
            f"{_pct(commits, 99):.1f}/{max(commits):.1f}; stmts per txn "
            f"{statistics.median(r['stmts'] for r in rows):.0f} (max "
            f"{max(r['stmts'] for r in rows)}); total hold {sum(holds) / 1000:.2f} s; "
            f"first write {begins}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(summary(sys.argv[1]))
