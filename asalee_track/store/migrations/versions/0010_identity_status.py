"""Patient identity status (référentiel INS) and the strict traits the status vouches for.

Every existing identity starts provisoire: nothing recorded so far says it was checked on a document or
recovered from the INSi teleservice, so its INS stops leaving the practice until it is qualified.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 20:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import asalee_track.store.types

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("birth_place_insee", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True)
        )
        batch_op.add_column(
            sa.Column("used_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True)
        )
        batch_op.add_column(
            sa.Column("used_given_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "identity_status",
                sqlmodel.sql.sqltypes.AutoString(length=12),
                nullable=False,
                server_default="provisoire",
            )
        )
        batch_op.add_column(
            sa.Column("identity_document", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True)
        )
        batch_op.add_column(sa.Column("identity_validated_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "identity_validated_at", asalee_track.store.types.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column(
                "identity_recovered_at", asalee_track.store.types.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.create_foreign_key(
            "fk_patient_identity_validated_by_id_app_user", "app_user", ["identity_validated_by_id"], ["id"]
        )
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.alter_column("identity_status", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.drop_constraint("fk_patient_identity_validated_by_id_app_user", type_="foreignkey")
        for column in (
            "identity_recovered_at",
            "identity_validated_at",
            "identity_validated_by_id",
            "identity_document",
            "identity_status",
            "used_given_name",
            "used_name",
            "birth_place_insee",
        ):
            batch_op.drop_column(column)
