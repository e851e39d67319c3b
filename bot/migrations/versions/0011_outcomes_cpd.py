"""consult outcomes (the champion's picks), champions' CPD activities and reminders, and a
training broadcast's session time and CPD hours

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=20)


def _flag(name: str) -> sa.Column[bool]:
    return sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.false())


def upgrade() -> None:
    op.create_table(
        "consult_outcomes",
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column(
            "offence",
            _enum(
                "offence_advised", "s2", "s2a", "s4", "s4a", "other", "none_yet", "not_discussed"
            ),
            nullable=True,
        ),
        sa.Column("arrest", _enum("arrest_advised", "yes", "no", "already"), nullable=True),
        sa.Column(
            "spo",
            _enum("spo_advice", "applied", "recommended", "not_suitable", "not_discussed"),
            nullable=True,
        ),
        _flag("risk_assessment"),
        _flag("risk_escalated"),
        _flag("marac"),
        _flag("referral_isac"),
        _flag("referral_helpline"),
        _flag("referral_paladin"),
        sa.Column("recorded_by", sa.String(length=32), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("changed_practice", sa.Boolean(), nullable=True),
        sa.Column("changed_practice_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["request_id"], ["requests.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("request_id"),
    )
    op.create_table(
        "cpd_activities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("kind", _enum("cpd_kind", "initial", "cpd"), nullable=False),
        sa.Column("title", sa.String(length=150), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.Column("provider", sa.String(length=120), nullable=False, server_default=""),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("note_purged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("source", _enum("cpd_source", "self", "lead", "broadcast"), nullable=False),
        sa.Column("source_key", sa.String(length=80), nullable=True),
        sa.Column("broadcast_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["broadcast_id"], ["broadcasts.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "source_key", name="uq_cpd_activity_once"),
    )
    with op.batch_alter_table("cpd_activities") as batch_op:
        batch_op.create_index("ix_cpd_activities_user_held", ["user_id", "held_on"])
    op.create_table(
        "cpd_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "due_on", name="uq_cpd_reminder_once"),
    )
    with op.batch_alter_table("broadcasts") as batch_op:
        batch_op.add_column(sa.Column("session_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("cpd_hours", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("broadcasts") as batch_op:
        batch_op.drop_column("cpd_hours")
        batch_op.drop_column("session_at")
    op.drop_table("cpd_reminders")
    with op.batch_alter_table("cpd_activities") as batch_op:
        batch_op.drop_index("ix_cpd_activities_user_held")
    op.drop_table("cpd_activities")
    op.drop_table("consult_outcomes")
