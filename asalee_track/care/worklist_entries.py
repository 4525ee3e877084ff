"""Where each patient stands on the worklist, kept per patient so that a page reads an index and not
the practice (the derived table `worklist_entry`).

An entry sums up, for one patient and one scope (every pathway, or one), the rows the worklist ranks
by: the most severe open alert, the worst status of what is due (overdue before due before lost), and
the oldest due date. Statuses move with the clock, so each entry holds until `valid_until`, the next
moment one of its measures falls due, overdue or lost. A write that changes a patient's schedule,
alerts or name marks the patient (`moved`), and the entries are rebuilt once, just before the
transaction commits. A worklist that meets expired entries ranks those patients afresh in the same
request and hands their ids back to be stored again (`refresh`), so a day's expiries cost the first
page that meets them, not every page.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Integer, String, TextClause, bindparam, column, delete, func, or_, text
from sqlalchemy import event as sa_event
from sqlmodel import Session, col, select

from asalee_track.care import patients
from asalee_track.protocols.schema import SEVERITIES
from asalee_track.store.db import in_lists
from asalee_track.store.tables import CareSession, WorklistEntry
from asalee_track.store.types import UTCDateTime, utcnow

ALL = ""  # the scope of every pathway at once
SEVERITY_RANK = {severity: rank for rank, severity in enumerate(reversed(SEVERITIES))}  # 0: most urgent
NONE = 9  # no open alert, nothing due: after every rank

_SEVERITY_CASE = " ".join(f"WHEN '{name}' THEN {rank}" for name, rank in SEVERITY_RANK.items())

# Each due row and open alert counts twice, once for every pathway together and once for its own.
# A measure two pathways schedule counts once in the first: its earliest row is also its worst.
# `next_at`: the row's next change of status (due, then overdue, then lost), NULL once lost.
_ENTRIES = f"""
SELECT things.patient_id, things.scope, patient.practice_id, patient.search_key,
       COALESCE(MIN(things.severity), {NONE}) AS severity,
       COALESCE(MIN(things.worst), {NONE}) AS worst,
       CASE WHEN MIN(things.oldest) IS NULL THEN 1 ELSE 0 END AS undated,
       MIN(things.oldest) AS oldest,
       CASE WHEN MIN(things.severity) IS NOT NULL THEN 'alert'
            WHEN MIN(things.worst) = 0 THEN 'overdue' WHEN MIN(things.worst) = 1 THEN 'due'
            WHEN MIN(things.worst) = 2 THEN 'lost' ELSE 'ok' END AS status,
       MIN(things.next_at) AS valid_until
FROM (
    SELECT rows.patient_id, CASE WHEN scopes.whole = 1 THEN '{ALL}' ELSE rows.protocol_id END AS scope,
           rows.severity, rows.worst, rows.oldest, rows.next_at
    FROM (
        SELECT patient_id, protocol_id, NULL AS severity,
               CASE WHEN due_at > :now THEN NULL WHEN lost_at <= :now THEN 2
                    WHEN overdue_at <= :now THEN 0 ELSE 1 END AS worst,
               CASE WHEN due_at <= :now THEN due_at END AS oldest,
               CASE WHEN due_at > :now THEN due_at WHEN overdue_at > :now THEN overdue_at
                    WHEN lost_at > :now THEN lost_at END AS next_at
        FROM measure_due WHERE patient_id IN :ids
        UNION ALL
        SELECT patient_id, protocol_id,
               CASE severity {_SEVERITY_CASE} ELSE {len(SEVERITY_RANK)} END, NULL, NULL, NULL
        FROM alert WHERE patient_id IN :ids AND status = 'open'
    ) AS rows
    CROSS JOIN (SELECT 0 AS whole UNION ALL SELECT 1) AS scopes
) AS things
JOIN patient ON patient.id = things.patient_id
GROUP BY things.patient_id, things.scope, patient.practice_id, patient.search_key
"""

_COLUMNS = (
    "patient_id",
    "scope",
    "practice_id",
    "search_key",
    "severity",
    "worst",
    "undated",
    "oldest",
    "status",
    "valid_until",
)


def _typed(statement: str) -> TextClause:
    return text(statement).bindparams(
        bindparam("ids", expanding=True, type_=String), bindparam("now", type_=UTCDateTime)
    )


_RANK = _typed(_ENTRIES).columns(
    column("patient_id", String),
    column("scope", String),
    column("practice_id", Integer),
    column("search_key", String),
    column("severity", Integer),
    column("worst", Integer),
    column("undated", Integer),
    column("oldest", UTCDateTime),
    column("status", String),
    column("valid_until", UTCDateTime),
)
_STORE = _typed(f"INSERT INTO worklist_entry ({', '.join(_COLUMNS)}) {_ENTRIES}")


@dataclass(frozen=True)
class Entry:
    patient_id: str
    scope: str
    status: str  # alert, overdue, due, lost, ok
    key: tuple[Any, ...]  # the worklist's order


_LAST = datetime.max.replace(tzinfo=UTC)


def _key(row: Any) -> tuple[Any, ...]:
    """The worklist's order, as the index `ix_worklist_entry_rank` holds it."""
    return (row.severity, row.worst, row.undated, row.oldest or _LAST, row.search_key, row.patient_id)


_ORDER = (
    col(WorklistEntry.severity),
    col(WorklistEntry.worst),
    col(WorklistEntry.undated),
    col(WorklistEntry.oldest),
    col(WorklistEntry.search_key),
    col(WorklistEntry.patient_id),
)


# ---------------------------------------------------------------------------------------------------
# Keeping the entries


def moved(db: Session, patient_id: str) -> None:
    """The patient's schedule, open alerts or name changed in this transaction: their entries are
    rebuilt once, just before it commits."""
    db.info.setdefault(_MOVED, set()).add(patient_id)


_MOVED = "asalee_worklist_moved"


@sa_event.listens_for(Session, "before_commit")
def _rebuild_moved(db: Session) -> None:
    patient_ids = db.info.pop(_MOVED, None)
    if patient_ids:
        refresh(db, sorted(patient_ids))


def refresh(db: Session, patient_ids: Sequence[str], now: datetime | None = None) -> None:
    """Rebuild the entries of these patients from their stored schedule and open alerts."""
    now = now or utcnow()
    for chunk in in_lists(patient_ids):
        patients.hold_all(db, chunk)  # a concurrent save of one of them finishes first, and is counted
        db.exec(delete(WorklistEntry).where(col(WorklistEntry.patient_id).in_(chunk)))
        db.connection().execute(_STORE, {"ids": chunk, "now": now})


def ranked_afresh(db: Session, patient_ids: Sequence[str], now: datetime) -> list[Entry]:
    """The same entries computed without storing them, every scope (a read ranking expired ones)."""
    entries = []
    for chunk in in_lists(patient_ids):
        for row in db.connection().execute(_RANK, {"ids": chunk, "now": now}):
            entries.append(Entry(row.patient_id, row.scope, row.status, _key(row)))
    return entries


# ---------------------------------------------------------------------------------------------------
# Reading a page


@dataclass
class Ranking:
    page: list[Entry]  # the page's patients, in order
    counts: dict[str, int]  # per status, in the scope
    total: int  # what the filters keep, every page
    expired: list[str]  # patients ranked afresh: their entries are to be stored again


def rank(
    db: Session,
    practice_id: int,
    scope: str,
    wanted: tuple[str, ...],
    nurse_id: int | None,
    now: datetime,
    offset: int,
    limit: int,
) -> Ranking:
    """One page of the worklist, its counts and total: stored entries in index order, merged with the
    expired ones ranked afresh."""
    base = (
        col(WorklistEntry.practice_id) == practice_id,
        col(WorklistEntry.scope) == scope,
    )
    fresh = (*base, or_(col(WorklistEntry.valid_until).is_(None), col(WorklistEntry.valid_until) > now))
    # Entries of this scope whose day has come: ranked here from their rows, the rest read as stored.
    expired = list(
        db.exec(select(WorklistEntry.patient_id).where(*base, col(WorklistEntry.valid_until) <= now)).all()
    )
    afresh = [entry for entry in ranked_afresh(db, expired, now) if entry.scope == scope]
    counts = {status: 0 for status in ("alert", "overdue", "due", "lost")}
    for status, number in db.exec(
        select(WorklistEntry.status, func.count()).where(*fresh).group_by(col(WorklistEntry.status))
    ).all():
        if status in counts:
            counts[status] += number
    for entry in afresh:
        if entry.status in counts:
            counts[entry.status] += 1
    chosen = [*fresh, col(WorklistEntry.status).in_(wanted)]
    afresh = [entry for entry in afresh if entry.status in wanted]
    if nurse_id:
        chosen.append(_seen_by(nurse_id))
        seen = _seen(db, nurse_id, [entry.patient_id for entry in afresh])
        afresh = [entry for entry in afresh if entry.patient_id in seen]
        total = db.exec(select(func.count()).select_from(WorklistEntry).where(*chosen)).one() + len(afresh)
    else:
        total = sum(counts[status] for status in wanted)
    stored = [
        Entry(row.patient_id, row.scope, row.status, _key(row))
        for row in db.exec(select(WorklistEntry).where(*chosen).order_by(*_ORDER).limit(offset + limit)).all()
    ]
    # Python orders names by code point, as SQLite and a PostgreSQL database in the C collation do.
    page = sorted([*stored, *afresh], key=lambda entry: entry.key)[offset : offset + limit]
    return Ranking(page, counts, total, expired)


def _seen_by(nurse_id: int) -> Any:
    return (
        select(CareSession.patient_id)
        .where(CareSession.nurse_id == nurse_id, CareSession.patient_id == WorklistEntry.patient_id)
        .exists()
    )


def _seen(db: Session, nurse_id: int, patient_ids: Sequence[str]) -> set[str]:
    seen: set[str] = set()
    for chunk in in_lists(patient_ids):
        seen.update(
            db.exec(
                select(CareSession.patient_id)
                .where(CareSession.nurse_id == nurse_id, col(CareSession.patient_id).in_(chunk))
                .distinct()
            ).all()
        )
    return seen
