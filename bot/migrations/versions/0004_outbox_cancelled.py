"""outbox rows can be cancelled (withdrawn before they went), apart from failed ones

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BEFORE = ("pending", "sent", "failed")
AFTER = (*BEFORE, "cancelled")


def _status(values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(
        *values, name="outbox_status", native_enum=False, create_constraint=True, length=20
    )


def _retype(old: tuple[str, ...], new: tuple[str, ...]) -> None:
    # The enum is a CHECK constraint on a string column: SQLite rebuilds the table (batch
    # mode); PostgreSQL swaps the named constraint.
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("outbox", recreate="always") as batch_op:
            batch_op.alter_column(
                "status", existing_type=_status(old), type_=_status(new), existing_nullable=False
            )
        return
    op.drop_constraint("outbox_status", "outbox", type_="check")
    quoted = ", ".join(f"'{value}'" for value in new)
    op.create_check_constraint("outbox_status", "outbox", f"status IN ({quoted})")


def upgrade() -> None:
    _retype(BEFORE, AFTER)
    # Rows withdrawn before this revision were marked failed with the error "cancelled".
    op.execute(
        "UPDATE outbox SET status = 'cancelled', error = NULL "
        "WHERE status = 'failed' AND error = 'cancelled'"
    )


def downgrade() -> None:
    op.execute(
        "UPDATE outbox SET status = 'failed', error = 'cancelled' WHERE status = 'cancelled'"
    )
    _retype(AFTER, BEFORE)
