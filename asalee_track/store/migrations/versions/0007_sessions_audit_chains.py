"""Server-side login sessions, forms kept across a login, one keyed audit chain per practice.

- user_session replaces app_user.session_epoch: a login lives in the database, so logging out ends it.
- pending_form keeps what was posted after a login expired, until the user logs in again.
- audit_event gains its chain (the practice, 0 for none) and its place in it; audit_head holds one row
  per chain. Existing events are re-chained per practice with the keyed hash, in their original order.
- Triggers make audit_event append-only.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 20:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import asalee_track.store.types
from asalee_track.store import audit_guard

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64
UTC = asalee_track.store.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "user_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("last_seen_at", UTC, nullable=False),
        sa.Column("ended_at", UTC, nullable=True),
        sa.Column("ended_reason", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("client", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_user_session_user", "user_session", ["user_id", "ended_at"])
    op.create_table(
        "pending_form",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("path", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_login_attempt_client_at", "login_attempt", ["client", "at"])
    op.create_index("ix_login_attempt_at", "login_attempt", ["at"])
    with op.batch_alter_table("app_user") as batch_op:
        batch_op.drop_column("session_epoch")

    with op.batch_alter_table("audit_event") as batch_op:
        batch_op.add_column(sa.Column("chain", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=False, server_default="0"))
    heads = _rechain(op.get_bind())
    with op.batch_alter_table("audit_event") as batch_op:
        batch_op.create_unique_constraint("uq_audit_chain_seq", ["chain", "seq"])

    op.drop_table("audit_head")
    head_table = op.create_table(
        "audit_head",
        sa.Column("chain", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("chain"),
    )
    practices = [row[0] for row in op.get_bind().execute(sa.text("SELECT id FROM practice"))]
    for chain in [0, *practices]:
        heads.setdefault(chain, (GENESIS, 0))
    op.bulk_insert(
        head_table,
        [{"chain": chain, "last_hash": h, "count": n} for chain, (h, n) in sorted(heads.items())],
    )
    audit_guard.install(op.get_bind())


def _rechain(connection: sa.Connection) -> dict[int, tuple[str, int]]:
    """Existing events, in their order, become the start of their practice's keyed chain."""
    if not connection.execute(sa.text("SELECT 1 FROM audit_event LIMIT 1")).first():
        return {}
    from asalee_track.care.audit import digest
    from asalee_track.config import get_settings
    from asalee_track.store.tables import AuditEvent

    key = get_settings().resolved_audit_key()
    heads: dict[int, tuple[str, int]] = {}
    columns = "id, at, user_id, practice_id, action, object_type, object_id, patient_id, outcome, detail"
    last_id = 0
    while True:
        rows = connection.execute(
            sa.text(f"SELECT {columns} FROM audit_event WHERE id > :last ORDER BY id LIMIT 5000"),
            {"last": last_id},
        ).all()
        if not rows:
            return heads
        updates = []
        for row in rows:
            chain = row.practice_id or 0
            previous, count = heads.get(chain, (GENESIS, 0))
            event = AuditEvent(**row._mapping, chain=chain, seq=count + 1, prev_hash=previous, hash="")
            event.at = UTC.process_result_value(row.at, connection.dialect)  # type: ignore[assignment]
            event.hash = digest(event, key)
            heads[chain] = (event.hash, count + 1)
            updates.append({"i": row.id, "c": chain, "s": count + 1, "p": previous, "h": event.hash})
            last_id = row.id
        connection.execute(
            sa.text("UPDATE audit_event SET chain = :c, seq = :s, prev_hash = :p, hash = :h WHERE id = :i"),
            updates,
        )


def downgrade() -> None:
    audit_guard.remove(op.get_bind())
    op.drop_table("audit_head")
    head_table = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    # The events keep their per-practice hashes: the single-chain verifier of 0006 will not accept them.
    op.bulk_insert(head_table, [{"id": 1, "last_hash": GENESIS, "count": 0}])
    with op.batch_alter_table("audit_event") as batch_op:
        batch_op.drop_constraint("uq_audit_chain_seq", type_="unique")
        batch_op.drop_column("seq")
        batch_op.drop_column("chain")
    with op.batch_alter_table("app_user") as batch_op:
        batch_op.add_column(sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0"))
    op.drop_index("ix_login_attempt_at", table_name="login_attempt")
    op.drop_index("ix_login_attempt_client_at", table_name="login_attempt")
    op.drop_table("pending_form")
    op.drop_index("ix_user_session_user", table_name="user_session")
    op.drop_table("user_session")
