"""The database: engines, one unit of work per request, and schema migrations."""

from __future__ import annotations

import ast
import copy
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, exc, inspect, text
from sqlalchemy.orm import Session, sessionmaker

from bot.tenancy import EVERYWHERE, Workspace, enforce, open_in

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
T = TypeVar("T")


class SchemaOutOfDate(Exception):
    """The database schema is behind the code; `champbot db upgrade` fixes it."""


# How a thread waits for SQLite's one write lock (`_Connection.begin_write`), in seconds: the
# first retry, the longest step (the wait doubles up to it), and when it gives up.
FIRST_STEP = 0.0001
LONGEST_STEP = {"foreground": 0.0005, "background": 0.002}
GIVE_UP = 30.0
# In the background, the lock is left free this long after each of the process's commits
# before its next writer tries for it: a foreground writer polling for it gets it first.
BREATHER = 0.001
PING_IDLE = 10.0  # PostgreSQL: seconds a pooled connection may sit unused and not be pinged
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "SAVEPOINT")


class _Writes:
    """An engine's policy for taking SQLite's write lock. `foreground` (the web process, whose
    acks write the inbox): poll for it every half millisecond at most. `background` (the
    worker process, `Database.writes_in_background`): one thread of the process at a time
    waits for it or holds it (the others queue on `gate`, in the process), polling more
    slowly, so that an ack polling beside it gets the lock first when it comes free."""

    def __init__(self) -> None:
        self.mode = "foreground"
        self.gate = threading.Lock()
        self.released_at = 0.0  # (background) when the process's last writer let go


class _Connection(sqlite3.Connection):
    """pysqlite's connection, with its write transactions begun here (`isolation_level` is
    None, so pysqlite sends no `BEGIN` of its own): `BEGIN IMMEDIATE` just before the first
    write (or savepoint) of a transaction, never at a read, so that a transaction never
    upgrades a read to a write (SQLITE_BUSY without the busy handler) and takes the lock only
    for its writes; reads before it run outside a transaction, as with pysqlite's own
    deferred `BEGIN`. The wait for the lock is `begin_write`'s, not SQLite's busy handler's,
    whose steps (1, 2, 5, 10, … then 100 ms) leave a waiter asleep long after the lock is
    free while others take it in turn."""

    writes: _Writes
    _gated = False

    def begin_write(self) -> None:
        writes = self.writes
        if writes.mode == "background":
            if not writes.gate.acquire(timeout=GIVE_UP):
                raise sqlite3.OperationalError("database is locked (this process's writes)")
            self._gated = True
        longest = LONGEST_STEP[writes.mode]
        step, deadline = FIRST_STEP, time.monotonic() + GIVE_UP
        try:
            pause = writes.released_at + BREATHER - time.monotonic()
            if self._gated and pause > 0:
                time.sleep(pause)
            # SQLite's own busy handler off for this statement only: the wait is ours.
            self.execute("PRAGMA busy_timeout=0")
            while True:
                try:
                    self.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as error:
                    if self.in_transaction or "locked" not in str(error):
                        raise
                    if time.monotonic() > deadline:
                        raise
                time.sleep(step)
                step = min(step * 2, longest)
        except BaseException:
            self._release()
            raise
        finally:
            self.execute(f"PRAGMA busy_timeout={int(GIVE_UP * 1000)}")

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            if not self.in_transaction:
                self._release()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            if not self.in_transaction:
                self._release()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._release()

    def _release(self) -> None:
        if self._gated:
            self._gated = False
            self.writes.released_at = time.monotonic()
            self.writes.gate.release()


def _is_file(url: str) -> bool:
    return ":memory:" not in url and url not in ("sqlite://", "sqlite:///")


def make_engine(url: str, writes: _Writes | None = None) -> Engine:
    """An engine for `url`, tuned for many short transactions from a thread pool; on SQLite,
    its write transactions wait for the lock as `writes` says."""
    if url.startswith("sqlite"):
        writes = writes or _Writes()
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": GIVE_UP, "factory": _Connection},
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # WAL lets readers run beside the one writer; foreign keys are off by default.
            # synchronous=FULL (SQLite's default, said here): every commit is on the disk
            # before it returns, so an inbox row is there after a power cut once acked.
            dbapi_conn.isolation_level = None
            dbapi_conn.writes = writes
            cur = dbapi_conn.cursor()
            if _is_file(url):
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={int(GIVE_UP * 1000)}")
            cur.close()

        @event.listens_for(engine, "before_cursor_execute")
        def _begin_before_writing(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            raw = conn.connection.dbapi_connection
            if (
                isinstance(raw, _Connection)
                and not raw.in_transaction
                and conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT"
                and statement.lstrip()[:9].upper().startswith(_WRITES)
            ):
                raw.begin_write()

        return engine
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    engine = create_engine(url, pool_size=10, max_overflow=10)

    # A pooled connection is pinged before use only after PING_IDLE seconds unused (a restart
    # of the server, or a firewall, is what breaks an idle one), not on every checkout: an
    # ack's INSERT is then its only round trip. A connection found broken is replaced.
    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def _used(_dbapi_conn: Any, record: Any) -> None:
        record.info["used_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get("used_at", 0.0) < PING_IDLE:
            return
        try:
            dbapi_conn.execute("SELECT 1")
            dbapi_conn.rollback()
        except Exception as error:  # the driver's: the connection is gone
            raise exc.DisconnectionError() from error

    return engine


def lost_connection(error: BaseException) -> bool:
    """Whether `error` is the driver's report of a connection found broken in use (the
    server restarted, or its backend was ended): the pool has discarded it, and every other
    connection it held from before, so the next attempt connects afresh."""
    return isinstance(error, exc.DBAPIError) and bool(error.connection_invalidated)


def once_more_if_lost(work: Callable[[], T]) -> T:
    """`work()`, run a second time if the first found its connection broken. For work whose
    transaction is one statement that refuses its own repeat (an inbox row, a claim): if the
    broken connection had in fact committed it, the second attempt is refused, not doubled.
    A restart of PostgreSQL then costs a request nothing; a second failure is raised."""
    try:
        return work()
    except exc.DBAPIError as error:
        if not lost_connection(error):
            raise
    return work()


class Database:
    """One engine and its session factory: the only place sessions are opened."""

    # The workspace of a session opened without one (None: such a session may not touch a
    # workspace's rows). Only tests set it, for seeding and inspecting their one workspace.
    default_workspace: Workspace | None = None

    def __init__(self, url: str) -> None:
        self.url = url
        self._writes = _Writes()
        self.engine = make_engine(url, self._writes)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        enforce(self._sessions)

    @property
    def is_sqlite(self) -> bool:
        """Whether this is the embedded SQLite database."""
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self, where: Workspace | str | None = None) -> Iterator[Session]:
        """A session that commits when the block ends and rolls back if it raises, working in
        the workspace `where` (`bot.tenancy`): every query on a workspace's tables is scoped to
        it and every new row stamped with it; `EVERYWHERE` for work across all workspaces."""
        session = self._sessions()
        open_in(session, where if where is not None else self.default_workspace)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A connection without a session, committed when the block ends (rolled back if it
        raises): for the ack's one INSERT into a table no workspace owns (the inbox), where a
        session's bookkeeping would be all the ack's CPU beyond Bolt's own."""
        with self.engine.connect() as connection:
            yield connection
            connection.commit()

    def everywhere(self) -> AbstractContextManager[Session]:
        """A session across every workspace: for the clock's lists of due rows, delivery and
        national figures, never for a request's work."""
        return self.session(EVERYWHERE)

    def strict(self) -> Database:
        """This database (the same engine and sessions) with no default workspace."""
        view = copy.copy(self)
        view.default_workspace = None
        return view

    # Alembic (with Mako and Pygments, 11 MB resident) is imported only where migrations are
    # read or run: a start whose schema is current never imports it (`ensure_schema`).
    def _alembic_config(self) -> Config:
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        return cfg

    def head_revision(self) -> str | None:
        """The newest migration the code knows."""
        from alembic.script import ScriptDirectory

        return ScriptDirectory.from_config(self._alembic_config()).get_current_head()

    def current_revision(self) -> str | None:
        """The migration the database is at, or None for an empty database."""
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def upgrade(self) -> None:
        """Migrate the database to the newest schema."""
        from alembic import command

        cfg = self._alembic_config()
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    def ensure_schema(self) -> None:
        """Upgrade SQLite by itself; refuse an out-of-date PostgreSQL with one line."""
        if self._at_head_without_alembic():
            return
        if self.current_revision() == self.head_revision():
            return
        if self.is_sqlite:
            self.upgrade()
            return
        raise SchemaOutOfDate("the database schema is out of date: run `champbot db upgrade` first")

    def writes_in_background(self) -> None:
        """This process's writes give way to another's (the worker process's to the web
        process's acks): on SQLite, one of its threads at a time waits for the write lock, and
        more patiently (see `_Writes`). Nothing changes on PostgreSQL."""
        self._writes.mode = "background"

    def _at_head_without_alembic(self) -> bool:
        """Whether the database is at the one newest migration, found without importing
        Alembic: the revisions in its own table (`alembic_version`) against those the
        migration files name and no other names as its `down_revision`. False when unsure
        (no table, several heads, a file in another form): Alembic itself then decides."""
        made: set[str] = set()
        replaced: set[str] = set()
        for path in (MIGRATIONS / "versions").glob("*.py"):
            names = {}
            for node in ast.parse(path.read_text(encoding="utf-8")).body:
                if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                    for target in node.targets:
                        if isinstance(target, ast.Name):
                            names[target.id] = node.value.value
            revision, down = names.get("revision"), names.get("down_revision", ...)
            if not isinstance(revision, str) or not (down is None or isinstance(down, str)):
                return False
            made.add(revision)
            if down is not None:
                replaced.add(down)
        heads = made - replaced
        if len(heads) != 1:
            return False
        with self.engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return False
            current = {
                row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))
            }
        return current == heads

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
