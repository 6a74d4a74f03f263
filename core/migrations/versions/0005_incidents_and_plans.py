"""incidents, the areas they cover, plans, plan versions and the versions incidents activated

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from core.db import GeoMultiPolygon, UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "plan",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("area_id", sa.Uuid(), nullable=False),
        sa.Column("area_path", sa.String(length=255), nullable=False),
        sa.Column("hazard", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["area.id"], name=op.f("fk_plan_area_id_area")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan")),
        sa.UniqueConstraint("area_id", "hazard", name="uq_plan_area_id_hazard"),
    )
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_area_id"), ["area_id"], unique=False)
        batch_op.create_index(
            "ix_plan_area_path",
            ["area_path"],
            unique=False,
            postgresql_ops={"area_path": "varchar_pattern_ops"},
        )

    op.create_table(
        "incident",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("hazard", sa.String(length=40), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("speedup", sa.Float(), nullable=False),
        sa.Column("is_drill", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("centre_lon", sa.Float(), nullable=True),
        sa.Column("centre_lat", sa.Float(), nullable=True),
        sa.Column("radius_m", sa.Float(), nullable=True),
        sa.Column("area_path", sa.String(length=255), nullable=False),
        sa.Column("declared_by", sa.Uuid(), nullable=True),
        sa.Column("declared_at", UtcDateTime(), nullable=False),
        sa.Column("stood_down_at", UtcDateTime(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("boundary", GeoMultiPolygon(), nullable=True),
        sa.Column("min_lon", sa.Float(), nullable=True),
        sa.Column("min_lat", sa.Float(), nullable=True),
        sa.Column("max_lon", sa.Float(), nullable=True),
        sa.Column("max_lat", sa.Float(), nullable=True),
        sa.CheckConstraint(
            "(radius_m IS NULL) = (centre_lon IS NULL) "
            "AND (radius_m IS NULL) = (centre_lat IS NULL)",
            name=op.f("ck_incident_circle_complete"),
        ),
        sa.CheckConstraint("level BETWEEN 1 AND 4", name=op.f("ck_incident_level_range")),
        sa.CheckConstraint("speedup >= 1", name=op.f("ck_incident_speedup_min")),
        sa.ForeignKeyConstraint(
            ["declared_by"], ["app_user.id"], name=op.f("fk_incident_declared_by_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident")),
    )
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.create_index(
            "ix_incident_area_path",
            ["area_path"],
            unique=False,
            postgresql_ops={"area_path": "varchar_pattern_ops"},
        )

    op.create_table(
        "plan_version",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("plan_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column(
            "document",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("template", sa.String(length=80), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("approved_by", sa.Uuid(), nullable=True),
        sa.Column("approved_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["approved_by"], ["app_user.id"], name=op.f("fk_plan_version_approved_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["app_user.id"], name=op.f("fk_plan_version_created_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["plan.id"], name=op.f("fk_plan_version_plan_id_plan"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_version")),
        sa.UniqueConstraint("plan_id", "version", name="uq_plan_version_plan_id_version"),
    )
    with op.batch_alter_table("plan_version", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_version_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "incident_area",
        sa.Column("incident_id", sa.Uuid(), nullable=False),
        sa.Column("area_id", sa.Uuid(), nullable=False),
        sa.Column("area_path", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("opened_by", sa.Uuid(), nullable=True),
        sa.Column("opened_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["area_id"], ["area.id"], name=op.f("fk_incident_area_area_id_area")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
            name=op.f("fk_incident_area_incident_id_incident"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["opened_by"], ["app_user.id"], name=op.f("fk_incident_area_opened_by_app_user")
        ),
        sa.PrimaryKeyConstraint("incident_id", "area_id", name=op.f("pk_incident_area")),
    )
    with op.batch_alter_table("incident_area", schema=None) as batch_op:
        batch_op.create_index(
            "ix_incident_area_area_path",
            ["area_path"],
            unique=False,
            postgresql_ops={"area_path": "varchar_pattern_ops"},
        )

    op.create_table(
        "incident_plan",
        sa.Column("incident_id", sa.Uuid(), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("plan_version_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["community_id"], ["area.id"], name=op.f("fk_incident_plan_community_id_area")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
            name=op.f("fk_incident_plan_incident_id_incident"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["plan_version_id"],
            ["plan_version.id"],
            name=op.f("fk_incident_plan_plan_version_id_plan_version"),
        ),
        sa.PrimaryKeyConstraint("incident_id", "community_id", name=op.f("pk_incident_plan")),
    )
    with op.batch_alter_table("incident_plan", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_plan_plan_version_id"), ["plan_version_id"], unique=False
        )

    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE INDEX ix_incident_boundary ON incident USING gist (boundary)")


def downgrade() -> None:

    with op.batch_alter_table("incident_plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_plan_plan_version_id"))

    op.drop_table("incident_plan")
    with op.batch_alter_table("incident_area", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_incident_area_area_path", postgresql_ops={"area_path": "varchar_pattern_ops"}
        )

    op.drop_table("incident_area")
    with op.batch_alter_table("plan_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_version_plan_id"))

    op.drop_table("plan_version")
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_incident_area_path", postgresql_ops={"area_path": "varchar_pattern_ops"}
        )

    op.drop_table("incident")
    with op.batch_alter_table("plan", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_plan_area_path", postgresql_ops={"area_path": "varchar_pattern_ops"}
        )
        batch_op.drop_index(batch_op.f("ix_plan_area_id"))

    op.drop_table("plan")
