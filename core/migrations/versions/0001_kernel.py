"""kernel: database epoch, outbox, outbox streams, durable timers

Revision ID: 0001
Revises:
"""

import uuid

import sqlalchemy as sa
from alembic import op

from core.db import BigIntPK, JsonType, UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "huzhu_meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )
    op.bulk_insert(
        sa.table("huzhu_meta", sa.column("key"), sa.column("value")),
        [{"key": "epoch", "value": str(uuid.uuid4())}],
    )
    op.create_table(
        "outbox",
        sa.Column("seq", BigIntPK, primary_key=True, autoincrement=True),
        sa.Column("epoch", sa.String(36), nullable=False),
        sa.Column("type", sa.String(80), nullable=False),
        sa.Column("payload", JsonType, nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("txid", sa.BigInteger(), nullable=True),
    )
    op.create_table(
        "outbox_stream",
        sa.Column(
            "seq",
            BigIntPK,
            sa.ForeignKey("outbox.seq", ondelete="CASCADE", name="fk_outbox_stream_seq_outbox"),
            primary_key=True,
        ),
        sa.Column("stream", sa.String(200), primary_key=True),
    )
    op.create_index("ix_outbox_stream_stream_seq", "outbox_stream", ["stream", "seq"])
    op.create_table(
        "timer",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("kind", sa.String(80), nullable=False),
        sa.Column("key", sa.String(200), nullable=True),
        sa.Column("due_at", UtcDateTime(), nullable=False),
        sa.Column("payload", JsonType, nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("claimed_by", sa.String(120), nullable=True),
        sa.Column("claimed_at", UtcDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("failed_at", UtcDateTime(), nullable=True),
        sa.UniqueConstraint("key", name="uq_timer_key"),
    )
    pending = sa.text("claimed_by IS NULL AND failed_at IS NULL")
    op.create_index(
        "ix_timer_pending_due", "timer", ["due_at"], postgresql_where=pending, sqlite_where=pending
    )


def downgrade() -> None:
    op.drop_table("timer")
    op.drop_table("outbox_stream")
    op.drop_table("outbox")
    op.drop_table("huzhu_meta")
