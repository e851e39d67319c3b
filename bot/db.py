"""The database: engines, one unit of work per request, and schema migrations."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from bot.tenancy import EVERYWHERE, Workspace, enforce, open_in

MIGRATIONS = Path(__file__).parent / "migrations"


class SchemaOutOfDate(Exception):
    """The database schema is behind the code; `champbot db upgrade` fixes it."""


def make_engine(url: str) -> Engine:
    """An engine for `url`, tuned for many short transactions from a thread pool."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, pool_pre_ping=True
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # WAL lets readers run beside the one writer; foreign keys are off by default.
            cur = dbapi_conn.cursor()
            if ":memory:" not in url and url not in ("sqlite://", "sqlite:///"):
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


class Database:
    """One engine and its session factory: the only place sessions are opened."""

    # The workspace of a session opened without one (None: such a session may not touch a
    # workspace's rows). Only tests set it, for seeding and inspecting their one workspace.
    default_workspace: Workspace | None = None

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
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

    def everywhere(self) -> AbstractContextManager[Session]:
        """A session across every workspace: for the clock's lists of due rows, delivery and
        national figures, never for a request's work."""
        return self.session(EVERYWHERE)

    def strict(self) -> Database:
        """This database (the same engine and sessions) with no default workspace."""
        view = copy.copy(self)
        view.default_workspace = None
        return view

    def _alembic_config(self) -> Config:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        return cfg

    def head_revision(self) -> str | None:
        """The newest migration the code knows."""
        return ScriptDirectory.from_config(self._alembic_config()).get_current_head()

    def current_revision(self) -> str | None:
        """The migration the database is at, or None for an empty database."""
        with self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def upgrade(self) -> None:
        """Migrate the database to the newest schema."""
        cfg = self._alembic_config()
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    def ensure_schema(self) -> None:
        """Upgrade SQLite by itself; refuse an out-of-date PostgreSQL with one line."""
        if self.current_revision() == self.head_revision():
            return
        if self.is_sqlite:
            self.upgrade()
            return
        raise SchemaOutOfDate("the database schema is out of date: run `champbot db upgrade` first")

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
