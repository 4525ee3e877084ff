"""The demo practice covers every pathway with coherent histories: questionnaires, home BP series,
education plans, workshops, and a yearly cooperation report with something in each new pathway."""

from datetime import date, timedelta
from pathlib import Path

from sqlmodel import func, select

from asalee_track import PROJECT_ROOT
from asalee_track.care import cooperation, demo
from asalee_track.care.actor import Actor
from asalee_track.protocols import load_protocols
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


def test_the_demo_covers_the_new_pathways(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'demo.db'}")
    migrate.upgrade(engine)
    protocols = load_protocols(PROJECT_ROOT / "protocols")
    with transaction(engine) as db:
        demo.create_demo(db, protocols, patient_count=24)
    with transaction(engine) as db:
        pathways = set(db.exec(select(Enrolment.protocol_id)).all())
        assert set(protocols) <= pathways
        instruments = set(db.exec(select(InstrumentResponse.instrument_id)).all())
        assert instruments == {"fagerstrom", "mini-cog", "iadl", "phq9"}
        assert db.exec(select(func.count()).select_from(HomeBpReading)).one() >= 12
        assert db.exec(select(func.count()).select_from(PatientGoal)).one() > 0
        assert db.exec(select(func.count()).select_from(Workshop)).one() > 0
        nurse = db.exec(select(User).where(User.role == "nurse")).one()
        actor = Actor(user_id=nurse.id or 0, practice_id=1, role="nurse", display_name=nurse.display_name)
        year = (date.today() - timedelta(days=60)).year  # a year with months of sessions in it
        report = cooperation.yearly(db, actor, protocols, year)
    by_id = {p.protocol_id: p for p in report.pathways}
    for protocol_id in ("risque-cardiovasculaire", "bpco-tabac", "troubles-cognitifs"):
        assert by_id[protocol_id].enrolled > 0 and by_id[protocol_id].sessions > 0, protocol_id
    assert by_id["bpco-tabac"].spirometry_patients is not None
    engine.dispose()
