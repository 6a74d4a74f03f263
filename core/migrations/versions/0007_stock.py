"""stock: lots, the append-only move ledger, reservations, fund moves, minimums

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from core.db import UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "stock_lot",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("depot_id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("area_path", sa.String(length=255), nullable=False),
        sa.Column("on_hand", sa.Integer(), nullable=False),
        sa.Column("reserved", sa.Integer(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("donor", sa.String(length=200), nullable=True),
        sa.Column("donor_anonymous", sa.Boolean(), nullable=False),
        sa.Column("fund_id", sa.Uuid(), nullable=True),
        sa.Column("condition", sa.String(length=20), nullable=False),
        sa.Column("is_drill", sa.Boolean(), nullable=False),
        sa.Column("shadow_of", sa.Uuid(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint(
            "expires_on IS NULL OR expires_on >= received_on",
            name=op.f("ck_stock_lot_expiry_after_receipt"),
        ),
        sa.CheckConstraint("on_hand >= 0", name=op.f("ck_stock_lot_on_hand_not_negative")),
        sa.CheckConstraint(
            "reserved >= 0 AND reserved <= on_hand",
            name=op.f("ck_stock_lot_reserved_within_on_hand"),
        ),
        sa.ForeignKeyConstraint(
            ["depot_id"], ["depot.id"], name=op.f("fk_stock_lot_depot_id_depot")
        ),
        sa.ForeignKeyConstraint(
            ["fund_id"], ["community_fund.id"], name=op.f("fk_stock_lot_fund_id_community_fund")
        ),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], name=op.f("fk_stock_lot_item_id_item")),
        sa.ForeignKeyConstraint(
            ["shadow_of"], ["stock_lot.id"], name=op.f("fk_stock_lot_shadow_of_stock_lot")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_lot")),
    )
    with op.batch_alter_table("stock_lot", schema=None) as batch_op:
        batch_op.create_index(
            "ix_stock_lot_area_path",
            ["area_path"],
            unique=False,
            postgresql_ops={"area_path": "varchar_pattern_ops"},
        )
        batch_op.create_index(
            "ix_stock_lot_fefo", ["depot_id", "item_id", "is_drill", "expires_on"], unique=False
        )

    op.create_table(
        "stock_minimum",
        sa.Column("depot_id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("minimum", sa.Integer(), nullable=False),
        sa.CheckConstraint("minimum >= 0", name=op.f("ck_stock_minimum_minimum_not_negative")),
        sa.ForeignKeyConstraint(
            ["depot_id"], ["depot.id"], name=op.f("fk_stock_minimum_depot_id_depot")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_stock_minimum_item_id_item")
        ),
        sa.PrimaryKeyConstraint("depot_id", "item_id", name=op.f("pk_stock_minimum")),
    )
    op.create_table(
        "fund_move",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("fund_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("donor", sa.String(length=200), nullable=True),
        sa.Column("donor_anonymous", sa.Boolean(), nullable=False),
        sa.Column("lot_id", sa.Uuid(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("is_drill", sa.Boolean(), nullable=False),
        sa.CheckConstraint("amount_fen <> 0", name=op.f("ck_fund_move_amount_not_zero")),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["app_user.id"], name=op.f("fk_fund_move_actor_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["fund_id"], ["community_fund.id"], name=op.f("fk_fund_move_fund_id_community_fund")
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["stock_lot.id"], name=op.f("fk_fund_move_lot_id_stock_lot")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fund_move")),
    )
    with op.batch_alter_table("fund_move", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fund_move_fund_id"), ["fund_id"], unique=False)

    op.create_table(
        "stock_move",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("lot_id", sa.Uuid(), nullable=False),
        sa.Column("depot_id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("area_path", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("on_hand_delta", sa.Integer(), nullable=False),
        sa.Column("reserved_delta", sa.Integer(), nullable=False),
        sa.Column("need_id", sa.Uuid(), nullable=True),
        sa.Column("incident_id", sa.Uuid(), nullable=True),
        sa.Column("reservation_id", sa.Uuid(), nullable=True),
        sa.Column("transfer_id", sa.Uuid(), nullable=True),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", UtcDateTime(), nullable=False),
        sa.Column("is_drill", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["app_user.id"], name=op.f("fk_stock_move_actor_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["depot_id"], ["depot.id"], name=op.f("fk_stock_move_depot_id_depot")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incident.id"], name=op.f("fk_stock_move_incident_id_incident")
        ),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], name=op.f("fk_stock_move_item_id_item")),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["stock_lot.id"], name=op.f("fk_stock_move_lot_id_stock_lot")
        ),
        sa.ForeignKeyConstraint(["need_id"], ["need.id"], name=op.f("fk_stock_move_need_id_need")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_move")),
    )
    with op.batch_alter_table("stock_move", schema=None) as batch_op:
        batch_op.create_index(
            "ix_stock_move_area_path",
            ["area_path"],
            unique=False,
            postgresql_ops={"area_path": "varchar_pattern_ops"},
        )
        batch_op.create_index("ix_stock_move_depot_at", ["depot_id", "at"], unique=False)
        batch_op.create_index(batch_op.f("ix_stock_move_lot_id"), ["lot_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_stock_move_need_id"), ["need_id"], unique=False)

    op.create_table(
        "stock_reservation",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("need_id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("depot_id", sa.Uuid(), nullable=False),
        sa.Column("area_path", sa.String(length=255), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("issued", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("is_drill", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.CheckConstraint(
            "issued >= 0 AND issued <= quantity",
            name=op.f("ck_stock_reservation_issued_within_quantity"),
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_stock_reservation_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["depot_id"], ["depot.id"], name=op.f("fk_stock_reservation_depot_id_depot")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_stock_reservation_item_id_item")
        ),
        sa.ForeignKeyConstraint(
            ["need_id"], ["need.id"], name=op.f("fk_stock_reservation_need_id_need")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_reservation")),
    )
    with op.batch_alter_table("stock_reservation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stock_reservation_need_id"), ["need_id"], unique=False)

    op.create_table(
        "stock_reservation_lot",
        sa.Column("reservation_id", sa.Uuid(), nullable=False),
        sa.Column("lot_id", sa.Uuid(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "quantity >= 0", name=op.f("ck_stock_reservation_lot_quantity_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["lot_id"], ["stock_lot.id"], name=op.f("fk_stock_reservation_lot_lot_id_stock_lot")
        ),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            ["stock_reservation.id"],
            name=op.f("fk_stock_reservation_lot_reservation_id_stock_reservation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("reservation_id", "lot_id", name=op.f("pk_stock_reservation_lot")),
    )

    _append_only("stock_move")
    _append_only("fund_move")


APPEND_ONLY_MESSAGE = "is append-only: record a correcting move instead"


def _append_only(table: str) -> None:
    """Refuse UPDATE and DELETE on a ledger table, on both engines.

    SQLite: BEFORE triggers that abort, unless huzhu_meta holds key maintenance
    (set only inside a maintenance transaction, e.g. the test suite emptying tables).
    PostgreSQL: a row trigger raising an exception (TRUNCATE stays a DBA operation).
    """
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION huzhu_append_only() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION "
            f"'% {APPEND_ONLY_MESSAGE}', TG_TABLE_NAME USING ERRCODE = 'restrict_violation'; "
            "END $$"
        )
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION huzhu_append_only()"
        )
        return
    for action in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
            "WHEN (SELECT value FROM huzhu_meta WHERE key = 'maintenance') IS NULL "
            f"BEGIN SELECT RAISE(ABORT, '{table} {APPEND_ONLY_MESSAGE}'); END"
        )


def downgrade() -> None:

    op.drop_table("stock_reservation_lot")
    with op.batch_alter_table("stock_reservation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stock_reservation_need_id"))

    op.drop_table("stock_reservation")
    with op.batch_alter_table("stock_move", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stock_move_need_id"))
        batch_op.drop_index(batch_op.f("ix_stock_move_lot_id"))
        batch_op.drop_index("ix_stock_move_depot_at")
        batch_op.drop_index(
            "ix_stock_move_area_path", postgresql_ops={"area_path": "varchar_pattern_ops"}
        )

    op.drop_table("stock_move")
    with op.batch_alter_table("fund_move", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fund_move_fund_id"))

    op.drop_table("fund_move")
    op.drop_table("stock_minimum")
    with op.batch_alter_table("stock_lot", schema=None) as batch_op:
        batch_op.drop_index("ix_stock_lot_fefo")
        batch_op.drop_index(
            "ix_stock_lot_area_path", postgresql_ops={"area_path": "varchar_pattern_ops"}
        )

    op.drop_table("stock_lot")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS huzhu_append_only()")
