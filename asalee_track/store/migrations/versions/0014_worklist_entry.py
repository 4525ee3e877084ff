"""Where each patient stands on the worklist.

Derived, per patient and scope: filled here from the stored schedules and open alerts, then kept by
the app on every write that moves the patient.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 13:50:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import asalee_track.store.types

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_Str = sqlmodel.sql.sqltypes.AutoString
_When = asalee_track.store.types.UTCDateTime

# As care.worklist_entries ranks them on the day of the upgrade (a frozen copy: this file is history).
_FILL = """
INSERT INTO worklist_entry (patient_id, scope, practice_id, search_key, severity, worst, undated, oldest,
                            status, valid_until)
SELECT things.patient_id, things.scope, patient.practice_id, patient.search_key,
       COALESCE(MIN(things.severity), 9), COALESCE(MIN(things.worst), 9),
       CASE WHEN MIN(things.oldest) IS NULL THEN 1 ELSE 0 END, MIN(things.oldest),
       CASE WHEN MIN(things.severity) IS NOT NULL THEN 'alert'
            WHEN MIN(things.worst) = 0 THEN 'overdue' WHEN MIN(things.worst) = 1 THEN 'due'
            WHEN MIN(things.worst) = 2 THEN 'lost' ELSE 'ok' END,
       MIN(things.next_at)
FROM (
    SELECT rows.patient_id, CASE WHEN scopes.whole = 1 THEN '' ELSE rows.protocol_id END AS scope,
           rows.severity, rows.worst, rows.oldest, rows.next_at
    FROM (
        SELECT patient_id, protocol_id, NULL AS severity,
               CASE WHEN due_at > :now THEN NULL WHEN lost_at <= :now THEN 2
                    WHEN overdue_at <= :now THEN 0 ELSE 1 END AS worst,
               CASE WHEN due_at <= :now THEN due_at END AS oldest,
               CASE WHEN due_at > :now THEN due_at WHEN overdue_at > :now THEN overdue_at
                    WHEN lost_at > :now THEN lost_at END AS next_at
        FROM measure_due
        UNION ALL
        SELECT patient_id, protocol_id,
               CASE severity WHEN 'high' THEN 0 WHEN 'moderate' THEN 1 WHEN 'low' THEN 2 ELSE 3 END,
               NULL, NULL, NULL
        FROM alert WHERE status = 'open'
    ) AS rows
    CROSS JOIN (SELECT 0 AS whole UNION ALL SELECT 1) AS scopes
) AS things
JOIN patient ON patient.id = things.patient_id
GROUP BY things.patient_id, things.scope, patient.practice_id, patient.search_key
"""


def upgrade() -> None:
    op.create_table(
        "worklist_entry",
        sa.Column("patient_id", _Str(length=36), nullable=False),
        sa.Column("scope", _Str(length=64), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("search_key", _Str(length=260), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("worst", sa.Integer(), nullable=False),
        sa.Column("undated", sa.Integer(), nullable=False),
        sa.Column("oldest", _When(timezone=True), nullable=True),
        sa.Column("status", _Str(length=10), nullable=False),
        sa.Column("valid_until", _When(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["patient_id"], ["patient.id"]),
        sa.ForeignKeyConstraint(["practice_id"], ["practice.id"]),
        sa.PrimaryKeyConstraint("patient_id", "scope"),
    )
    with op.batch_alter_table("worklist_entry", schema=None) as batch_op:
        batch_op.create_index(
            "ix_worklist_entry_rank",
            ["practice_id", "scope", "severity", "worst", "undated", "oldest", "search_key", "patient_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_worklist_entry_expiry", ["practice_id", "scope", "valid_until"], unique=False
        )
        batch_op.create_index(
            "ix_worklist_entry_counts", ["practice_id", "scope", "status", "valid_until"], unique=False
        )
    fill = sa.text(_FILL).bindparams(sa.bindparam("now", type_=_When(timezone=True)))
    op.get_bind().execute(fill, {"now": datetime.now(UTC)})


def downgrade() -> None:
    with op.batch_alter_table("worklist_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_worklist_entry_counts")
        batch_op.drop_index("ix_worklist_entry_expiry")
        batch_op.drop_index("ix_worklist_entry_rank")
    op.drop_table("worklist_entry")
