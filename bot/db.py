"""The database: engines, one unit of work per request, and schema migrations."""

from __future__ import annotations

import ast
import copy
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.orm import Session, sessionmaker

from bot.tenancy import EVERYWHERE, Workspace, enforce, open_in

if TYPE_CHECKING:
    from alembic.config import Config

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
