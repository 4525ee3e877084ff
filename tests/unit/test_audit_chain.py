"""The audit chain detects any modified or removed event."""

from sqlalchemy import text
from sqlalchemy.engine import Engine

from asalee_track.care import audit
from asalee_track.store.db import transaction


def _three_events(engine: Engine, world) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as db:
        actor = world.actor(world.nurse)
        for action in ("create", "read", "update"):
            audit.record(db, actor, action, "Patient", "p-1", patient_id="p-1")


def _verify(engine: Engine) -> audit.ChainReport:
    with transaction(engine) as db:
        return audit.verify(db)


def test_intact_chain_verifies(engine: Engine, world) -> None:  # type: ignore[no-untyped-def]
    _three_events(engine, world)
    report = _verify(engine)
    assert report.ok and report.checked == 3


def test_modified_event_is_detected(engine: Engine, world) -> None:  # type: ignore[no-untyped-def]
    _three_events(engine, world)
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_event SET action = 'read' WHERE action = 'update'"))
    report = _verify(engine)
    assert not report.ok
    assert any("modified" in problem for problem in report.problems)


def test_removed_event_in_the_middle_is_detected(engine: Engine, world) -> None:  # type: ignore[no-untyped-def]
    _three_events(engine, world)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_event WHERE action = 'read'"))
    assert any("link broken" in problem for problem in _verify(engine).problems)


def test_removed_last_event_is_detected(engine: Engine, world) -> None:  # type: ignore[no-untyped-def]
    _three_events(engine, world)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_event WHERE action = 'update'"))
    assert any("removed" in problem for problem in _verify(engine).problems)
