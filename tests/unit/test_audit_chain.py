"""The audit chains: one per practice, keyed, append-only in the database, checked against anchors.

Tampering tests play an attacker who can write to the database and has dropped its triggers; what the
attacker lacks is the key, which lives in the configuration, and the anchors, which live elsewhere."""

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError
from sqlmodel import select

from asalee_track.care import audit
from asalee_track.store import audit_guard
from asalee_track.store.db import transaction
from asalee_track.store.tables import AuditEvent, AuditHead


def _three_events(engine: Engine, world, practice=None) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as db:
        actor = world.actor(world.nurse if practice is None else world.other_nurse, practice)
        for action in ("create", "read", "update"):
            audit.record(db, actor, action, "Patient", "p-1", patient_id="p-1")


def _verify(engine: Engine, anchors: list[audit.Anchor] | None = None) -> audit.ChainReport:
    with transaction(engine) as db:
        return audit.verify(db, anchors or [])


def _as_attacker(engine: Engine, *statements: str) -> None:
    with engine.begin() as connection, audit_guard.suspended(connection):
        for statement in statements:
            connection.execute(text(statement))


def test_intact_chains_verify(engine: Engine, world) -> None:  # type: ignore[no-untyped-def]
    _three_events(engine, world)
    _three_events(engine, world, world.other_practice)
    report = _verify(engine)
    assert report.ok and report.checked == 6


def test_each_practice_has_its_own_chain_numbered_from_one(engine: Engine, world, db) -> None:  # type: ignore[no-untyped-def]
    _three_events(engine, world)
    _three_events(engine, world, world.other_practice)
    rows = db.exec(select(AuditEvent.chain, AuditEvent.seq).order_by(AuditEvent.id)).all()
    home, other = world.practice.id, world.other_practice.id
    assert rows == [(home, 1), (home, 2), (home, 3), (other, 1), (other, 2), (other, 3)]
    heads = {h.chain: h.count for h in db.exec(select(AuditHead)).all()}
    assert heads[home] == 3 and heads[other] == 3


def test_the_database_refuses_to_change_or_remove_an_audit_event(engine: Engine, world) -> None:  # type: ignore[no-untyped-def]
    _three_events(engine, world)
    for statement in ("UPDATE audit_event SET action = 'read'", "DELETE FROM audit_event"):
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
    assert _verify(engine).checked == 3


def test_modified_event_is_detected(engine: Engine, world) -> None:  # type: ignore[no-untyped-def]
    _three_events(engine, world)
    _as_attacker(engine, "UPDATE audit_event SET action = 'read' WHERE action = 'update'")
    report = _verify(engine)
    assert any("modified" in problem for problem in report.problems)


def test_removed_event_in_the_middle_is_detected(engine: Engine, world) -> None:  # type: ignore[no-untyped-def]
    _three_events(engine, world)
    _as_attacker(engine, "DELETE FROM audit_event WHERE action = 'read'")
    assert any("link broken" in problem for problem in _verify(engine).problems)


def test_removed_last_event_is_detected(engine: Engine, world) -> None:  # type: ignore[no-untyped-def]
    _three_events(engine, world)
    _as_attacker(engine, "DELETE FROM audit_event WHERE action = 'update'")
    assert any("removed" in problem for problem in _verify(engine).problems)


def test_a_chain_recomputed_without_the_key_is_detected(engine: Engine, world) -> None:  # type: ignore[no-untyped-def]
    """Remove one patient's read and re-chain the rest with the unkeyed hash anyone can compute."""
    _three_events(engine, world)
    with transaction(engine) as db:
        events = db.exec(select(AuditEvent).where(AuditEvent.action != "read").order_by(AuditEvent.seq)).all()
    forged_key = b""
    previous, statements = audit.GENESIS, ["DELETE FROM audit_event WHERE action = 'read'"]
    for seq, event in enumerate(events, start=1):
        event.seq, event.prev_hash = seq, previous
        previous = audit.digest(event, forged_key)
        statements.append(
            f"UPDATE audit_event SET seq = {seq}, prev_hash = '{event.prev_hash}', hash = '{previous}' "
            f"WHERE id = {event.id}"
        )
    statements.append(
        f"UPDATE audit_head SET count = 2, last_hash = '{previous}' WHERE chain = {world.practice.id}"
    )
    _as_attacker(engine, *statements)
    assert any("modified" in problem for problem in _verify(engine).problems)


def test_truncating_the_chain_and_fixing_its_head_is_caught_by_an_anchor(engine: Engine, world) -> None:  # type: ignore[no-untyped-def]
    _three_events(engine, world)
    with transaction(engine) as db:
        anchors = audit.heads(db)
        last = db.exec(
            select(AuditEvent).where(AuditEvent.seq == 2, AuditEvent.chain == world.practice.id)
        ).one()
    _as_attacker(
        engine,
        "DELETE FROM audit_event WHERE action = 'update'",
        f"UPDATE audit_head SET count = 2, last_hash = '{last.hash}' WHERE chain = {world.practice.id}",
    )
    assert _verify(engine).ok  # the keyed chain alone cannot tell its last event went
    report = _verify(engine, anchors)
    assert [p for p in report.problems if "gone" in p], report.problems


def test_an_anchor_survives_its_chain_growing(engine: Engine, world) -> None:  # type: ignore[no-untyped-def]
    _three_events(engine, world)
    with transaction(engine) as db:
        anchors = audit.heads(db)
    _three_events(engine, world)
    assert _verify(engine, anchors).ok
    assert audit.Anchor.parse(anchors[0].line()) == anchors[0]
