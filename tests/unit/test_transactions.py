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
