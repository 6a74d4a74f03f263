"""assignments by incident and status: escalation, pacing and the ended count read them

Revision ID: 0012
Revises: 0011
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_assignment_incident_status", "assignment", ["incident_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_assignment_incident_status", table_name="assignment")
