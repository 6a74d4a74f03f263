"""dispatch: when a need was escalated because nobody is left to ask

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

from core.db import UtcDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("need", schema=None) as batch_op:
        batch_op.add_column(sa.Column("escalated_at", UtcDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("need", schema=None) as batch_op:
        batch_op.drop_column("escalated_at")
