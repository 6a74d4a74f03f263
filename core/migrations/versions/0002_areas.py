"""areas and grids

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from core.db import GeoMultiPolygon, UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _boundary_columns() -> list[sa.Column]:
    return [
        sa.Column("boundary", GeoMultiPolygon(), nullable=True),
        sa.Column("min_lon", sa.Float(), nullable=True),
        sa.Column("min_lat", sa.Float(), nullable=True),
        sa.Column("max_lon", sa.Float(), nullable=True),
        sa.Column("max_lat", sa.Float(), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "area",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("code", sa.String(12), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("parent_id", sa.Uuid(), sa.ForeignKey("area.id", name="fk_area_parent_id_area")),
        sa.Column("area_path", sa.String(255), nullable=False),
        sa.Column("urban_rural", sa.String(8), nullable=True),
        *_boundary_columns(),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("code", name="uq_area_code"),
    )
    op.create_index("ix_area_parent_id", "area", ["parent_id"])
    op.create_index(
        "ix_area_area_path",
        "area",
        ["area_path"],
        postgresql_ops={"area_path": "varchar_pattern_ops"},
    )
    op.create_table(
        "grid",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column(
            "community_id",
            sa.Uuid(),
            sa.ForeignKey("area.id", name="fk_grid_community_id_area"),
            nullable=False,
        ),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("area_path", sa.String(255), nullable=False),
        *_boundary_columns(),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("community_id", "code", name="uq_grid_community_id_code"),
    )
    op.create_index("ix_grid_community_id", "grid", ["community_id"])
    op.create_index(
        "ix_grid_area_path",
        "grid",
        ["area_path"],
        postgresql_ops={"area_path": "varchar_pattern_ops"},
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE INDEX ix_area_boundary ON area USING gist (boundary)")
        op.execute("CREATE INDEX ix_grid_boundary ON grid USING gist (boundary)")


def downgrade() -> None:
    op.drop_table("grid")
    op.drop_table("area")
