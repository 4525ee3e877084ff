"""The stored worklist entries: kept by every write that moves a patient on the worklist, ranked afresh
once their day comes, and filled in by the migration that brought them."""

from datetime import UTC, datetime, timedelta

from bs4 import BeautifulSoup
from sqlalchemy import text
from sqlmodel import Session, select

from asalee_track.care import (
    alerts,
    enrolment,
    followup,
    intervals,
    patients,
    sessions,
    worklist_entries,
)
from asalee_track.store.db import transaction
from asalee_track.store.tables import Alert, Enrolment, Patient, WorklistEntry
from tests.conftest import patient_form
from tests.web.test_sessions import session_form
from tests.web.test_worklist import rows


def stored(db: Session) -> dict[tuple[str, str], tuple[str, object]]:
    return {
        (row.patient_id, row.scope): (row.status, worklist_entries._key(row))
        for row in db.exec(select(WorklistEntry)).all()
    }


def afresh(db: Session, now: datetime) -> dict[tuple[str, str], tuple[str, object]]:
    ids = list(db.exec(select(Patient.id)).all())
    return {
        (entry.patient_id, entry.scope): (entry.status, entry.key)
        for entry in worklist_entries.ranked_afresh(db, ids, now)
    }


def assert_entries_current(engine) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as db:
        assert stored(db) == afresh(db, datetime.now(UTC))


def test_every_write_that_moves_a_patient_keeps_their_entries(engine, world, protocols, make_patient, enrol):  # type: ignore[no-untyped-def]
    nurse, gp = world.actor(world.nurse), world.actor(world.gp)
    long_ago = (datetime.now(UTC) - timedelta(days=190)).date().isoformat()
    patient = enrol(make_patient(family_name="Suivie", ins=""), "diabete-type-2", "obesite", start=long_ago)
    other = enrol(make_patient(family_name="Autre", ins=""), "diabete-type-2", start=long_ago)
    assert_entries_current(engine)
    with transaction(engine) as db:  # a session raising an alert
        saved = sessions.save(
            db, nurse, protocols, patient.id, session_form(**{"m.hba1c": "11", "m.weight": "92"})
        )
    assert_entries_current(engine)
    with Session(engine) as db:
        assert db.get(WorklistEntry, (patient.id, worklist_entries.ALL)).status == "alert"
    with transaction(engine) as db:  # its correction
        corrected = sessions.amend(db, nurse, protocols, saved.session.id, session_form(**{"m.hba1c": "6.5"}))
    assert_entries_current(engine)
    with transaction(engine) as db:  # an alert acknowledged
        sessions.save(db, nurse, protocols, patient.id, session_form(**{"m.hba1c": "11.5"}))
        alert_id = db.exec(
            select(Alert.id).where(Alert.patient_id == patient.id, Alert.status == "open")
        ).first()
    assert alert_id is not None
    with transaction(engine) as db:
        alerts.acknowledge(db, gp, alert_id, "Vu")
    assert_entries_current(engine)
    with transaction(engine) as db:  # a session entered in error
        sessions.mark_entered_in_error(db, nurse, protocols, corrected.session.id, "mauvais patient")
    assert_entries_current(engine)
    with transaction(engine) as db:  # a snooze, a personal interval, a pause
        followup.snooze(db, nurse, protocols, other.id, "will-come", "30", "", datetime.now(UTC).date())
    assert_entries_current(engine)
    with transaction(engine) as db:
        intervals.set_interval(
            db, gp, protocols, patient.id, {"measure_id": "hba1c", "every": "P6M", "reason": "stable"}
        )
    assert_entries_current(engine)
    with transaction(engine) as db:
        enrolment_id = db.exec(select(Enrolment.id).where(Enrolment.patient_id == other.id)).one()
        enrolment.change_status(db, nurse, protocols, enrolment_id, "pause", "Hospitalisée")
    assert_entries_current(engine)
    with transaction(engine) as db:  # a new name: the order among equals follows it
        patients.update(db, nurse, patient.id, patient_form(family_name="Renommée", ins=""))
    assert_entries_current(engine)


def test_a_measure_falling_due_reaches_the_worklist_with_no_write(
    as_nurse, engine, make_patient, enrol
) -> None:  # type: ignore[no-untyped-def]
    """Enrolled 100 days ago, HbA1c (every 3 months) fell due 10 days ago: once the stored entry
    says so. Here it is stored as of the enrolment day, when nothing was due; its validity ends at the
    due date. The worklist ranks it afresh, shows it, and stores it again for the next page."""
    start = datetime.now(UTC) - timedelta(days=100)
    patient = enrol(
        make_patient(family_name="Echue", ins=""), "diabete-type-2", start=start.date().isoformat()
    )
    with transaction(engine) as db:
        worklist_entries.refresh(db, [patient.id], now=start + timedelta(hours=1))
    with Session(engine) as db:
        before = db.get(WorklistEntry, (patient.id, worklist_entries.ALL))
        assert before.status == "ok" and before.valid_until < datetime.now(UTC)
    assert [name for name, _ in rows(as_nurse.get("/worklist").text)] == ["ECHUE Hélène"]
    with Session(engine) as db:
        after = db.get(WorklistEntry, (patient.id, worklist_entries.ALL))
        assert after.status == "due" and after.valid_until > datetime.now(UTC)
    assert_entries_current(engine)
    assert [name for name, _ in rows(as_nurse.get("/worklist").text)] == ["ECHUE Hélène"]


def test_counts_and_pages_merge_stored_and_expired_entries(as_nurse, engine, make_patient, enrol) -> None:  # type: ignore[no-untyped-def]
    """Two patients overdue, one stored as of long ago (expired): both counted once, in order."""
    old = (datetime.now(UTC) - timedelta(days=200)).date().isoformat()
    first = enrol(make_patient(family_name="Ancienne", ins=""), "diabete-type-2", start=old)
    enrol(make_patient(family_name="Fraiche", ins=""), "diabete-type-2", start=old)
    with transaction(engine) as db:
        worklist_entries.refresh(db, [first.id], now=datetime.now(UTC) - timedelta(days=199))
    page = as_nurse.get("/worklist").text
    assert [name for name, _ in rows(page)] == ["ANCIENNE Hélène", "FRAICHE Hélène"]
    counts = BeautifulSoup(page, "html.parser").select_one("#worklist-counts .count-overdue").text
    assert counts.strip() == "2 en retard"


def test_the_upgrade_fills_the_entries_from_the_stored_schedules(engine, make_patient, enrol) -> None:  # type: ignore[no-untyped-def]
    from alembic import command

    from asalee_track.store import migrate

    old = (datetime.now(UTC) - timedelta(days=200)).date().isoformat()
    enrol(make_patient(family_name="Avant", ins=""), "diabete-type-2", "obesite", start=old)
    with Session(engine) as db:
        before = stored(db)
    assert before
    config = migrate.alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0013")
    with engine.connect() as connection:
        tables = {row[0] for row in connection.execute(text(_TABLES[engine.dialect.name]))}
    assert "worklist_entry" not in tables
    migrate.upgrade(engine)
    with Session(engine) as db:
        assert stored(db) == before


_TABLES = {
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'table'",
    "postgresql": "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()",
}
