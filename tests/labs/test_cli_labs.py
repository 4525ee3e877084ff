"""`asalee-track labs import` and `labs watch --once`, on a database of their own."""

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from asalee_track.cli import app
from asalee_track.config import get_settings

runner = CliRunner()
SAMPLES = Path(__file__).parent / "samples"


@pytest.fixture
def practice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("ASALEE_DATABASE_URL", f"sqlite:///{tmp_path / 'practice.db'}")
    get_settings.cache_clear()
    result = runner.invoke(app, ["practice", "add", "Cabinet des Lilas"])
    assert result.exit_code == 0, result.output
    yield "1"
    get_settings.cache_clear()


def test_import_prints_each_files_report_and_a_dry_run_writes_nothing(practice: str) -> None:
    good, truncated = SAMPLES / "hprim-sante-utf8-lf.hpr", SAMPLES / "hprim-sante-truncated.hpr"
    dry = runner.invoke(app, ["labs", "import", str(good), "--practice", practice, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "ligne 4 : à vérifier HbA1c 7,2 %" in dry.output  # nobody in this practice yet
    result = runner.invoke(app, ["labs", "import", str(good), str(truncated), "--practice", practice])
    assert result.exit_code == 1  # one file refused
    assert (
        "hprim-sante-truncated.hpr (hprim-sante, Laboratoire des Tilleuls) : fichier refusé" in result.output
    )
    assert "ligne 4 : refusé  Le fichier se termine sans son segment L : il est tronqué." in result.output
    again = runner.invoke(app, ["labs", "import", str(good), "--practice", practice])
    assert "fichier déjà importé, rien d’ajouté" in again.output


def test_an_unknown_practice_is_refused(practice: str) -> None:
    result = runner.invoke(app, ["labs", "import", str(SAMPLES / "hl7-adt.hl7"), "--practice", "99"])
    assert result.exit_code == 2 and "practice 99 does not exist" in result.output


def test_watch_once_moves_each_file_with_its_report(practice: str, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in ("hl7-oru-utf8-bom-cr.hl7", "hl7-adt.hl7"):
        shutil.copy(SAMPLES / name, inbox / name)
    result = runner.invoke(app, ["labs", "watch", str(inbox), "--practice", practice, "--once"])
    assert result.exit_code == 0, result.output
    assert "2 file(s) processed" in result.output
    assert (inbox / "done" / "hl7-oru-utf8-bom-cr.hl7").exists()
    assert (inbox / "refused" / "hl7-adt.hl7").exists()
    report = (inbox / "refused" / "hl7-adt.hl7.rapport.txt").read_text(encoding="utf-8")
    assert "seuls les résultats (ORU^R01) sont importés" in report
    assert not any(p.is_file() for p in inbox.iterdir())
