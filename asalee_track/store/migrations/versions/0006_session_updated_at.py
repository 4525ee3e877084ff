"""care_session.updated_at: when a session's status last changed (FHIR `_since` sees corrections).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 02:25:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import asalee_track.store.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("care_session", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("updated_at", asalee_track.store.types.UTCDateTime(timezone=True), nullable=True)
        )
    # Existing sessions last changed when they were written.
    op.execute("UPDATE care_session SET updated_at = created_at")
    with op.batch_alter_table("care_session", schema=None) as batch_op:
        batch_op.alter_column(
            "updated_at", existing_type=asalee_track.store.types.UTCDateTime(timezone=True), nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("care_session", schema=None) as batch_op:
        batch_op.drop_column("updated_at")
