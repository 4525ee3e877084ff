"""The FHIR catalogue: built from the protocols the process loaded, the only source of codes."""

import shutil
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

import asalee_track.protocols
from asalee_track import PROJECT_ROOT
from asalee_track.config import Settings
from asalee_track.fhir import bulk, catalog, codes
from asalee_track.protocols import load_protocols
from asalee_track.web import app as web_app


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every directory whose protocol files are parsed, wherever the parse is asked for."""
    seen: list[Path] = []

    def counting(directory: Path):  # type: ignore[no-untyped-def]
        seen.append(Path(directory))
        return load_protocols(directory)

    monkeypatch.setattr(asalee_track.protocols, "load_protocols", counting)
    monkeypatch.setattr(web_app, "load_protocols", counting)
    monkeypatch.setattr(catalog, "load_protocols", counting, raising=False)
    return seen


def test_the_app_parses_its_protocols_once_for_pages_fhir_and_the_export_worker(
    engine: Engine, settings: Settings, tmp_path: Path, parses: list[Path]
) -> None:
    directory = tmp_path / "protocols"
    shutil.copytree(PROJECT_ROOT / "protocols", directory)
    own = settings.model_copy(update={"protocols_dir": directory})
    served = web_app.create_app(own, engine, upgrade=False)
    bulk.run_pending(engine, own)  # the worker's pass, no job waiting
    read = catalog.load_catalog(directory)
    assert parses == [directory]
    assert set(read.pathways) == {p.id for p in served.state.protocols.all()}


def test_every_measure_code_comes_from_its_protocol() -> None:
    protocols = load_protocols(PROJECT_ROOT / "protocols")
    built = catalog.from_protocols(protocols)
    for protocol in protocols.all():
        for measure in protocol.measures:
            coding = built.measure(measure.id).coding[0]  # type: ignore[union-attr]
            if measure.loinc:
                assert coding == {"system": codes.LOINC, "code": measure.loinc, "display": measure.display}
