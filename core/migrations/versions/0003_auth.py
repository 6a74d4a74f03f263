"""auth: users, grids of grid workers, tokens, invites, personal-data access log

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from core.db import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "app_user",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("username", sa.String(80), nullable=False),
        sa.Column("display_name", sa.String(120), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=True),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("area_id", sa.Uuid(), sa.ForeignKey("area.id", name="fk_app_user_area_id_area")),
        sa.Column("scope_path", sa.String(255), nullable=True),
        sa.Column("household_id", sa.Uuid(), nullable=True),
        sa.Column("volunteer_id", sa.Uuid(), nullable=True),
        sa.Column("can_read_personal", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("disabled_at", UtcDateTime(), nullable=True),
        sa.UniqueConstraint("username", name="uq_app_user_username"),
    )
    op.create_index("ix_app_user_scope_path", "app_user", ["scope_path"])
    op.create_table(
        "user_grid",
        sa.Column(
            "user_id",
            sa.Uuid(),
            sa.ForeignKey("app_user.id", ondelete="CASCADE", name="fk_user_grid_user_id_app_user"),
            primary_key=True,
        ),
        sa.Column(
            "grid_id",
            sa.Uuid(),
            sa.ForeignKey("grid.id", ondelete="CASCADE", name="fk_user_grid_grid_id_grid"),
            primary_key=True,
        ),
    )
    op.create_table(
        "auth_token",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "user_id",
            sa.Uuid(),
            sa.ForeignKey("app_user.id", name="fk_auth_token_user_id_app_user"),
            nullable=False,
        ),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("scope_path", sa.String(255), nullable=True),
        sa.Column("label", sa.String(120), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
        sa.UniqueConstraint("token_hash", name="uq_auth_token_token_hash"),
    )
    op.create_index("ix_auth_token_user_id", "auth_token", ["user_id"])
    op.create_table(
        "invite",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column(
            "created_by",
            sa.Uuid(),
            sa.ForeignKey("app_user.id", name="fk_invite_created_by_app_user"),
            nullable=False,
        ),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("area_id", sa.Uuid(), sa.ForeignKey("area.id", name="fk_invite_area_id_area")),
        sa.Column("scope_path", sa.String(255), nullable=True),
        sa.Column("username", sa.String(80), nullable=False),
        sa.Column("display_name", sa.String(120), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("used_at", UtcDateTime(), nullable=True),
        sa.Column(
            "user_id", sa.Uuid(), sa.ForeignKey("app_user.id", name="fk_invite_user_id_app_user")
        ),
        sa.UniqueConstraint("code_hash", name="uq_invite_code_hash"),
    )
    op.create_index("ix_invite_scope_path", "invite", ["scope_path"])
    op.create_table(
        "personal_data_access",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column(
            "user_id",
            sa.Uuid(),
            sa.ForeignKey("app_user.id", name="fk_personal_data_access_user_id_app_user"),
            nullable=False,
        ),
        sa.Column("token_id", sa.Uuid(), nullable=True),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("subject_kind", sa.String(40), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
    )
    op.create_index(
        "ix_personal_data_access_subject", "personal_data_access", ["subject_kind", "subject_id"]
    )


def downgrade() -> None:
    op.drop_table("personal_data_access")
    op.drop_table("invite")
    op.drop_table("auth_token")
    op.drop_table("user_grid")
    op.drop_table("app_user")
