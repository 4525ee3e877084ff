"""The audit trail: appended, chained per practice, keyed, verifiable against anchors kept elsewhere.

Each practice has a chain of its own (chain 0 holds what belongs to no practice: failed logins of
unknown emails). Each event's hash is an HMAC, keyed by a secret the database does not hold, over its own
fields, its place in the chain and the previous event's hash: a modified, inserted or removed event breaks
the chain, and someone who can write to the database cannot forge a new one without the key. Removing the
*last* events and fixing the head is caught by anchors: ``asalee-track audit anchor`` writes the heads to
a file (or a remote log) outside the database, and ``audit verify --anchors`` checks the chains still
hold those events. The database itself refuses UPDATE and DELETE of audit rows (store/audit_guard.py).

Events are chained when their transaction commits, not when they are recorded: a chain head's lock is
then held for the commit alone (measured on PostgreSQL: with the lock taken at the first audited read, 50
concurrent clients queued behind one another), and only requests of the same practice wait for it.
"""

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy import event as orm_events
from sqlalchemy import insert, update
from sqlmodel import Session, col, select

from asalee_track.care.actor import Actor
from asalee_track.store.tables import AuditEvent, AuditHead
from asalee_track.store.types import utcnow

GENESIS = "0" * 64
NO_PRACTICE = 0  # the chain of events no practice owns
PENDING = "asalee_pending_audit"

_key: bytes | None = None


def use_key(key: bytes) -> None:
    """The chain's secret, from the configuration (never from the database); set once at start-up."""
    global _key
    _key = key


def _current_key() -> bytes:
    if _key is None:
        from asalee_track.config import get_settings  # a command run without the app: its settings

        use_key(get_settings().resolved_audit_key())
    assert _key is not None
    return _key


@dataclass(slots=True)
class PendingEvent:
    """An event recorded and not yet written. A plain object: a worklist page records fifty, and an ORM
    instance each cost more than the page's queries."""

    at: datetime
    chain: int
    user_id: int | None
    practice_id: int | None
    action: str
    object_type: str
    object_id: str | None
    patient_id: str | None
    outcome: str
    detail: str | None
    seq: int = 0
    prev_hash: str = ""
    hash: str = ""


def digest(event: AuditEvent | PendingEvent, key: bytes) -> str:
    """The hash covers the same fields of a stored event and of one still pending."""
    fields = {
        "chain": event.chain,
        "seq": event.seq,
        "prev": event.prev_hash,
        "at": event.at.isoformat(timespec="microseconds"),
        "user": event.user_id,
        "practice": event.practice_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "patient": event.patient_id,
        "outcome": event.outcome,
        "detail": event.detail,
    }
    return hmac.new(key, orjson.dumps(fields, option=orjson.OPT_SORT_KEYS), hashlib.sha256).hexdigest()


def record(
    db: Session,
    actor: Actor | None,
    action: str,
    object_type: str,
    object_id: str | int | None = None,
    *,
    patient_id: str | None = None,
    outcome: str = "success",
    detail: str | None = None,
    user_id: int | None = None,
    practice_id: int | None = None,
) -> PendingEvent:
    """Record one event in the caller's transaction: it commits, or vanishes, with the act it records."""
    practice = actor.practice_id if actor else practice_id
    event = PendingEvent(
        at=utcnow(),
        chain=practice or NO_PRACTICE,
        user_id=actor.user_id if actor else user_id,
        practice_id=practice,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id)[:64],
        patient_id=patient_id,
        outcome=outcome,
        detail=detail[:500] if detail else None,
    )
    db.info.setdefault(PENDING, []).append(event)
    return event


def record_shown(
    db: Session, actor: Actor, object_type: str, patient_ids: Iterable[str], detail: str
) -> None:
    """A list of patients (a search, a worklist page): one event per patient shown, so that "who saw
    this patient's name" has an answer."""
    for patient_id in dict.fromkeys(patient_ids):
        record(db, actor, "read", object_type, patient_id=patient_id, detail=detail)


def has_pending(db: Session) -> bool:
    return bool(db.info.get(PENDING))


def take_pending(db: Session) -> list[PendingEvent]:
    """The events recorded in ``db`` and not yet written, handed over to be written elsewhere."""
    return db.info.pop(PENDING, None) or []


def append(db: Session, events: list[PendingEvent]) -> None:
    db.info.setdefault(PENDING, []).extend(events)


@orm_events.listens_for(Session, "before_commit")
def _chain_pending(session: Session) -> None:
    pending = session.info.pop(PENDING, None)
    if not pending:
        return
    session.flush()  # the transaction's own rows first: the head is then held for the audit rows alone
    key = _current_key()
    chains = sorted({event.chain for event in pending})  # locked in one order: no deadlock between two
    heads = {chain: _locked_head(session, chain) for chain in chains}
    rows = []
    for audit_event in pending:
        count, last_hash = heads[audit_event.chain]
        audit_event.seq, audit_event.prev_hash = count + 1, last_hash
        # The database keeps microseconds: hash exactly what will be read back.
        audit_event.hash = digest(audit_event, key)
        heads[audit_event.chain] = (audit_event.seq, audit_event.hash)
        rows.append({column: getattr(audit_event, column) for column in _EVENT_COLUMNS})
    # Plain rows in one statement: while the head is held, every request of the practice waits, and
    # an ORM object per event (a worklist page records fifty) made that wait several times longer.
    connection = session.connection()
    connection.execute(insert(_EVENTS), rows)
    for chain, (count, last_hash) in heads.items():
        connection.execute(
            update(_HEADS).where(_HEADS.c.chain == chain).values(count=count, last_hash=last_hash)
        )


_EVENTS = AuditEvent.__table__  # type: ignore[attr-defined]
_HEADS = AuditHead.__table__  # type: ignore[attr-defined]
_EVENT_COLUMNS = [column.name for column in _EVENTS.columns if column.name != "id"]


def _locked_head(session: Session, chain: int) -> tuple[int, str]:
    connection = session.connection()
    found = connection.execute(
        select(_HEADS.c.count, _HEADS.c.last_hash).where(_HEADS.c.chain == chain).with_for_update()
    ).first()
    if found is None:  # practices get theirs when created (accounts.create_practice); this is a fallback
        connection.execute(insert(_HEADS).values(chain=chain, last_hash=GENESIS, count=0))
        return 0, GENESIS
    return found[0], found[1]


def start_chain(db: Session, chain: int) -> None:
    """A new practice's chain, created with the practice so that its first events never race for it."""
    db.add(AuditHead(chain=chain, last_hash=GENESIS, count=0))
    db.flush()


@orm_events.listens_for(Session, "after_rollback")
def _forget_pending(session: Session) -> None:
    session.info.pop(PENDING, None)


# -- verification -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Anchor:
    """A chain's head as written outside the database at some time."""

    chain: int
    count: int
    hash: str
    at: str = ""

    def line(self) -> str:
        return orjson.dumps(
            {"at": self.at, "chain": self.chain, "count": self.count, "hash": self.hash}
        ).decode()

    @classmethod
    def parse(cls, line: str) -> "Anchor":
        data = orjson.loads(line)
        return cls(
            chain=int(data["chain"]),
            count=int(data["count"]),
            hash=str(data["hash"]),
            at=str(data.get("at", "")),
        )


@dataclass(frozen=True)
class ChainReport:
    checked: int
    chains: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def heads(db: Session) -> list[Anchor]:
    now = utcnow().isoformat(timespec="seconds")
    rows = db.exec(select(AuditHead).order_by(col(AuditHead.chain))).all()
    return [Anchor(chain=h.chain, count=h.count, hash=h.last_hash, at=now) for h in rows]


def verify(db: Session, anchors: Iterable[Anchor] = (), batch: int = 5000) -> ChainReport:
    """Walk every chain in order; report every event whose hash or link does not hold, every head that
    disagrees with its chain, and every anchor its chain no longer holds."""
    key = _current_key()
    problems: list[str] = []
    checked = 0
    chain_heads = {head.chain: head for head in db.exec(select(AuditHead)).all()}
    chains = sorted(set(chain_heads) | set(db.exec(select(AuditEvent.chain).distinct()).all()))
    for chain in chains:
        count, last = _verify_chain(db, key, chain, batch, problems)
        checked += count
        head = chain_heads.get(chain)
        if head is None or head.count != count or head.last_hash != last:
            recorded = head.count if head else 0
            problems.append(
                f"chain {chain}: holds {count} events, its head records {recorded}: events were removed"
            )
    for anchor in anchors:
        problems.extend(_check_anchor(db, anchor))
    return ChainReport(checked=checked, chains=len(chains), problems=problems)


def _verify_chain(db: Session, key: bytes, chain: int, batch: int, problems: list[str]) -> tuple[int, str]:
    previous, expected_seq, last_seq = GENESIS, 1, 0
    while True:
        rows = db.exec(
            select(AuditEvent)
            .where(AuditEvent.chain == chain, col(AuditEvent.seq) > last_seq)
            .order_by(col(AuditEvent.seq))
            .limit(batch)
        ).all()
        if not rows:
            return expected_seq - 1, previous
        for event in rows:
            where = f"chain {chain}, event {event.seq}"
            if event.seq != expected_seq or event.prev_hash != previous:
                problems.append(f"{where}: link broken (an earlier event was removed or changed)")
            if digest(event, key) != event.hash:
                problems.append(f"{where}: content does not match its hash (modified)")
            previous, expected_seq, last_seq = event.hash, event.seq + 1, event.seq


def _check_anchor(db: Session, anchor: Anchor) -> list[str]:
    held = db.exec(
        select(AuditEvent).where(AuditEvent.chain == anchor.chain, AuditEvent.seq == anchor.count)
    ).first()
    if anchor.count == 0:
        return []
    if held is None:
        return [f"chain {anchor.chain}: anchored at event {anchor.count} ({anchor.at}), which is gone"]
    if held.hash != anchor.hash:
        return [
            f"chain {anchor.chain}: event {anchor.count} differs from its anchor of {anchor.at} (rewritten)"
        ]
    return []
