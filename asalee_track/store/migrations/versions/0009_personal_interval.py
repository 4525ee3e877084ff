"""personal_interval: a patient's own follow-up interval for a measure, with its history.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 20:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import asalee_track.store.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "personal_interval",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("measure_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("every", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("set_by", sa.Integer(), nullable=False),
        sa.Column("set_at", asalee_track.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", asalee_track.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"]),
        sa.ForeignKeyConstraint(["set_by"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("personal_interval", schema=None) as batch_op:
        batch_op.create_index("ix_personal_interval_patient", ["patient_id", "measure_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("personal_interval", schema=None) as batch_op:
        batch_op.drop_index("ix_personal_interval_patient")
    op.drop_table("personal_interval")
