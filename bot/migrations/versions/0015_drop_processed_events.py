"""processed_events goes: the inbox refuses a repeated event (`bot.services.inbox`), and nothing
has written an event id here since

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-01

The downgrade makes the table again as 0013 left it (empty: its rows were kept a day at most).
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("processed_events") as batch_op:
        batch_op.drop_index("ix_processed_events_received_at")
    op.drop_table("processed_events")


def downgrade() -> None:
    op.create_table(
        "processed_events",
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("enterprise_id", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("event_id"),
    )
    with op.batch_alter_table("processed_events") as batch_op:
        batch_op.create_index("ix_processed_events_received_at", ["received_at"], unique=False)
