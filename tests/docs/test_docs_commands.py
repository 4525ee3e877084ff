"""Every command of the guides runs: the shell blocks of docs/*.md are executed, the FHIR ones against a
live server with a real token, the operator's ones in a practice's installation folder."""

import subprocess
from pathlib import Path

import pytest

from asalee_track.protocols import check_text
from tests.docs.conftest import (
    BIN,
    DOCS,
    EXAMPLE_FHIR_BASE,
    EXAMPLE_PATIENT,
    EXAMPLE_TOKEN,
    ROOT,
    Installation,
    blocks,
    commands,
    not_run,
    run_blocks,
    runnable,
    shell_env,
)
from tests.fhir.conftest import add_record, new_token

PAGES = sorted(path.name for path in DOCS.glob("*.md"))
# Commands that would serve forever: listed in ```sh no-run blocks, each proved by another command.
NOT_RUN = {
    ("asalee-track", "serve"): [str(BIN / "asalee-track"), "serve", "--help"],
    ("make", "install"): ["make", "-n", "install"],
}


def test_the_guides_have_commands_to_run() -> None:
    assert runnable("fhir.md") and runnable("exploitation.md") and runnable("protocoles.md")


def test_fhir_guide_commands_run_against_a_live_server(
    fhir_server: str, engine, world, make_patient, tmp_path: Path
) -> None:
    patient = make_patient(referring_gp_id=str(world.gp.id), local_id="DOS-42")
    add_record(engine, world, patient)
    token = new_token(engine, world, name="FHIR guide")
    substitutions = {
        EXAMPLE_FHIR_BASE: f"{fhir_server}/fhir",
        EXAMPLE_TOKEN: token,
        EXAMPLE_PATIENT: patient.id,
    }
    text = (DOCS / "fhir.md").read_text(encoding="utf-8")
    assert all(example in text for example in substitutions), "the guide defines BASE, TOKEN, PATIENT"

    run = run_blocks(runnable("fhir.md"), tmp_path, shell_env(tmp_path), substitutions, timeout=60)

    assert run.returncode == 0, run.report()
    for resource_type in ("Patient", "Encounter", "Observation"):
        downloaded = tmp_path / f"{resource_type}.ndjson"
        assert downloaded.is_file() and downloaded.read_text().strip(), f"{resource_type}.ndjson downloaded"
    assert run.output.rstrip().endswith("404"), "after DELETE the status URL is gone"


def test_operator_guide_commands_run_in_an_installation(installation: Installation) -> None:
    password = "mot-de-passe-long-2026\n"
    run = run_blocks(
        runnable("exploitation.md"),
        installation.path,
        installation.env,
        {EXAMPLE_PATIENT: installation.patient_id},
        stdin=password * 2,
    )

    assert run.returncode == 0, run.report()
    assert "audit chains intact" in run.output
    assert list((installation.path / "sauvegardes").glob("*.db")), "a backup was written"


def test_protocol_guide_commands_run_with_the_worked_example(installation: Installation) -> None:
    example = worked_example()
    name = example.text.splitlines()[0].removeprefix("#").strip()
    assert name.startswith("protocols/") and name.endswith(".yaml"), "the example names its file"
    (installation.path / name).write_text(example.text, encoding="utf-8")

    run = run_blocks(runnable("protocoles.md"), installation.path, installation.env)

    assert run.returncode == 0, run.report()
    assert "8 protocols valid" in run.output


def worked_example():  # type: ignore[no-untyped-def]
    complete = [b for b in blocks("protocoles.md", "yaml") if "\nmeasures:" in b.text and "\nid:" in b.text]
    assert len(complete) == 1, "protocoles.md has one complete protocol, the worked example"
    return complete[0]


def test_the_worked_example_is_a_valid_protocol() -> None:
    protocol, errors = check_text(worked_example().text, "example.yaml")
    assert errors == [] and protocol is not None


@pytest.mark.parametrize("page", PAGES)
def test_commands_not_run_are_few_and_proved(page: str) -> None:
    for block in not_run(page):
        for argv in commands(block):
            key = tuple(argv[:2])
            assert key in NOT_RUN, f"{block.where}: `{' '.join(argv)}` is not run by any test"
            proof = subprocess.run(NOT_RUN[key], cwd=ROOT, capture_output=True, text=True, timeout=60)
            assert proof.returncode == 0, proof.stdout + proof.stderr
            for option in (arg.split("=")[0] for arg in argv[2:] if arg.startswith("--")):
                assert option in proof.stdout, f"{block.where}: {option} is not an option of {key}"


@pytest.mark.parametrize("page", PAGES)
def test_shell_blocks_are_marked(page: str) -> None:
    """Commands sit in ```sh blocks (run) or ```sh no-run (proved); no ```bash or ```shell slips past."""
    for block in blocks(page):
        assert block.language not in ("bash", "shell", "console", "zsh"), f"{block.where}: use ```sh"
        assert set(block.flags) <= {"no-run"}, f"{block.where}: unknown flag in {block.info!r}"
