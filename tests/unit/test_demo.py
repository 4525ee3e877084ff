"""The demo practice covers every pathway with coherent histories: questionnaires, home BP series,
education plans, workshops, and a yearly cooperation report with something in each new pathway."""

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from asalee_track import PROJECT_ROOT
from asalee_track.care import cooperation, demo, followup
from asalee_track.care.actor import Actor
from asalee_track.protocols import ProtocolSet, load_protocols
from asalee_track.store import migrate
from asalee_track.store.db import make_engine, transaction
from asalee_track.store.tables import (
    Enrolment,
    HomeBpReading,
    InstrumentResponse,
    PatientGoal,
    User,
    Workshop,
)


@pytest.fixture(scope="module")
def demo_practice(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, ProtocolSet]]:
    """The demo practice, loaded once for this module (years of sessions take a while to write)."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}")
    migrate.upgrade(engine)
    protocols = load_protocols(PROJECT_ROOT / "protocols")
    with transaction(engine) as db:
        demo.create_demo(db, protocols, patient_count=24)
    yield engine, protocols
    engine.dispose()


def nurse_of(db: Session) -> Actor:
    nurse = db.exec(select(User).where(User.role == "nurse")).one()
    return Actor(user_id=nurse.id or 0, practice_id=1, role="nurse", display_name=nurse.display_name)


def test_the_demo_covers_the_new_pathways(demo_practice: tuple[Engine, ProtocolSet]) -> None:
    engine, protocols = demo_practice
    with transaction(engine) as db:
        pathways = set(db.exec(select(Enrolment.protocol_id)).all())
        assert set(protocols) <= pathways
        instruments = set(db.exec(select(InstrumentResponse.instrument_id)).all())
        assert instruments == {"fagerstrom", "mini-cog", "iadl", "phq9"}
        assert db.exec(select(func.count()).select_from(HomeBpReading)).one() >= 12
        assert db.exec(select(func.count()).select_from(PatientGoal)).one() > 0
        assert db.exec(select(func.count()).select_from(Workshop)).one() > 0
        actor = nurse_of(db)
        year = (date.today() - timedelta(days=60)).year  # a year with months of sessions in it
        report = cooperation.yearly(db, actor, protocols, year)
    by_id = {p.protocol_id: p for p in report.pathways}
    for protocol_id in ("risque-cardiovasculaire", "bpco-tabac", "troubles-cognitifs"):
        assert by_id[protocol_id].enrolled > 0 and by_id[protocol_id].sessions > 0, protocol_id
    assert by_id["bpco-tabac"].spirometry_patients is not None


def test_demo_patients_come_at_their_protocols_rhythm_so_few_are_overdue(
    demo_practice: tuple[Engine, ProtocolSet],
) -> None:
    """Measures are taken when the protocol asks (physical activity twice a year, lipids yearly…):
    only the few patients who stopped coming are overdue on the morning worklist (3 of 21 followed)."""
    engine, protocols = demo_practice
    with transaction(engine) as db:
        followed = db.exec(
            select(func.count(func.distinct(Enrolment.patient_id))).where(Enrolment.status == "active")
        ).one()
        worklist = followup.worklist(db, nurse_of(db), protocols, datetime.now(UTC), limit=500)
    overdue = worklist.counts["overdue"]
    assert 0 < overdue <= 0.15 * followed, (overdue, followed)
    assert worklist.counts["due"] > 0  # and a few fall due today, as in a real practice
