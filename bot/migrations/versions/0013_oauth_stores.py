"""slack_sdk's installation and OAuth-state tables; the national-lead role, national
broadcasts (one broadcast row per force), and when the app left a workspace

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01

The tables are those of `slack_sdk.oauth.installation_store.sqlalchemy` and
`slack_sdk.oauth.state_store.sqlalchemy` (their default names and columns), written out here so
that the schema is the migrations' and no process creates tables at run time. The token
columns are wider than slack_sdk's 200 characters: they hold Fernet ciphertext, about twice
the token's length plus 80.
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

SECRET = 1000  # a Fernet token of a secret of up to ~600 characters
ROLES_BEFORE = ("officer", "champion", "lead", "admin")
ROLES_AFTER = (*ROLES_BEFORE, "national-lead")


def _role(values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(*values, name="role", native_enum=False, create_constraint=True, length=20)


def _retype_role(old: tuple[str, ...], new: tuple[str, ...]) -> None:
    # The enum is a CHECK constraint on a string column: SQLite rebuilds the table (batch
    # mode); PostgreSQL swaps the named constraint.
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("members", recreate="always") as batch_op:
            batch_op.alter_column(
                "role", existing_type=_role(old), type_=_role(new), existing_nullable=False
            )
        return
    op.drop_constraint("role", "members", type_="check")
    quoted = ", ".join(f"'{value}'" for value in new)
    op.create_check_constraint("role", "members", f"role IN ({quoted})")


def _installation_table(name: str, *, per_user: bool) -> None:
    """slack_sdk's `slack_bots` (a workspace's bot) or, `per_user`, `slack_installations` (the
    bot and the user who installed it: their token, their webhook), and its lookup index."""

    def only_per_user(*columns: sa.Column) -> tuple[sa.Column, ...]:
        return columns if per_user else ()

    op.create_table(
        name,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("client_id", sa.String(32), nullable=False),
        sa.Column("app_id", sa.String(32), nullable=False),
        sa.Column("enterprise_id", sa.String(32)),
        sa.Column("enterprise_name", sa.String(200)),
        *only_per_user(sa.Column("enterprise_url", sa.String(200))),
        sa.Column("team_id", sa.String(32)),
        sa.Column("team_name", sa.String(200)),
        sa.Column("bot_token", sa.String(SECRET)),
        sa.Column("bot_id", sa.String(32)),
        sa.Column("bot_user_id", sa.String(32)),
        sa.Column("bot_scopes", sa.String(1000)),
        sa.Column("bot_refresh_token", sa.String(SECRET)),
        sa.Column("bot_token_expires_at", sa.DateTime()),
        *only_per_user(
            sa.Column("user_id", sa.String(32), nullable=False),
            sa.Column("user_token", sa.String(SECRET)),
            sa.Column("user_scopes", sa.String(1000)),
            sa.Column("user_refresh_token", sa.String(SECRET)),
            sa.Column("user_token_expires_at", sa.DateTime()),
            sa.Column("incoming_webhook_url", sa.String(SECRET)),
            sa.Column("incoming_webhook_channel", sa.String(200)),
            sa.Column("incoming_webhook_channel_id", sa.String(200)),
            sa.Column("incoming_webhook_configuration_url", sa.String(200)),
        ),
        sa.Column("is_enterprise_install", sa.Boolean(), nullable=False, server_default=sa.false()),
        *only_per_user(sa.Column("token_type", sa.String(32))),
        sa.Column("installed_at", sa.DateTime(), nullable=False, server_default=sa.func.now()),
    )
    keys = ["client_id", "enterprise_id", "team_id", *(["user_id"] if per_user else [])]
    op.create_index(f"{name}_idx", name, [*keys, "installed_at"])


def upgrade() -> None:
    _installation_table("slack_installations", per_user=True)
    _installation_table("slack_bots", per_user=False)
    op.create_table(
        "slack_oauth_states",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("state", sa.String(200), nullable=False),
        sa.Column("expire_at", sa.DateTime(), nullable=False),
    )
    _retype_role(ROLES_BEFORE, ROLES_AFTER)
    op.create_table(
        "national_broadcasts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("author_id", sa.String(32), nullable=False),
        sa.Column("author_team_id", sa.String(32), nullable=False),
        sa.Column("title", sa.String(150), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("broadcasts") as batch_op:
        batch_op.add_column(sa.Column("national_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            "uq_broadcasts_team_national", ["team_id", "national_id"], unique=True
        )
    with op.batch_alter_table("workspaces") as batch_op:
        batch_op.add_column(sa.Column("left_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("workspaces") as batch_op:
        batch_op.drop_column("left_at")
    with op.batch_alter_table("broadcasts") as batch_op:
        batch_op.drop_index("uq_broadcasts_team_national")
        batch_op.drop_column("national_id")
    op.drop_table("national_broadcasts")
    op.execute("UPDATE members SET role = 'lead' WHERE role = 'national-lead'")
    _retype_role(ROLES_AFTER, ROLES_BEFORE)
    op.drop_table("slack_oauth_states")
    op.drop_index("slack_bots_idx", table_name="slack_bots")
    op.drop_table("slack_bots")
    op.drop_index("slack_installations_idx", table_name="slack_installations")
    op.drop_table("slack_installations")
