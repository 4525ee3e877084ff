"""SMART Backend Services: registered clients (their public JWKS), accepted assertions (jti), access tokens.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 21:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import asalee_track.store.types

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = asalee_track.store.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "smart_client",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("jwks", sa.JSON(), nullable=False),
        sa.Column("scopes", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("revoked_at", UTC_TIME, nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["practice_id"], ["practice.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_id"),
    )
    op.create_index(op.f("ix_smart_client_practice_id"), "smart_client", ["practice_id"], unique=False)
    op.create_table(
        "smart_assertion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("jti", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("expires_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["smart_client.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_id", "jti"),
    )
    op.create_index(op.f("ix_smart_assertion_client_id"), "smart_assertion", ["client_id"], unique=False)
    op.create_table(
        "smart_access_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("scopes", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("issued_at", UTC_TIME, nullable=False),
        sa.Column("expires_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["smart_client.id"]),
        sa.ForeignKeyConstraint(["practice_id"], ["practice.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index(
        op.f("ix_smart_access_token_client_id"), "smart_access_token", ["client_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_smart_access_token_client_id"), table_name="smart_access_token")
    op.drop_table("smart_access_token")
    op.drop_index(op.f("ix_smart_assertion_client_id"), table_name="smart_assertion")
    op.drop_table("smart_assertion")
    op.drop_index(op.f("ix_smart_client_practice_id"), table_name="smart_client")
    op.drop_table("smart_client")
