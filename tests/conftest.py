"""Shared fixtures: databases (SQLite and PostgreSQL), the Slack emulation, and the running app."""

from __future__ import annotations

import fcntl
import importlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from slack_bolt import App
from sqlalchemy import Connection, text

from bot.config import Settings
from bot.db import Database
from bot.knowledge import KnowledgeBase
from bot.knowledge.encoder import shared_encoder
from bot.models import Base
from bot.runtime import Runtime
from bot.slack_requests import SlackResponse, SlackSender
from bot.tenancy import Workspace
from tests.longest_first import pytest_collection_modifyitems  # noqa: F401 (a hook)

if TYPE_CHECKING:
    from bot.emulator import SlackEmulator

ROOT = Path(__file__).resolve().parent.parent
KB_DIR = ROOT / "knowledge"
PG_URL = os.environ.get("CHAMPBOT_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
# Libraries only other commands need (Alembic for migrations, Jinja2 and WeasyPrint for the
# report, matplotlib for its charts, Hypothesis for tests): no serving process imports them.
NOT_TO_SERVE = {"alembic", "mako", "pygments", "jinja2", "weasyprint", "matplotlib", "hypothesis"}
SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"


def python_json(
    script: str, *args: str, env: dict[str, str], cwd: Path, timeout: float = 300
) -> Any:
    """Run `script` in an interpreter of its own (`python -c script args`) and return what its
    last line printed, as JSON; the test fails with its stderr's end if it exits non-zero."""
    proc = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def process_env(tmp_path: Path, api_url: str, cache: Path, **more: str) -> dict[str, str]:
    """The environment of a `champbot` process a test starts itself (a worker, a serving
    interpreter): words only, its own SQLite file, Slack's emulation, and the run's cache
    (`encodings_cache`), whose kept index of the knowledge base it reads back as a deployed
    process reads its own (building it afresh took each process most of a CPU-second)."""
    return {
        **os.environ,
        "HOME": str(tmp_path),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": api_url,
        "DATABASE_URL": f"sqlite:///{tmp_path}/worker.db",
        "CHAMPBOT_KB_DIR": str(KB_DIR),
        "CHAMPBOT_SEMANTIC": "off",
        "CHAMPBOT_CACHE_DIR": str(cache),
        **more,
    }


OFFICER, OTHER_OFFICER, CHAMPION, LEAD, ADMIN = (
    "UOFFICER1",
    "UOFFICER2",
    "UCHAMP1",
    "ULEAD1",
    "UADMIN1",
)


# The emulator's default workspace, where the app's single-workspace tests run. A session a test
# opens without naming a workspace works in it (the app itself never opens one so: sessions of
# `Database.strict()` and of `champbot serve` in a child process have no default).
TEST_WORKSPACE = Workspace("T0001")
Database.default_workspace = TEST_WORKSPACE

# Settings for service tests that run without Slack: the queue channel and the default timers.
SERVICE_SETTINGS = Settings.from_env(
    {
        "CHAMPBOT_QUEUE_CHANNEL": "CQUEUE",
        "CHAMPBOT_OFFER_TIMEOUT": "600",
        "CHAMPBOT_CLAIM_SLA": "1800",
    },
    dotenv=None,
)


# Most of a test's time is spent waiting (on the app's threads and processes, on Slack's
# emulated Retry-After, on timers), not computing: `-n auto` starts this many workers a core,
# so that one worker's waits are another's turn to compute.
WORKERS_PER_CORE = 3


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """In xdist's controller, before it starts the workers: import each test module whose
    assert-rewritten bytecode is not kept yet (a fresh checkout), so that it is rewritten and
    compiled once, here, rather than by every worker at once as they collect (about 2 CPU-s
    a worker). Nothing to do once the bytecode is there; a module that fails to import is
    left for the workers to report."""
    if os.environ.get("PYTEST_XDIST_WORKER") or not session.config.getoption("numprocesses", 0):
        return
    tail = f".{sys.implementation.cache_tag}-pytest-{pytest.__version__}.pyc"
    for path in sorted((ROOT / "tests").glob("*/test_*.py")):
        if not (path.parent / "__init__.py").exists():
            continue
        if (path.parent / "__pycache__" / f"{path.stem}{tail}").exists():
            continue
        try:
            importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
        except Exception:  # reported by the worker that collects it
            continue


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """The number of workers `-n auto` starts (PYTEST_XDIST_AUTO_NUM_WORKERS overrides)."""
    override = os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS")
    if override:
        return int(override)
    return WORKERS_PER_CORE * (len(os.sched_getaffinity(0)) or 1)


def _pg_reason() -> str | None:
    """None if PostgreSQL answers, else why not."""
    try:
        import psycopg

        with psycopg.connect(PG_URL, connect_timeout=3):
            return None
    except Exception as exc:
        return f"PostgreSQL is not reachable at {PG_URL} ({type(exc).__name__})"


_PG_REASON = _pg_reason()


def need_postgres() -> None:
    """Skip (or on CI, fail) when PostgreSQL is not there."""
    if _PG_REASON is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{_PG_REASON}: CI must run the PostgreSQL tests")
    pytest.skip(_PG_REASON)


def _reset(db: Database) -> None:
    """Empty every table, and restart ids so that each test's first request is #1.

    On PostgreSQL the tables the last test left rows in are emptied with DELETE, child tables
    first, and the id sequences it moved on are set back to their start: a TRUNCATE of the
    same tables cost the server about 5 ms of CPU a table and 100-190 ms of waiting on the disk
    (each truncated table is a new file, synced at commit), this some 2 ms in all."""
    with db.engine.begin() as conn:
        if db.is_sqlite:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())
        else:
            for name in reversed(_used(conn)):
                conn.execute(text(f"DELETE FROM {name}"))
            conn.execute(_RESTART_MOVED)


# Every id sequence of this schema that has been read from since it was last set back
# (`last_value` is null until then), set back so that its next value is its first.
_RESTART_MOVED = text(
    """
    SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false)
    FROM pg_sequences WHERE schemaname = current_schema() AND last_value IS NOT NULL
    """
)


def _used(conn: Connection) -> list[str]:
    """The tables a test left rows in, in the metadata's order (parents first). Most tests
    touch a few of the tables: probing each with EXISTS in one statement costs ~1 ms."""
    tables = [t.name for t in Base.metadata.sorted_tables]
    probe = " UNION ALL ".join(f"SELECT '{n}' WHERE EXISTS (SELECT 1 FROM {n})" for n in tables)
    used = {row[0] for row in conn.execute(text(probe))}
    return [n for n in tables if n in used]


@pytest.fixture(scope="session")
def sqlite_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """This worker's SQLite file, in memory-backed /dev/shm where there is one: a commit's
    fsync then costs nothing, and nothing the tests look at depends on where the file is."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        folder = Path(tempfile.mkdtemp(prefix="champbot-test-db-", dir=shm))
    else:
        folder = tmp_path_factory.mktemp("db")
    db = Database(f"sqlite:///{folder / 'champbot.db'}")
    db.ensure_schema()
    yield db
    db.dispose()
    if folder.parent == shm:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_db() -> Iterator[Database]:
    """A schema of its own in the `test` database, so that test runs never meet."""
    need_postgres()
    schema = f"champbot_test_{os.getpid()}"
    admin = Database(PG_URL)
    with admin.engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in PG_URL else "?"
    # A commit does not wait for its WAL record to reach the disk (`synchronous_commit=off`):
    # only a crash of PostgreSQL itself could lose one, which no test does.
    options = f"-csearch_path%3D{schema}%20-csynchronous_commit%3Doff"
    db = Database(f"{PG_URL}{sep}options={options}")
    db.upgrade()
    yield db
    db.dispose()
    from tests.e2e.processes import stop_all

    stop_all()  # no child process may go on sweeping a schema about to be dropped
    with admin.engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest) -> Database:
    """A migrated, empty database: every test using it runs on SQLite and on PostgreSQL."""
    name = "postgres_db" if request.param == "postgresql" else "sqlite_db"
    database: Database = request.getfixturevalue(name)
    _reset(database)
    return database


@pytest.fixture
def pg(postgres_db: Database) -> Database:
    """PostgreSQL alone, for tests of row locks and races."""
    _reset(postgres_db)
    return postgres_db


def _shared_dir(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """A directory this run's xdist workers share (the parent of their base temps), or one of
    this process's own when the run has no workers."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        path = tmp_path_factory.getbasetemp().parent / name
        path.mkdir(exist_ok=True)
        return path
    return tmp_path_factory.mktemp(name)


@contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created if missing) across this run's processes."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def sqlite_copy(
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    make: Callable[[Database], None],
    into: Path,
) -> Database:
    """A copy, at `into`, of a SQLite database that `make` fills once per run: the first
    worker to ask makes it under a lock, every caller gets a copy of its own (so what one
    test module writes no other sees)."""
    template = _shared_dir(tmp_path_factory, "templates") / f"{name}.db"
    with _exclusive(template.with_suffix(".lock")):
        if not template.exists():
            making = template.with_suffix(".making")
            making.unlink(missing_ok=True)
            db = Database(f"sqlite:///{making}")
            db.ensure_schema()
            make(db)
            db.dispose()
            _sqlite_backup(making, template)
    _sqlite_backup(template, into)
    db = Database(f"sqlite:///{into}")
    db.ensure_schema()
    return db


def _sqlite_backup(source: Path, target: Path) -> None:
    """Copy a SQLite database, its write-ahead log included, with SQLite's own backup."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


@pytest.fixture(scope="session")
def _warm_kb(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, KnowledgeBase]:
    """The knowledge base, and one encodings cache for the whole run, shared by its xdist
    workers: the first worker to get here encodes the knowledge base (and keeps the rewritten
    model) under a lock, the others read it back. Fresh each run, so no test depends on an
    earlier one."""
    cache = _shared_dir(tmp_path_factory, "encodings")
    with _exclusive(cache.parent / "encodings.lock"):
        encoder = shared_encoder(None, cache)  # the rewritten model is kept in `cache` too
        knowledge = KnowledgeBase.load(KB_DIR, encoder=encoder, encodings_cache=cache)
    return cache, knowledge


@pytest.fixture(scope="session")
def encodings_cache(_warm_kb: tuple[Path, KnowledgeBase]) -> Path:
    """The run's encodings cache, already holding the knowledge base's encodings and the
    rewritten model: every child process (`champbot serve`, `champbot console`) started by a
    test reads them back (CHAMPBOT_CACHE_DIR) instead of encoding the knowledge base again."""
    return _warm_kb[0]


@pytest.fixture(scope="session")
def kb(_warm_kb: tuple[Path, KnowledgeBase]) -> KnowledgeBase:
    return _warm_kb[1]


@pytest.fixture(scope="session")
def emulator_session() -> Iterator[SlackEmulator]:
    from bot.emulator import SlackEmulator

    emu = SlackEmulator(token=BOT_TOKEN)
    emu.start()
    _standard_users(emu)
    for channel in ("CGENERAL", "CQUEUE", "CNETWORK"):
        emu.add_channel(channel)
    yield emu
    emu.stop()


def _standard_users(emu: SlackEmulator) -> None:
    """The default workspace's people, as every test starts with them (a test that renames one,
    or moves their time zone, does so for itself alone: the next test gets them back)."""
    for uid, name in [
        (OFFICER, "olivia"),
        (OTHER_OFFICER, "omar"),
        (CHAMPION, "chris"),
        (LEAD, "lena"),
        (ADMIN, "adam"),
    ]:
        emu.add_user(uid, name=name, real_name=name.title(), tz="Europe/London")
    for uid in ("UCHAMP2", "UNEW1"):
        emu.add_user(uid, name=uid.lower())


@pytest.fixture
def emulator(emulator_session: SlackEmulator) -> Iterator[SlackEmulator]:
    """The Slack emulation, emptied for each test, its people as they started; no test may leave
    a reference violation."""
    emulator_session.reset()
    _standard_users(emulator_session)
    yield emulator_session
    assert emulator_session.violations == [], "calls Slack would reject were made"
    from bot.manifest import METHOD_SCOPES

    unlisted = {c.method for c in emulator_session.calls} - METHOD_SCOPES.keys()
    assert not unlisted, f"methods called with no scope in the manifest: {sorted(unlisted)}"


@dataclass
class RunningApp:
    """The real app over real HTTP, with what a test needs to drive and inspect it."""

    runtime: Runtime
    slack: SlackSender
    emu: SlackEmulator
    base_url: str

    def im(self, user: str) -> str:
        return self.emu.im_channel(user)


def settings_for(emu: SlackEmulator, db: Database, **overrides: object) -> Settings:
    env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": emu.api_url,
        "DATABASE_URL": db.url,
        "CHAMPBOT_KB_DIR": str(KB_DIR),
        "CHAMPBOT_QUEUE_CHANNEL": "CQUEUE",
        "CHAMPBOT_NETWORK_CHANNEL": "CNETWORK",
        # Tests send the same command again within milliseconds on purpose; a client's double
        # send (answered once) is tested where it is switched on.
        "CHAMPBOT_REPEAT_SECONDS": "0",
    }
    env.update({k: str(v) for k, v in overrides.items()})
    return Settings.from_env(env, dotenv=None)


@pytest.fixture
def app(emulator: SlackEmulator, db: Database, kb: KnowledgeBase) -> Iterator[RunningApp]:
    """The Bolt app served by waitress on a loopback port, talking to the emulation."""
    from bot.app import create_app
    from bot.server import HttpServer, wsgi_app

    runtime = Runtime(settings=settings_for(emulator, db), db=db, kb=kb)
    executor = ThreadPoolExecutor(max_workers=8)
    bolt = create_app(runtime, executor=executor)
    server = HttpServer(wsgi_app(bolt, db), host="127.0.0.1", port=0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.port}"
    emulator.reset()  # the app's start-up auth.test is not part of the test
    try:
        yield RunningApp(
            runtime, SlackSender(base + "/slack/events", SIGNING_SECRET), emulator, base
        )
    finally:
        server.close()
        executor.shutdown(wait=True)  # no listener of this test may act during the next one
        runtime.close()


class _Tracked(ThreadPoolExecutor):
    """Bolt's listener executor, remembering what it ran so a test can wait for it all."""

    def __init__(self) -> None:
        super().__init__(max_workers=8)
        self.futures: list[Future[object]] = []

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        future = super().submit(fn, *args, **kwargs)
        self.futures.append(future)
        return future


@dataclass
class DispatchSender(SlackSender):
    """Signed requests handed straight to `App.dispatch`, in this process (no HTTP server)."""

    bolt: App | None = None

    def post(
        self,
        body: bytes,
        *,
        content_type: str,
        headers: dict[str, str] | None = None,
        timestamp: int | None = None,
        secret: str | None = None,
    ) -> SlackResponse:
        from slack_bolt.request import BoltRequest

        from bot.slack_requests import signature

        assert self.bolt is not None
        ts = str(int(time.time()) if timestamp is None else timestamp)
        all_headers = {
            "content-type": content_type,
            "x-slack-request-timestamp": ts,
            "x-slack-signature": signature(secret or self.signing_secret, ts, body),
        }
        all_headers.update({k.lower(): v for k, v in (headers or {}).items()})
        response = self.bolt.dispatch(BoltRequest(body=body.decode(), headers=all_headers))
        return SlackResponse(response.status, response.body)


@dataclass
class DispatchedApp:
    """The real Bolt app, driven in-process through `App.dispatch` against the emulation."""

    runtime: Runtime
    bolt: App
    slack: DispatchSender
    emu: SlackEmulator
    executor: _Tracked

    def settle(self, timeout: float = 10.0) -> None:
        """Wait until every listener started so far has finished and its outbox is delivered."""
        deadline = time.monotonic() + timeout
        while True:
            pending = [f for f in self.executor.futures if not f.done()]
            if not pending:
                break
            wait(pending, timeout=max(0.0, deadline - time.monotonic()))
            if time.monotonic() > deadline:
                raise TimeoutError("listeners still running")
        # What the listeners acked and handed over, then what that work queued for delivery.
        assert self.runtime.work_pool.wait_idle(timeout=max(0.1, deadline - time.monotonic()))
        assert self.runtime.worker.wait_idle(timeout=max(0.1, deadline - time.monotonic()))

    def im(self, user: str) -> str:
        return self.emu.im_channel(user)


@pytest.fixture
def bolt(emulator: SlackEmulator, db: Database, kb: KnowledgeBase) -> Iterator[DispatchedApp]:
    """The Bolt app with every listener, dispatched in-process: fast handler tests."""
    from bot.app import create_app

    runtime = Runtime(settings=settings_for(emulator, db), db=db, kb=kb)
    executor = _Tracked()
    app = create_app(runtime, executor=executor)
    emulator.reset()  # the app's start-up auth.test is not part of the test
    sender = DispatchSender("in-process", SIGNING_SECRET, bolt=app)
    try:
        yield DispatchedApp(runtime, app, sender, emulator, executor)
    finally:
        executor.shutdown(wait=True)
        runtime.close()
