"""every row carries its workspace (team_id, enterprise_id); uniques and indexes per workspace

Rows written before this revision belong to the one workspace the app served. A migration
cannot ask Slack which that is, so they get the placeholder team "-" (`bot.tenancy.PENDING_TEAM`)
and single-workspace start-up gives them the team `auth.test` names (`bot.workspaces`).

Revision ID: 0012
Revises: 0014
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0014"
branch_labels = None
depends_on = None

PENDING_TEAM = "-"
TABLES = (
    "members",
    "questions",
    "curation_items",
    "processed_events",
    "audit_events",
    "outbox",
    "requests",
    "offers",
    "broadcasts",
    "broadcast_acks",
    "broadcast_reminders",
    "digests",
    "consult_outcomes",
    "cpd_activities",
    "cpd_reminders",
    "report_runs",
)
# Unique constraints that become per workspace: (table, old column, new name).
PER_WORKSPACE = (
    ("members", "slack_user_id", "uq_members_team_user"),
    ("outbox", "ref", "uq_outbox_team_ref"),
    ("digests", "week", "uq_digests_team_week"),
    ("report_runs", "month", "uq_report_runs_team_month"),
)
INDEXES = (
    ("members", "ix_members_team_role", ["team_id", "role"]),
    ("questions", "ix_questions_team_asker", ["team_id", "asker_id"]),
    ("questions", "ix_questions_team_asked_at", ["team_id", "asked_at"]),
    ("curation_items", "ix_curation_team_reviewed", ["team_id", "reviewed_at"]),
    ("audit_events", "ix_audit_team_at", ["team_id", "at"]),
    ("requests", "ix_requests_team_status_sla", ["team_id", "status", "sla_due_at"]),
    ("requests", "ix_requests_team_created", ["team_id", "created_at"]),
    ("requests", "ix_requests_team_asker", ["team_id", "asker_id"]),
    ("requests", "ix_requests_team_champion", ["team_id", "champion_id", "status"]),
    ("offers", "ix_offers_team_champion", ["team_id", "champion_id", "status"]),
    ("broadcasts", "ix_broadcasts_team_status", ["team_id", "status", "send_at"]),
)
# SQLite's unique constraints from earlier revisions have no names: batch mode names them so.
NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


# Unique constraints an earlier revision named itself (the rest took the database's own name).
NAMED = {("report_runs", "month"): "uq_report_runs_month"}


def _old_unique(table: str, column: str) -> str:
    if (table, column) in NAMED:
        return NAMED[(table, column)]
    if op.get_bind().dialect.name == "postgresql":
        return f"{table}_{column}_key"
    return f"uq_{table}_{column}"


def upgrade() -> None:
    op.create_table(
        "workspaces",
        sa.Column("team_id", sa.String(32), primary_key=True),
        sa.Column("enterprise_id", sa.String(32), nullable=True),
        sa.Column("home", sa.Boolean(), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "force_settings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("enterprise_id", sa.String(32), nullable=True),
        sa.Column("queue_channel", sa.String(32), nullable=True),
        sa.Column("network_channel", sa.String(32), nullable=True),
        sa.Column("offer_timeout", sa.Integer(), nullable=True),
        sa.Column("claim_sla", sa.Integer(), nullable=True),
        sa.Column("urgent_sla", sa.Integer(), nullable=True),
        sa.Column("kb_review_owners", sa.String(400), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(32), nullable=True),
        sa.UniqueConstraint("team_id", name="uq_force_settings_team"),
    )
    for table in TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("team_id", sa.String(32), nullable=True))
            batch_op.add_column(sa.Column("enterprise_id", sa.String(32), nullable=True))
        op.execute(sa.text(f"UPDATE {table} SET team_id = :team").bindparams(team=PENDING_TEAM))
    uniques = {t: (c, n) for t, c, n in PER_WORKSPACE}
    for table in TABLES:
        with op.batch_alter_table(table, naming_convention=NAMING) as batch_op:
            batch_op.alter_column("team_id", existing_type=sa.String(32), nullable=False)
            if table in uniques:
                column, name = uniques[table]
                batch_op.drop_constraint(_old_unique(table, column), type_="unique")
                batch_op.create_unique_constraint(name, ["team_id", column])
            for on, index, columns in INDEXES:
                if on == table:
                    batch_op.create_index(index, columns, unique=False)


def downgrade() -> None:
    uniques = {t: (c, n) for t, c, n in PER_WORKSPACE}
    for table in TABLES:
        with op.batch_alter_table(table, naming_convention=NAMING) as batch_op:
            for on, index, _columns in INDEXES:
                if on == table:
                    batch_op.drop_index(index)
            if table in uniques:
                column, name = uniques[table]
                batch_op.drop_constraint(name, type_="unique")
                batch_op.create_unique_constraint(_old_unique(table, column), [column])
            batch_op.drop_column("enterprise_id")
            batch_op.drop_column("team_id")
    op.drop_table("force_settings")
    op.drop_table("workspaces")
