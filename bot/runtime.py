"""What every listener and job needs: settings, the database and the knowledge base."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from bot.config import Settings
from bot.db import Database
from bot.knowledge import KnowledgeBase
from bot.models import utcnow


@dataclass
class Runtime:
    """The app's long-lived collaborators, built once at start-up and shared read-only."""

    settings: Settings
    db: Database
    kb: KnowledgeBase
    clock: Callable[[], datetime] = field(default=utcnow, repr=False)

    def now(self) -> datetime:
        """The current time in UTC (replaceable in tests)."""
        return self.clock()

    def today(self) -> date:
        """Today's date in UTC."""
        return self.now().date()

    @classmethod
    def from_settings(cls, settings: Settings) -> Runtime:
        """Open the database (creating or upgrading SQLite) and load the knowledge base."""
        db = Database(settings.database_url)
        db.ensure_schema()
        return cls(settings=settings, db=db, kb=KnowledgeBase.load(settings.kb_dir))
