"""The migrations make the models' schema, on SQLite and on PostgreSQL: no table, column, type,
index or unique constraint of one is missing from the other. slack_sdk's tables are not models
of ours: they hold at least every column slack_sdk's stores read and write."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import create_engine, inspect

from bot.db import Database
from bot.models import Base


def _slack_sdk_tables() -> dict[str, set[str]]:
    engine = create_engine("sqlite://")  # never connected to: the stores only build tables
    installs = SQLAlchemyInstallationStore(client_id="-", engine=engine)
    states = SQLAlchemyOAuthStateStore(expiration_seconds=1, engine=engine)
    tables = (installs.installations, installs.bots, states.oauth_states)
    return {t.name: {c.name for c in t.columns} for t in tables}


def test_the_migrated_schema_is_the_models(db: Database) -> None:
    slack_sdk = _slack_sdk_tables()

    def ours(obj: Any, name: str | None, kind: str, reflected: bool, _: Any) -> bool:
        table = obj if kind == "table" else getattr(obj, "table", None)
        return getattr(table, "name", name) not in slack_sdk

    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": ours}
        )
        assert compare_metadata(context, Base.metadata) == []
        found = inspect(conn)
        for table, columns in slack_sdk.items():
            assert columns <= {c["name"] for c in found.get_columns(table)}, table
