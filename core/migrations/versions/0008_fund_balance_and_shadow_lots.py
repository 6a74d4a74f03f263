"""stock: a community fund's balance (never negative), shadow lots tied to a live drill

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("community_fund", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("balance_fen", sa.BigInteger(), server_default="0", nullable=False)
        )
        batch_op.create_check_constraint(
            op.f("ck_community_fund_balance_not_negative"), "balance_fen >= 0"
        )
    with op.batch_alter_table("stock_lot", schema=None) as batch_op:
        batch_op.add_column(sa.Column("drill_incident_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_stock_lot_drill_incident_id_incident"),
            "incident",
            ["drill_incident_id"],
            ["id"],
        )
        batch_op.create_index(
            batch_op.f("ix_stock_lot_drill_incident_id"), ["drill_incident_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("stock_lot", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stock_lot_drill_incident_id"))
        batch_op.drop_constraint(
            op.f("fk_stock_lot_drill_incident_id_incident"), type_="foreignkey"
        )
        batch_op.drop_column("drill_incident_id")
    with op.batch_alter_table("community_fund", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_community_fund_balance_not_negative"), type_="check")
        batch_op.drop_column("balance_fen")
