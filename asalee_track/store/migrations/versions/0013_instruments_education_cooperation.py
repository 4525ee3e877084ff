"""Questionnaires (responses and answers), home blood-pressure readings, the education plan (diagnosis,
goals and their reviews), group workshops with their attendance; for the yearly cooperation report,
the GP's judgement of an alert (relevant or not), the adverse-event register and refusals of a pathway.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 20:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import asalee_track.store.types

revision: str = "0013"
down_revision: str | None = "0012"
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

    op.create_table(
        "workshop",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("nurse_id", sa.Integer(), nullable=False),
        sa.Column("held_at", asalee_track.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("protocol_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("notes", sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", asalee_track.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["nurse_id"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practice.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("workshop", schema=None) as batch_op:
        batch_op.create_index("ix_workshop_practice_time", ["practice_id", "held_at"], unique=False)

    op.create_table(
        "education_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("needs", sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=True),
        sa.Column("resources", sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=True),
        sa.Column("limits", sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.Column("recorded_at", asalee_track.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practice.id"],
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["app_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("education_plan", schema=None) as batch_op:
        batch_op.create_index("ix_education_plan_patient", ["patient_id", "version"], unique=False)

    op.create_table(
        "patient_goal",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("patient_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("set_on", sa.Date(), nullable=False),
        sa.Column("target_date", sa.Date(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", asalee_track.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", asalee_track.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practice.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("patient_goal", schema=None) as batch_op:
        batch_op.create_index("ix_patient_goal_patient", ["patient_id"], unique=False)

    op.create_table(
        "workshop_attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workshop_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("patient_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
        ),
        sa.ForeignKeyConstraint(
            ["workshop_id"],
            ["workshop.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workshop_id", "patient_id"),
    )
    with op.batch_alter_table("workshop_attendance", schema=None) as batch_op:
        batch_op.create_index("ix_workshop_attendance_patient", ["patient_id"], unique=False)

    op.create_table(
        "goal_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("goal_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("comment", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("reviewed_on", sa.Date(), nullable=False),
        sa.Column("reviewed_by", sa.Integer(), nullable=False),
        sa.Column("reviewed_at", asalee_track.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["goal_id"],
            ["patient_goal.id"],
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by"],
            ["app_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("goal_review", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_goal_review_goal_id"), ["goal_id"], unique=False)

    op.create_table(
        "adverse_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column("protocol_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("severity", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("action_taken", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("reported_by", sa.Integer(), nullable=False),
        sa.Column("reported_at", asalee_track.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practice.id"],
        ),
        sa.ForeignKeyConstraint(
            ["reported_by"],
            ["app_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("adverse_event", schema=None) as batch_op:
        batch_op.create_index("ix_adverse_event_practice_day", ["practice_id", "occurred_on"], unique=False)

    op.create_table(
        "enrolment_refusal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("protocol_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("refused_on", sa.Date(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.Column("recorded_at", asalee_track.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practice.id"],
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["app_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("enrolment_refusal", schema=None) as batch_op:
        batch_op.create_index(
            "ix_enrolment_refusal_practice_day", ["practice_id", "refused_on"], unique=False
        )

    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.add_column(sa.Column("relevant", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_column("relevant")

    with op.batch_alter_table("enrolment_refusal", schema=None) as batch_op:
        batch_op.drop_index("ix_enrolment_refusal_practice_day")

    op.drop_table("enrolment_refusal")
    with op.batch_alter_table("adverse_event", schema=None) as batch_op:
        batch_op.drop_index("ix_adverse_event_practice_day")

    op.drop_table("adverse_event")
    with op.batch_alter_table("goal_review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_goal_review_goal_id"))

    op.drop_table("goal_review")
    with op.batch_alter_table("workshop_attendance", schema=None) as batch_op:
        batch_op.drop_index("ix_workshop_attendance_patient")

    op.drop_table("workshop_attendance")
    with op.batch_alter_table("patient_goal", schema=None) as batch_op:
        batch_op.drop_index("ix_patient_goal_patient")

    op.drop_table("patient_goal")
    with op.batch_alter_table("education_plan", schema=None) as batch_op:
        batch_op.drop_index("ix_education_plan_patient")

    op.drop_table("education_plan")
    with op.batch_alter_table("workshop", schema=None) as batch_op:
        batch_op.drop_index("ix_workshop_practice_time")

    op.drop_table("workshop")
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
