"""needs and the check-in chain

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from core.db import UtcDateTime, postgis_point_ddl

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "household_checkin",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("incident_id", sa.Uuid(), nullable=False),
        sa.Column("household_id", sa.Uuid(), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("grid_id", sa.Uuid(), nullable=True),
        sa.Column("area_path", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("is_drill", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("reported_at", UtcDateTime(), nullable=True),
        sa.Column("reported_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["community_id"], ["area.id"], name=op.f("fk_household_checkin_community_id_area")
        ),
        sa.ForeignKeyConstraint(
            ["grid_id"], ["grid.id"], name=op.f("fk_household_checkin_grid_id_grid")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["household.id"],
            name=op.f("fk_household_checkin_household_id_household"),
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
            name=op.f("fk_household_checkin_incident_id_incident"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reported_by"], ["app_user.id"], name=op.f("fk_household_checkin_reported_by_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household_checkin")),
        sa.UniqueConstraint("incident_id", "household_id", name="uq_household_checkin_incident_id"),
    )
    with op.batch_alter_table("household_checkin", schema=None) as batch_op:
        batch_op.create_index(
            "ix_household_checkin_area_path",
            ["area_path"],
            unique=False,
            postgresql_ops={"area_path": "varchar_pattern_ops"},
        )
        batch_op.create_index(
            "ix_household_checkin_board",
            ["incident_id", "community_id", "grid_id", "status"],
            unique=False,
        )

    op.create_table(
        "need",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("incident_id", sa.Uuid(), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=True),
        sa.Column("area_path", sa.String(length=255), nullable=False),
        sa.Column("household_id", sa.Uuid(), nullable=True),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "skills",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "languages",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("severity", sa.SmallInteger(), nullable=False),
        sa.Column("vulnerability", sa.Float(), nullable=False),
        sa.Column("priority", sa.Float(), nullable=False),
        sa.Column("neighbours_first", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("is_drill", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("closed_at", UtcDateTime(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.CheckConstraint("lat >= -90 AND lat <= 90", name=op.f("ck_need_lat_range")),
        sa.CheckConstraint("lon >= -180 AND lon <= 180", name=op.f("ck_need_lon_range")),
        sa.ForeignKeyConstraint(
            ["community_id"], ["area.id"], name=op.f("fk_need_community_id_area")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["app_user.id"], name=op.f("fk_need_created_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"], ["household.id"], name=op.f("fk_need_household_id_household")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
            name=op.f("fk_need_incident_id_incident"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_need_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_need")),
    )
    with op.batch_alter_table("need", schema=None) as batch_op:
        batch_op.create_index(
            "ix_need_area_path",
            ["area_path"],
            unique=False,
            postgresql_ops={"area_path": "varchar_pattern_ops"},
        )
        batch_op.create_index(batch_op.f("ix_need_community_id"), ["community_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_need_household_id"), ["household_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_need_incident_id"), ["incident_id"], unique=False)
        batch_op.create_index("ix_need_incident_status", ["incident_id", "status"], unique=False)
        batch_op.create_index("ix_need_lon_lat", ["lon", "lat"], unique=False)
        batch_op.create_index(batch_op.f("ix_need_person_id"), ["person_id"], unique=False)

    op.create_table(
        "need_item",
        sa.Column("need_id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], name=op.f("fk_need_item_item_id_item")),
        sa.ForeignKeyConstraint(
            ["need_id"], ["need.id"], name=op.f("fk_need_item_need_id_need"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("need_id", "item_id", name=op.f("pk_need_item")),
    )
    op.create_table(
        "person_checkin",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("incident_id", sa.Uuid(), nullable=False),
        sa.Column("household_checkin_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("area_path", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("vulnerable", sa.Boolean(), nullable=False),
        sa.Column("deadline_class", sa.String(length=40), nullable=False),
        sa.Column("deadline_at", UtcDateTime(), nullable=False),
        sa.Column("reported_at", UtcDateTime(), nullable=True),
        sa.Column("reported_by", sa.Uuid(), nullable=True),
        sa.Column("overdue_at", UtcDateTime(), nullable=True),
        sa.Column("visit_need_id", sa.Uuid(), nullable=True),
        sa.Column("is_drill", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_checkin_id"],
            ["household_checkin.id"],
            name=op.f("fk_person_checkin_household_checkin_id_household_checkin"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
            name=op.f("fk_person_checkin_incident_id_incident"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_person_checkin_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["reported_by"], ["app_user.id"], name=op.f("fk_person_checkin_reported_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["visit_need_id"], ["need.id"], name=op.f("fk_person_checkin_visit_need_id_need")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_checkin")),
        sa.UniqueConstraint("incident_id", "person_id", name="uq_person_checkin_incident_id"),
    )
    with op.batch_alter_table("person_checkin", schema=None) as batch_op:
        batch_op.create_index(
            "ix_person_checkin_due", ["incident_id", "status", "deadline_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_person_checkin_household_checkin_id"),
            ["household_checkin_id"],
            unique=False,
        )

    if op.get_bind().dialect.name == "postgresql":
        for statement in postgis_point_ddl("need"):
            op.execute(statement)


def downgrade() -> None:

    with op.batch_alter_table("person_checkin", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_checkin_household_checkin_id"))
        batch_op.drop_index("ix_person_checkin_due")

    op.drop_table("person_checkin")
    op.drop_table("need_item")
    with op.batch_alter_table("need", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_need_person_id"))
        batch_op.drop_index("ix_need_lon_lat")
        batch_op.drop_index("ix_need_incident_status")
        batch_op.drop_index(batch_op.f("ix_need_incident_id"))
        batch_op.drop_index(batch_op.f("ix_need_household_id"))
        batch_op.drop_index(batch_op.f("ix_need_community_id"))
        batch_op.drop_index(
            "ix_need_area_path", postgresql_ops={"area_path": "varchar_pattern_ops"}
        )

    op.drop_table("need")
    with op.batch_alter_table("household_checkin", schema=None) as batch_op:
        batch_op.drop_index("ix_household_checkin_board")
        batch_op.drop_index(
            "ix_household_checkin_area_path", postgresql_ops={"area_path": "varchar_pattern_ops"}
        )

    op.drop_table("household_checkin")
