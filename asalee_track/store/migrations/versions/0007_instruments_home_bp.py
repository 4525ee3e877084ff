"""Questionnaires (responses and answers) and home blood-pressure readings.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 20:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_Str = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "instrument_response",
        sa.Column("id", _Str(length=36), nullable=False),
        sa.Column("session_id", _Str(length=36), nullable=False),
        sa.Column("patient_id", _Str(length=36), nullable=False),
        sa.Column("protocol_id", _Str(length=64), nullable=False),
        sa.Column("instrument_id", _Str(length=64), nullable=False),
        sa.Column("status", _Str(length=12), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("observation_id", _Str(length=36), nullable=True),
        sa.ForeignKeyConstraint(["observation_id"], ["observation.id"]),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"]),
        sa.ForeignKeyConstraint(["session_id"], ["care_session.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("instrument_response", schema=None) as batch_op:
        batch_op.create_index("ix_instrument_response_patient", ["patient_id", "instrument_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_instrument_response_session_id"), ["session_id"], unique=False)
    op.create_table(
        "instrument_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", _Str(length=36), nullable=False),
        sa.Column("item_id", _Str(length=64), nullable=False),
        sa.Column("answer_code", _Str(length=64), nullable=False),
        sa.Column("points", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["response_id"], ["instrument_response.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("instrument_answer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_instrument_answer_response_id"), ["response_id"], unique=False)
    op.create_table(
        "home_bp_reading",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", _Str(length=36), nullable=False),
        sa.Column("patient_id", _Str(length=36), nullable=False),
        sa.Column("protocol_id", _Str(length=64), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("period", _Str(length=8), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("sbp", sa.Float(), nullable=False),
        sa.Column("dbp", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"]),
        sa.ForeignKeyConstraint(["session_id"], ["care_session.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("home_bp_reading", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_home_bp_reading_session_id"), ["session_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("home_bp_reading", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_home_bp_reading_session_id"))
    op.drop_table("home_bp_reading")
    with op.batch_alter_table("instrument_answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_instrument_answer_response_id"))
    op.drop_table("instrument_answer")
    with op.batch_alter_table("instrument_response", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_instrument_response_session_id"))
        batch_op.drop_index("ix_instrument_response_patient")
    op.drop_table("instrument_response")
