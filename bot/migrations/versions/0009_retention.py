"""retention: outbox rows name the typed text they copy and when their payload was purged;
requests record being closed as stale

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _request_of(ref: str | None, offers: dict[int, int]) -> int | None:
    """The request a ref written before this revision names (queue card, consult, offer)."""
    kind, _, rest = (ref or "").partition(":")
    number = rest.split(":")[0]
    if not number.isdigit():
        return None
    if kind in ("queue", "consult"):
        return int(number)
    return offers.get(int(number)) if kind == "offer" else None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.add_column(sa.Column("quotes", sa.String(40), nullable=True))
        batch_op.add_column(sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_outbox_quotes", ["quotes"])
        batch_op.create_index("ix_outbox_purge", ["purged_at", "created_at"])
    with op.batch_alter_table("requests") as batch_op:
        batch_op.add_column(sa.Column("stale_at", sa.DateTime(timezone=True), nullable=True))
    # Rows written before this revision: the request each copies, where its ref names one.
    bind = op.get_bind()
    offers = {int(i): int(r) for i, r in bind.execute(sa.text("SELECT id, request_id FROM offers"))}
    rows = bind.execute(
        sa.text(
            "SELECT id, ref, target_ref FROM outbox WHERE ref LIKE 'queue:%' "
            "OR ref LIKE 'consult:%' OR ref LIKE 'offer:%' OR target_ref LIKE 'queue:%' "
            "OR target_ref LIKE 'consult:%' OR target_ref LIKE 'offer:%'"
        )
    )
    for row_id, ref, target_ref in list(rows):
        request_id = _request_of(ref, offers) or _request_of(target_ref, offers)
        if request_id is not None:
            bind.execute(
                sa.text("UPDATE outbox SET quotes = :q WHERE id = :i"),
                {"q": f"request:{request_id}", "i": row_id},
            )


def downgrade() -> None:
    with op.batch_alter_table("requests") as batch_op:
        batch_op.drop_column("stale_at")
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.drop_index("ix_outbox_purge")
        batch_op.drop_index("ix_outbox_quotes")
        batch_op.drop_column("purged_at")
        batch_op.drop_column("quotes")
