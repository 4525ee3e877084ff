"""Lab results: the files received (lab_report), each result line and its fate (lab_result), the
mapping of lab codes and labels to measures (lab_mapping; the app seeds its defaults), and
observations that come from a lab instead of a session.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 20:28:02.223436
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import asalee_track.store.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SOURCE_CHECK = "(session_id IS NULL) <> (lab_result_id IS NULL)"


def upgrade() -> None:
    op.create_table(
        "lab_mapping",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=True),
        sa.Column("key_kind", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("unit", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("measure_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("ucum", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", asalee_track.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practice.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("practice_id", "key_kind", "key", "unit"),
    )
    with op.batch_alter_table("lab_mapping", schema=None) as batch_op:
        batch_op.create_index("ix_lab_mapping_key", ["key_kind", "key"], unique=False)

    op.create_table(
        "lab_report",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("format", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("encoding", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("lab", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.Column("imported_by", sa.Integer(), nullable=True),
        sa.Column("received_at", asalee_track.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["imported_by"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practice.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("practice_id", "sha256"),
    )
    with op.batch_alter_table("lab_report", schema=None) as batch_op:
        batch_op.create_index("ix_lab_report_practice_received", ["practice_id", "received_at"], unique=False)

    op.create_table(
        "lab_result",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("lab_report_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("identity", sa.JSON(), nullable=False),
        sa.Column("patient_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column("order_no", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("test", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("loinc", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("value_text", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("unit_text", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("alternatives", sa.JSON(), nullable=False),
        sa.Column("specimen_at", asalee_track.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reported_at", asalee_track.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("lab", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("measure_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("observation_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("reason_params", sa.JSON(), nullable=False),
        sa.Column("resolved_by", sa.Integer(), nullable=True),
        sa.Column("resolved_at", asalee_track.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["lab_report_id"],
            ["lab_report.id"],
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patient.id"],
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practice.id"],
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by"],
            ["app_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("lab_result", schema=None) as batch_op:
        batch_op.create_index(
            "ix_lab_result_patient_order_test", ["patient_id", "order_no", "test"], unique=False
        )
        batch_op.create_index("ix_lab_result_practice_status", ["practice_id", "status"], unique=False)
        batch_op.create_index("ix_lab_result_report", ["lab_report_id"], unique=False)

    with op.batch_alter_table("observation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("lab_result_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True)
        )
        batch_op.add_column(
            sa.Column("superseded_by_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True)
        )
        batch_op.alter_column("session_id", existing_type=sa.VARCHAR(length=36), nullable=True)
        batch_op.create_index("ix_observation_lab_result", ["lab_result_id"], unique=False)
        batch_op.create_foreign_key("fk_observation_lab_result", "lab_result", ["lab_result_id"], ["id"])
        batch_op.create_check_constraint("ck_observation_one_source", SOURCE_CHECK)


def downgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table("observation", schema=None) as batch_op:
        batch_op.drop_constraint("ck_observation_one_source", type_="check")
        batch_op.drop_constraint("fk_observation_lab_result", type_="foreignkey")
        batch_op.drop_index("ix_observation_lab_result")
        batch_op.alter_column("session_id", existing_type=sa.VARCHAR(length=36), nullable=False)
        batch_op.drop_column("superseded_by_id")
        batch_op.drop_column("lab_result_id")

    with op.batch_alter_table("lab_result", schema=None) as batch_op:
        batch_op.drop_index("ix_lab_result_report")
        batch_op.drop_index("ix_lab_result_practice_status")
        batch_op.drop_index("ix_lab_result_patient_order_test")

    op.drop_table("lab_result")
    with op.batch_alter_table("lab_report", schema=None) as batch_op:
        batch_op.drop_index("ix_lab_report_practice_received")

    op.drop_table("lab_report")
    with op.batch_alter_table("lab_mapping", schema=None) as batch_op:
        batch_op.drop_index("ix_lab_mapping_key")

    op.drop_table("lab_mapping")
    # ### end Alembic commands ###
