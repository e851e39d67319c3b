"""what a reply to a question showed, so it can be drawn again after feedback

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("questions") as batch_op:
        batch_op.add_column(
            sa.Column("shown_ids", sa.String(length=400), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("also_ids", sa.String(length=400), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("questions") as batch_op:
        batch_op.drop_column("also_ids")
        batch_op.drop_column("shown_ids")
