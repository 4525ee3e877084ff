"""Fixtures of the documentation tests: the Markdown blocks of docs/*.md, a shell that runs them, a
practice's installation folder for the command-line guides, and a live server for the FHIR guide.

Conventions in the Markdown (see docs/exploitation.md, docs/fhir.md, docs/protocoles.md):
- a fenced block opened with ```sh is run, block after block, in one bash process per page, with
  `set -euo pipefail`: any failing command fails the test;
- a block opened with ```sh no-run is not run; each of its commands must be one that
  test_docs_commands.NOT_RUN knows and proves another way (e.g. `serve --help`);
- placeholders (the example FHIR base, token and patient id) are replaced by real values.
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from asalee_track.care import audit, demo
from asalee_track.config import Settings
from asalee_track.fhir.bulk import ExportWorker
from asalee_track.protocols import load_protocols
from asalee_track.store import migrate
from asalee_track.store.db import make_engine, transaction
from asalee_track.store.tables import Patient
from tests.servers import serving

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
BIN = Path(sys.executable).parent  # the virtualenv's bin/, where `asalee-track` is installed

# The example values written in the guides, replaced by real ones when the commands run.
EXAMPLE_FHIR_BASE = "https://asalee.example.org/fhir"
EXAMPLE_TOKEN = "PASTE-YOUR-TOKEN-HERE"
EXAMPLE_PATIENT = "2f0c1a8e-5b1d-4c3e-9a7f-1e2d3c4b5a69"

# A fenced block, possibly indented inside a list item: indent, info string, body.
FENCE = re.compile(r"^([ \t]*)```([^\n]*)\n(.*?)^\1```[ \t]*$", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Block:
    page: str
    line: int
    info: str  # what follows the opening backticks: "sh", "sh no-run", "yaml"…
    text: str

    @property
    def language(self) -> str:
        return self.info.split()[0] if self.info.split() else ""

    @property
    def flags(self) -> list[str]:
        return self.info.split()[1:]

    @property
    def where(self) -> str:
        return f"docs/{self.page}:{self.line}"


def blocks(page: str, language: str | None = None) -> list[Block]:
    text = (DOCS / page).read_text(encoding="utf-8")
    found = [
        Block(
            page,
            text.count("\n", 0, match.start()) + 1,
            match.group(2).strip(),
            textwrap.dedent(match.group(3)),
        )
        for match in FENCE.finditer(text)
    ]
    return [b for b in found if language is None or b.language == language]


def runnable(page: str) -> list[Block]:
    """The ```sh blocks of a page that the tests run (not the `no-run` ones)."""
    return [b for b in blocks(page, "sh") if "no-run" not in b.flags]


def not_run(page: str) -> list[Block]:
    return [b for b in blocks(page, "sh") if "no-run" in b.flags]


def commands(block: Block) -> list[list[str]]:
    """The commands of a block as argument lists (continuation lines joined, comments dropped)."""
    joined = block.text.replace("\\\n", " ")
    split = (shlex.split(line, comments=True) for line in joined.splitlines())
    return [argv for argv in split if argv]


@dataclass(frozen=True)
class ShellRun:
    returncode: int
    output: str

    def report(self) -> str:
        return f"exit status {self.returncode}; the shell said:\n{self.output[-6000:]}"


def run_blocks(
    page_blocks: list[Block],
    cwd: Path,
    env: dict[str, str],
    substitutions: dict[str, str] | None = None,
    stdin: str = "",
    timeout: float = 120,
) -> ShellRun:
    """Run the blocks in order in one bash process (variables carry over from block to block)."""
    parts = ["set -euo pipefail"]
    for block in page_blocks:
        text = block.text
        for example, real in (substitutions or {}).items():
            text = text.replace(example, real)
        parts.append(f"echo '>>> {block.where}'")
        parts.append(text)
    completed = subprocess.run(
        ["bash", "-c", "\n".join(parts)],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        start_new_session=True,  # no controlling terminal: password prompts read stdin
    )
    return ShellRun(completed.returncode, completed.stdout + completed.stderr)


def shell_env(install: Path, **extra: str) -> dict[str, str]:
    """The environment of an operator's shell in the installation folder, on its own SQLite database."""
    env = {
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(install),
        "LANG": "C.UTF-8",
        "ASALEE_DATABASE_URL": f"sqlite:///{install / 'var' / 'asalee.db'}",
        "ASALEE_SECRET_KEY": "docs-test-secret-" + "x" * 32,
        "ASALEE_EXPORT_DIR": str(install / "var" / "exports"),
        "ASALEE_PROTOCOLS_DIR": str(install / "protocols"),
    }
    env.update(extra)
    return env


# ---------------------------------------------------------------------------------------------------
# A practice's installation folder: protocols/, var/asalee.db with a small demo practice


@dataclass(frozen=True)
class Installation:
    path: Path
    env: dict[str, str]
    patient_id: str


@pytest.fixture
def installation(tmp_path: Path, settings: Settings) -> Iterator[Installation]:
    """What the operator guide assumes: the application installed, its database holding a practice
    (whose audit chain is keyed with the installation's own secret, as its commands will check)."""
    install = tmp_path / "asalee-track"
    shutil.copytree(ROOT / "protocols", install / "protocols")
    (install / "var").mkdir()
    env = shell_env(install)
    engine = make_engine(f"sqlite:///{install / 'var' / 'asalee.db'}")
    migrate.upgrade(engine)
    audit.use_key(Settings(secret_key=env["ASALEE_SECRET_KEY"]).resolved_audit_key())
    try:
        with transaction(engine) as db:
            demo.create_demo(db, load_protocols(install / "protocols"), patient_count=3)
            patient = db.exec(select(Patient).order_by(Patient.family_name)).first()
            assert patient is not None
            patient_id = patient.id
    finally:
        audit.use_key(settings.resolved_audit_key())
    engine.dispose()
    yield Installation(install, env, patient_id)


# ---------------------------------------------------------------------------------------------------
# A live server with its Bulk Data worker, for the FHIR guide


@pytest.fixture(scope="module")
def fhir_server(app, engine: Engine) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The shared test application on loopback, with an export worker running for this module only
    (so that it never races the Bulk Data tests for their jobs)."""
    worker = ExportWorker(engine, app.state.settings, interval=0.2)
    worker.start()
    try:
        with serving(app) as base:
            yield base
    finally:
        worker.stop()
