"""matching: tasks, their lines, assignments, overrides, batches; volunteers' live geography

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from core.db import UtcDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "match_batch",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("incident_id", sa.Uuid(), nullable=False),
        sa.Column("solver", sa.String(length=20), nullable=False),
        sa.Column("needs", sa.Integer(), nullable=False),
        sa.Column("volunteers", sa.Integer(), nullable=False),
        sa.Column("tasks", sa.Integer(), nullable=False),
        sa.Column("assigned", sa.Integer(), nullable=False),
        sa.Column("withdrawn", sa.Integer(), nullable=False),
        sa.Column("load_ms", sa.Float(), nullable=False),
        sa.Column("solve_ms", sa.Float(), nullable=False),
        sa.Column("write_ms", sa.Float(), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("finished_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incident.id"], name=op.f("fk_match_batch_incident_id_incident")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_batch")),
    )
    with op.batch_alter_table("match_batch", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_match_batch_incident_id"), ["incident_id"], unique=False
        )

    op.create_table(
        "match_override",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("need_id", sa.Uuid(), nullable=False),
        sa.Column("area_path", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("volunteer_id", sa.Uuid(), nullable=True),
        sa.Column("depot_id", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('pin', 'forbid')", name=op.f("ck_match_override_kind_known")),
        sa.CheckConstraint(
            "(volunteer_id IS NULL) <> (depot_id IS NULL)",
            name=op.f("ck_match_override_one_target"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["app_user.id"], name=op.f("fk_match_override_created_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["depot_id"], ["depot.id"], name=op.f("fk_match_override_depot_id_depot")
        ),
        sa.ForeignKeyConstraint(
            ["need_id"], ["need.id"], name=op.f("fk_match_override_need_id_need")
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteer.id"],
            name=op.f("fk_match_override_volunteer_id_volunteer"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_override")),
    )
    with op.batch_alter_table("match_override", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_match_override_need_id"), ["need_id"], unique=False)

    op.create_table(
        "task",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("need_id", sa.Uuid(), nullable=False),
        sa.Column("incident_id", sa.Uuid(), nullable=False),
        sa.Column("area_path", sa.String(length=255), nullable=False),
        sa.Column("depot_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("batch_id", sa.Uuid(), nullable=True),
        sa.Column("is_drill", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["match_batch.id"], name=op.f("fk_task_batch_id_match_batch")
        ),
        sa.ForeignKeyConstraint(["depot_id"], ["depot.id"], name=op.f("fk_task_depot_id_depot")),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incident.id"], name=op.f("fk_task_incident_id_incident")
        ),
        sa.ForeignKeyConstraint(["need_id"], ["need.id"], name=op.f("fk_task_need_id_need")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task")),
    )
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.create_index(
            "ix_task_area_path",
            ["area_path"],
            unique=False,
            postgresql_ops={"area_path": "varchar_pattern_ops"},
        )
        batch_op.create_index(batch_op.f("ix_task_incident_id"), ["incident_id"], unique=False)
        batch_op.create_index("ix_task_incident_status", ["incident_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_task_need_id"), ["need_id"], unique=False)

    op.create_table(
        "assignment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("need_id", sa.Uuid(), nullable=False),
        sa.Column("incident_id", sa.Uuid(), nullable=False),
        sa.Column("volunteer_id", sa.Uuid(), nullable=False),
        sa.Column("area_path", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("distance_m", sa.Float(), nullable=False),
        sa.Column("eta_s", sa.Float(), nullable=False),
        sa.Column("priority", sa.Float(), nullable=False),
        sa.Column(
            "reason",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Uuid(), nullable=True),
        sa.Column("offer_deadline", UtcDateTime(), nullable=True),
        sa.Column("is_drill", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["match_batch.id"], name=op.f("fk_assignment_batch_id_match_batch")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incident.id"], name=op.f("fk_assignment_incident_id_incident")
        ),
        sa.ForeignKeyConstraint(["need_id"], ["need.id"], name=op.f("fk_assignment_need_id_need")),
        sa.ForeignKeyConstraint(["task_id"], ["task.id"], name=op.f("fk_assignment_task_id_task")),
        sa.ForeignKeyConstraint(
            ["volunteer_id"], ["volunteer.id"], name=op.f("fk_assignment_volunteer_id_volunteer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment")),
    )
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.create_index(
            "ix_assignment_area_path",
            ["area_path"],
            unique=False,
            postgresql_ops={"area_path": "varchar_pattern_ops"},
        )
        batch_op.create_index(batch_op.f("ix_assignment_need_id"), ["need_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_assignment_task_id"), ["task_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_assignment_volunteer_id"), ["volunteer_id"], unique=False
        )
        batch_op.create_index(
            "ix_assignment_volunteer_status", ["volunteer_id", "status"], unique=False
        )
        batch_op.create_index(
            "uq_assignment_live_task",
            ["task_id"],
            unique=True,
            sqlite_where=sa.text(
                "status IN ('proposed', 'offered', 'accepted', 'picked_up', 'en_route', 'arrived')"
            ),
            postgresql_where=sa.text(
                "status IN ('proposed', 'offered', 'accepted', 'picked_up', 'en_route', 'arrived')"
            ),
        )

    op.create_table(
        "task_line",
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("reservation_id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_task_line_quantity_positive")),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], name=op.f("fk_task_line_item_id_item")),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            ["stock_reservation.id"],
            name=op.f("fk_task_line_reservation_id_stock_reservation"),
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["task.id"], name=op.f("fk_task_line_task_id_task"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("task_id", "reservation_id", name=op.f("pk_task_line")),
    )
    if op.get_bind().dialect.name == "postgresql":
        # The live position shared while on duty, indexed like the home point (candidate
        # search reads whichever is current; see core/geo/candidates.py).
        op.execute(
            "ALTER TABLE volunteer ADD COLUMN live_geog geography(Point,4326) GENERATED ALWAYS "
            "AS (ST_SetSRID(ST_MakePoint(live_lon, live_lat), 4326)::geography) STORED"
        )
        op.execute("CREATE INDEX ix_volunteer_live_geog ON volunteer USING gist (live_geog)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_volunteer_live_geog")
        op.execute("ALTER TABLE volunteer DROP COLUMN IF EXISTS live_geog")
    op.drop_table("task_line")
    with op.batch_alter_table("assignment", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_assignment_live_task",
            sqlite_where=sa.text(
                "status IN ('proposed', 'offered', 'accepted', 'picked_up', 'en_route', 'arrived')"
            ),
            postgresql_where=sa.text(
                "status IN ('proposed', 'offered', 'accepted', 'picked_up', 'en_route', 'arrived')"
            ),
        )
        batch_op.drop_index("ix_assignment_volunteer_status")
        batch_op.drop_index(batch_op.f("ix_assignment_volunteer_id"))
        batch_op.drop_index(batch_op.f("ix_assignment_task_id"))
        batch_op.drop_index(batch_op.f("ix_assignment_need_id"))
        batch_op.drop_index(
            "ix_assignment_area_path", postgresql_ops={"area_path": "varchar_pattern_ops"}
        )

    op.drop_table("assignment")
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_need_id"))
        batch_op.drop_index("ix_task_incident_status")
        batch_op.drop_index(batch_op.f("ix_task_incident_id"))
        batch_op.drop_index(
            "ix_task_area_path", postgresql_ops={"area_path": "varchar_pattern_ops"}
        )

    op.drop_table("task")
    with op.batch_alter_table("match_override", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_match_override_need_id"))

    op.drop_table("match_override")
    with op.batch_alter_table("match_batch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_match_batch_incident_id"))

    op.drop_table("match_batch")
