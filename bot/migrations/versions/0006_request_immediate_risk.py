"""requests carry the immediate-risk flag of the question they came from

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Requests opened before this revision were triaged without the flag reaching them.
    with op.batch_alter_table("requests") as batch_op:
        batch_op.add_column(
            sa.Column("immediate_risk", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("requests") as batch_op:
        batch_op.drop_column("immediate_risk")
