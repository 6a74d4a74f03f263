"""registry: organizations, community funds, items, depots, households, persons, volunteers

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from core.db import UtcDateTime, postgis_point_ddl

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "item",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name_zh", sa.String(length=120), nullable=False),
        sa.Column("name_en", sa.String(length=120), nullable=False),
        sa.Column("base_unit", sa.String(length=20), nullable=False),
        sa.Column(
            "pack_sizes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("shelf_life_days", sa.Integer(), nullable=True),
        sa.Column("per_person_day", sa.Float(), nullable=True),
        sa.Column("standard_source", sa.Text(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item")),
        sa.UniqueConstraint("code", name=op.f("uq_item_code")),
    )
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_category"), ["category"], unique=False)

    op.create_table(
        "organization",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=True),
        sa.Column("registration", sa.String(length=20), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=True),
        sa.Column("area_id", sa.Uuid(), nullable=False),
        sa.Column("area_path", sa.String(length=255), nullable=False),
        sa.Column("public_fundraising", sa.Boolean(), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["area_id"], ["area.id"], name=op.f("fk_organization_area_id_area")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organization")),
        sa.UniqueConstraint("credit_code", name=op.f("uq_organization_credit_code")),
        sa.UniqueConstraint("name", name=op.f("uq_organization_name")),
    )
    with op.batch_alter_table("organization", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_organization_area_id"), ["area_id"], unique=False)
        batch_op.create_index(
            "ix_organization_area_path",
            ["area_path"],
            unique=False,
            postgresql_ops={"area_path": "varchar_pattern_ops"},
        )

    op.create_table(
        "community_fund",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("zihao", sa.String(length=60), nullable=False),
        sa.Column("host_org_id", sa.Uuid(), nullable=False),
        sa.Column("area_id", sa.Uuid(), nullable=False),
        sa.Column("area_path", sa.String(length=255), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["area_id"], ["area.id"], name=op.f("fk_community_fund_area_id_area")
        ),
        sa.ForeignKeyConstraint(
            ["host_org_id"],
            ["organization.id"],
            name=op.f("fk_community_fund_host_org_id_organization"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_fund")),
        sa.UniqueConstraint("name", name=op.f("uq_community_fund_name")),
    )
    with op.batch_alter_table("community_fund", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_community_fund_area_id"), ["area_id"], unique=False)
        batch_op.create_index(
            "ix_community_fund_area_path",
            ["area_path"],
            unique=False,
            postgresql_ops={"area_path": "varchar_pattern_ops"},
        )
        batch_op.create_index(
            batch_op.f("ix_community_fund_host_org_id"), ["host_org_id"], unique=False
        )

    op.create_table(
        "depot",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("site_type", sa.String(length=40), nullable=True),
        sa.Column("owner_org_id", sa.Uuid(), nullable=True),
        sa.Column("area_id", sa.Uuid(), nullable=False),
        sa.Column("area_path", sa.String(length=255), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column(
            "opening_hours",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("capacity_people", sa.Integer(), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.CheckConstraint("lat >= -90 AND lat <= 90", name=op.f("ck_depot_lat_range")),
        sa.CheckConstraint("lon >= -180 AND lon <= 180", name=op.f("ck_depot_lon_range")),
        sa.ForeignKeyConstraint(["area_id"], ["area.id"], name=op.f("fk_depot_area_id_area")),
        sa.ForeignKeyConstraint(
            ["owner_org_id"], ["organization.id"], name=op.f("fk_depot_owner_org_id_organization")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_depot")),
    )
    with op.batch_alter_table("depot", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_depot_area_id"), ["area_id"], unique=False)
        batch_op.create_index(
            "ix_depot_area_path",
            ["area_path"],
            unique=False,
            postgresql_ops={"area_path": "varchar_pattern_ops"},
        )
        batch_op.create_index(batch_op.f("ix_depot_kind"), ["kind"], unique=False)
        batch_op.create_index("ix_depot_lon_lat", ["lon", "lat"], unique=False)
        batch_op.create_index(batch_op.f("ix_depot_owner_org_id"), ["owner_org_id"], unique=False)

    op.create_table(
        "household",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("grid_id", sa.Uuid(), nullable=True),
        sa.Column("area_path", sa.String(length=255), nullable=False),
        sa.Column("contact_person_id", sa.Uuid(), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.CheckConstraint("lat >= -90 AND lat <= 90", name=op.f("ck_household_lat_range")),
        sa.CheckConstraint("lon >= -180 AND lon <= 180", name=op.f("ck_household_lon_range")),
        sa.ForeignKeyConstraint(
            ["community_id"], ["area.id"], name=op.f("fk_household_community_id_area")
        ),
        sa.ForeignKeyConstraint(["grid_id"], ["grid.id"], name=op.f("fk_household_grid_id_grid")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household")),
        sa.UniqueConstraint("code", name=op.f("uq_household_code")),
    )
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.create_index(
            "ix_household_area_path",
            ["area_path"],
            unique=False,
            postgresql_ops={"area_path": "varchar_pattern_ops"},
        )
        batch_op.create_index(
            batch_op.f("ix_household_community_id"), ["community_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_household_grid_id"), ["grid_id"], unique=False)
        batch_op.create_index("ix_household_lon_lat", ["lon", "lat"], unique=False)

    op.create_table(
        "person",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("household_id", sa.Uuid(), nullable=False),
        sa.Column("area_path", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("birth_year", sa.SmallInteger(), nullable=True),
        sa.Column("sex", sa.String(length=10), nullable=True),
        sa.Column(
            "languages",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["household.id"],
            name=op.f("fk_person_household_id_household"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person")),
    )
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.create_index(
            "ix_person_area_path",
            ["area_path"],
            unique=False,
            postgresql_ops={"area_path": "varchar_pattern_ops"},
        )
        batch_op.create_index(batch_op.f("ix_person_household_id"), ["household_id"], unique=False)

    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.create_foreign_key(
            "fk_household_contact_person_id_person", "person", ["contact_person_id"], ["id"]
        )

    op.create_table(
        "person_tag",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("tag", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_person_tag_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", "tag", name=op.f("pk_person_tag")),
    )
    with op.batch_alter_table("person_tag", schema=None) as batch_op:
        batch_op.create_index("ix_person_tag_tag", ["tag"], unique=False)

    op.create_table(
        "volunteer",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("org_id", sa.Uuid(), nullable=True),
        sa.Column("area_id", sa.Uuid(), nullable=False),
        sa.Column("area_path", sa.String(length=255), nullable=False),
        sa.Column("vehicle_class", sa.String(length=10), nullable=True),
        sa.Column(
            "availability",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("max_travel_km", sa.Float(), nullable=False),
        sa.Column("max_active_tasks", sa.Integer(), nullable=False),
        sa.Column("insurance_valid_until", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("hours_served", sa.Float(), nullable=False),
        sa.Column("live_lon", sa.Float(), nullable=True),
        sa.Column("live_lat", sa.Float(), nullable=True),
        sa.Column("live_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.CheckConstraint("lat >= -90 AND lat <= 90", name=op.f("ck_volunteer_lat_range")),
        sa.CheckConstraint("lon >= -180 AND lon <= 180", name=op.f("ck_volunteer_lon_range")),
        sa.ForeignKeyConstraint(["area_id"], ["area.id"], name=op.f("fk_volunteer_area_id_area")),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organization.id"], name=op.f("fk_volunteer_org_id_organization")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_volunteer_person_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_volunteer_user_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer")),
        sa.UniqueConstraint("person_id", name=op.f("uq_volunteer_person_id")),
        sa.UniqueConstraint("user_id", name=op.f("uq_volunteer_user_id")),
    )
    with op.batch_alter_table("volunteer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_volunteer_area_id"), ["area_id"], unique=False)
        batch_op.create_index(
            "ix_volunteer_area_path",
            ["area_path"],
            unique=False,
            postgresql_ops={"area_path": "varchar_pattern_ops"},
        )
        batch_op.create_index("ix_volunteer_lon_lat", ["lon", "lat"], unique=False)
        batch_op.create_index(batch_op.f("ix_volunteer_org_id"), ["org_id"], unique=False)

    op.create_table(
        "volunteer_certification",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("volunteer_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("number", sa.String(length=60), nullable=True),
        sa.Column("issued_by", sa.String(length=120), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteer.id"],
            name=op.f("fk_volunteer_certification_volunteer_id_volunteer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_certification")),
    )
    with op.batch_alter_table("volunteer_certification", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_volunteer_certification_volunteer_id"), ["volunteer_id"], unique=False
        )

    op.create_table(
        "volunteer_language",
        sa.Column("volunteer_id", sa.Uuid(), nullable=False),
        sa.Column("language", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteer.id"],
            name=op.f("fk_volunteer_language_volunteer_id_volunteer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("volunteer_id", "language", name=op.f("pk_volunteer_language")),
    )
    with op.batch_alter_table("volunteer_language", schema=None) as batch_op:
        batch_op.create_index("ix_volunteer_language_language", ["language"], unique=False)

    op.create_table(
        "volunteer_skill",
        sa.Column("volunteer_id", sa.Uuid(), nullable=False),
        sa.Column("skill", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteer.id"],
            name=op.f("fk_volunteer_skill_volunteer_id_volunteer"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("volunteer_id", "skill", name=op.f("pk_volunteer_skill")),
    )
    with op.batch_alter_table("volunteer_skill", schema=None) as batch_op:
        batch_op.create_index("ix_volunteer_skill_skill", ["skill"], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        for table in ("depot", "household", "volunteer"):
            for statement in postgis_point_ddl(table):
                op.execute(statement)


def downgrade() -> None:
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.drop_constraint("fk_household_contact_person_id_person", type_="foreignkey")
    with op.batch_alter_table("volunteer_skill", schema=None) as batch_op:
        batch_op.drop_index("ix_volunteer_skill_skill")

    op.drop_table("volunteer_skill")
    with op.batch_alter_table("volunteer_language", schema=None) as batch_op:
        batch_op.drop_index("ix_volunteer_language_language")

    op.drop_table("volunteer_language")
    with op.batch_alter_table("volunteer_certification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_volunteer_certification_volunteer_id"))

    op.drop_table("volunteer_certification")
    with op.batch_alter_table("volunteer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_volunteer_org_id"))
        batch_op.drop_index("ix_volunteer_lon_lat")
        batch_op.drop_index(
            "ix_volunteer_area_path", postgresql_ops={"area_path": "varchar_pattern_ops"}
        )
        batch_op.drop_index(batch_op.f("ix_volunteer_area_id"))

    op.drop_table("volunteer")
    with op.batch_alter_table("person_tag", schema=None) as batch_op:
        batch_op.drop_index("ix_person_tag_tag")

    op.drop_table("person_tag")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_household_id"))
        batch_op.drop_index(
            "ix_person_area_path", postgresql_ops={"area_path": "varchar_pattern_ops"}
        )

    op.drop_table("person")
    with op.batch_alter_table("household", schema=None) as batch_op:
        batch_op.drop_index("ix_household_lon_lat")
        batch_op.drop_index(batch_op.f("ix_household_grid_id"))
        batch_op.drop_index(batch_op.f("ix_household_community_id"))
        batch_op.drop_index(
            "ix_household_area_path", postgresql_ops={"area_path": "varchar_pattern_ops"}
        )

    op.drop_table("household")
    with op.batch_alter_table("depot", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_depot_owner_org_id"))
        batch_op.drop_index("ix_depot_lon_lat")
        batch_op.drop_index(batch_op.f("ix_depot_kind"))
        batch_op.drop_index(
            "ix_depot_area_path", postgresql_ops={"area_path": "varchar_pattern_ops"}
        )
        batch_op.drop_index(batch_op.f("ix_depot_area_id"))

    op.drop_table("depot")
    with op.batch_alter_table("community_fund", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_community_fund_host_org_id"))
        batch_op.drop_index(
            "ix_community_fund_area_path", postgresql_ops={"area_path": "varchar_pattern_ops"}
        )
        batch_op.drop_index(batch_op.f("ix_community_fund_area_id"))

    op.drop_table("community_fund")
    with op.batch_alter_table("organization", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_organization_area_path", postgresql_ops={"area_path": "varchar_pattern_ops"}
        )
        batch_op.drop_index(batch_op.f("ix_organization_area_id"))

    op.drop_table("organization")
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_category"))

    op.drop_table("item")
