"""`asalee-track export patient|practice` on its own SQLite database."""

from pathlib import Path
from types import SimpleNamespace

import orjson
import pytest
from fhir.resources.R4B.bundle import Bundle
from sqlmodel import Session, col, func, select
from typer.testing import CliRunner

from asalee_track.care import demo
from asalee_track.cli import app
from asalee_track.config import get_settings
from asalee_track.store import migrate
from asalee_track.store.db import make_engine, transaction
from asalee_track.store.tables import CareSession, Observation, Patient, User
from tests.fhir.conftest import add_record, validate

runner = CliRunner()


@pytest.fixture
def demo_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A demo practice with clinical records, in a SQLite file the CLI is pointed at."""
    database = tmp_path / "practice.db"
    monkeypatch.setenv("ASALEE_DATABASE_URL", f"sqlite:///{database}")
    get_settings.cache_clear()
    engine = make_engine(f"sqlite:///{database}")
    migrate.upgrade(engine)
    with transaction(engine) as db:
        demo.create_demo(db, patient_count=3)
    with Session(engine) as db:
        people = {u.role: u for u in db.exec(select(User)).all()}
        patients = list(db.exec(select(Patient)).all())
    for patient in patients:
        add_record(engine, SimpleNamespace(nurse=people["nurse"], gp=people["gp"]), patient)  # type: ignore[arg-type]
    engine.dispose()
    yield database
    get_settings.cache_clear()


def test_export_patient_writes_a_collection_bundle(demo_db: Path, tmp_path: Path) -> None:
    with Session(make_engine(f"sqlite:///{demo_db}")) as db:
        patient = db.exec(select(Patient)).first()
    target = tmp_path / "out" / "patient.json"
    result = runner.invoke(app, ["export", "patient", patient.id, "-o", str(target)])
    assert result.exit_code == 0, result.output
    bundle = Bundle.model_validate_json(target.read_bytes())
    assert bundle.type == "collection" and bundle.entry[0].resource.id == patient.id
    stdout = runner.invoke(app, ["export", "patient", patient.id, "--practice", str(patient.practice_id)])
    assert stdout.exit_code == 0 and orjson.loads(stdout.stdout)["resourceType"] == "Bundle"


def test_export_unknown_patient_fails_clearly(demo_db: Path) -> None:
    result = runner.invoke(app, ["export", "patient", "nobody"])
    assert result.exit_code == 1 and "no patient nobody" in result.output


def test_export_practice_writes_one_ndjson_file_per_type(demo_db: Path, tmp_path: Path) -> None:
    target = tmp_path / "ndjson"
    result = runner.invoke(app, ["export", "practice", "--ndjson", str(target)])
    assert result.exit_code == 0, result.output
    files = sorted(target.glob("*.ndjson"))
    assert {f.stem for f in files} >= {"Patient", "Observation", "Encounter", "Organization", "AuditEvent"}
    observations = (target / "Observation.ndjson").read_bytes().splitlines()
    with Session(make_engine(f"sqlite:///{demo_db}")) as db:
        stored = db.exec(
            select(func.count())
            .select_from(Observation)
            .join(CareSession, col(CareSession.id) == Observation.session_id)
            .where(col(CareSession.superseded_by_id).is_(None))
        ).one()
    assert len(observations) == stored >= 3 * 12
    for file in files:
        for line in file.read_bytes().splitlines():
            resource = orjson.loads(line)
            assert resource["resourceType"] == file.stem
            validate(resource)
