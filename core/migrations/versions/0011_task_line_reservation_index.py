"""task lines by reservation: a matching batch asks which active reservations are on no task

Revision ID: 0011
Revises: 0010
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_task_line_reservation_id", "task_line", ["reservation_id"])


def downgrade() -> None:
    op.drop_index("ix_task_line_reservation_id", table_name="task_line")
