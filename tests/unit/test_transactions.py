"""Read requests read in read-only transactions: they take no lock while reading, and cannot write."""

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, func, select

from asalee_track.store.db import read_only
from asalee_track.store.tables import AuditEvent, Patient


def test_a_read_goes_on_while_a_writer_holds_the_lock(engine: Engine, make_patient) -> None:
    make_patient()
    with engine.connect() as writer:
        writer.execute(text("UPDATE practice SET name = name"))  # the write lock, held (not committed)
        with Session(read_only(engine)) as reader:
            assert reader.exec(select(func.count()).select_from(Patient)).one() == 1
        writer.rollback()


def test_a_read_only_transaction_refuses_to_write(engine: Engine) -> None:
    with Session(read_only(engine)) as reader, pytest.raises(DBAPIError):
        reader.exec(text("UPDATE practice SET name = name"))


def test_a_page_read_is_audited_after_the_read(as_nurse, make_patient, db) -> None:
    patient = make_patient()
    assert as_nurse.get(f"/patients/{patient.id}").status_code == 200
    reads = db.exec(select(AuditEvent.patient_id).where(AuditEvent.action == "read")).all()
    assert patient.id in reads


def test_sqlite_commits_survive_a_power_cut(tmp_path) -> None:
    """synchronous=FULL: with WAL, NORMAL may lose the last commits on a power cut."""
    from asalee_track.store.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'durable.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    engine.dispose()


def test_two_saves_for_one_patient_at_once_both_land(
    engine: Engine, world, make_patient, enrol, protocols, db
) -> None:  # type: ignore[no-untyped-def]
    """Two nurses save a session for the same patient at the same moment. On PostgreSQL both rebuilt the
    patient's derived rows from their own snapshot, and the second insert hit the first one's rows: a
    500, and a session typed for nothing. Saves of one patient now queue on that patient alone."""
    import threading
    from datetime import UTC, datetime, timedelta

    from asalee_track.care import sessions
    from asalee_track.store.db import transaction
    from asalee_track.store.tables import CareSession, MeasureLatest
    from tests.web.test_sessions import session_form

    patient = enrol(make_patient(), "diabete-type-2")
    nurse = world.actor(world.nurse)
    earlier, later = datetime.now(UTC) - timedelta(days=2), datetime.now(UTC) - timedelta(days=1)
    failures: list[BaseException] = []

    def second_save() -> None:
        try:
            with transaction(engine) as other:
                sessions.save(other, nurse, protocols, patient.id, session_form(later, **{"m.weight": "82"}))
        except BaseException as error:  # noqa: BLE001  (reported by the assertion below)
            failures.append(error)

    with transaction(engine) as first:
        sessions.save(first, nurse, protocols, patient.id, session_form(earlier, **{"m.weight": "80"}))
        racer = threading.Thread(target=second_save)
        racer.start()
        racer.join(timeout=1.0)  # it waits for the first save (or, before the fix, went ahead)
    racer.join(timeout=30)
    assert not failures, failures
    assert len(db.exec(select(CareSession).where(CareSession.patient_id == patient.id)).all()) == 2
    latest = db.exec(
        select(MeasureLatest).where(
            MeasureLatest.patient_id == patient.id, MeasureLatest.measure_id == "weight"
        )
    ).one()
    stored = latest.last_at if latest.last_at.tzinfo else latest.last_at.replace(tzinfo=UTC)
    assert stored == later.replace(second=0, microsecond=0)  # the later save's weight is the latest
