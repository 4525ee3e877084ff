"""`asalee-track export ...`: FHIR exports from the command line, for whoever runs the server.

`export patient ID` writes one patient's record as a collection Bundle; `export practice --ndjson DIR`
writes one NDJSON file per resource type, streamed like a Bulk Data export. Both are audited.
"""

import sys
from pathlib import Path
from typing import Annotated

import orjson
import typer
from sqlalchemy.engine import Engine
from sqlmodel import Session

from asalee_track.care import accounts, audit, patients
from asalee_track.config import get_settings
from asalee_track.fhir import bulk, bundles, sources
from asalee_track.fhir.catalog import load_catalog
from asalee_track.fhir.errors import FhirError
from asalee_track.fhir.search import date_range
from asalee_track.store.db import make_engine, transaction

export_app = typer.Typer(help="FHIR R4 exports.", no_args_is_help=True)
DEFAULT_BASE = "http://localhost:8000/fhir"
PracticeOption = Annotated[
    int | None, typer.Option("--practice", help="Practice id (optional when it is implied or the only one).")
]


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


def _practice_of_patient(engine: Engine, patient_id: str, practice: int | None) -> int:
    with Session(engine) as db:
        holder = patients.practice_of(db, patient_id)
    if holder is None or (practice is not None and holder != practice):
        raise _fail(f"no patient {patient_id} in " + (f"practice {practice}" if practice else "the database"))
    return holder


def _the_practice(engine: Engine, practice: int | None) -> int:
    with Session(engine) as db:
        ids = accounts.practice_ids(db)
    if practice is not None:
        if practice not in ids:
            raise _fail(f"no practice {practice}; known: {', '.join(map(str, ids)) or 'none'}")
        return practice
    if len(ids) != 1:
        raise _fail(f"several practices ({', '.join(map(str, ids))}): choose one with --practice", 2)
    return ids[0]


@export_app.command("patient")
def export_patient(
    patient_id: str,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="File to write (default: stdout).")
    ] = None,
    practice: PracticeOption = None,
    base_url: Annotated[str, typer.Option(help="Server base for the entries' fullUrl.")] = DEFAULT_BASE,
) -> None:
    """One patient's record as a FHIR collection Bundle (JSON)."""
    settings = get_settings()
    engine = make_engine(settings.database_url)
    practice_id = _practice_of_patient(engine, patient_id, practice)
    catalog = load_catalog(Path(settings.protocols_dir))
    with transaction(engine) as db:
        try:
            bundle = bundles.patient_collection(
                db.connection(), practice_id, patient_id, catalog, base_url.rstrip("/")
            )
        except FhirError as error:
            raise _fail(error.diagnostics) from None
        audit.record(
            db,
            None,
            "export",
            "Patient",
            patient_id,
            patient_id=patient_id,
            practice_id=practice_id,
            detail="CLI: collection Bundle",
        )
    data = orjson.dumps(bundle, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(data)
    typer.echo(f"{len(bundle.get('entry', []))} resources written to {output}", err=True)


@export_app.command("practice")
def export_practice(
    ndjson: Annotated[Path, typer.Option("--ndjson", help="Directory for the NDJSON files.")],
    practice: PracticeOption = None,
    types: Annotated[str | None, typer.Option("--type", help="Comma-separated resource types.")] = None,
    since: Annotated[str | None, typer.Option(help="Only what changed since (FHIR instant or date).")] = None,
) -> None:
    """A whole practice as NDJSON, one file per resource type (like a Bulk Data system export)."""
    settings = get_settings()
    engine = make_engine(settings.database_url)
    practice_id = _the_practice(engine, practice)
    wanted = tuple(t for t in (types or "").split(",") if t) or sources.RESOURCE_TYPES
    unknown = sorted(set(wanted) - set(sources.RESOURCE_TYPES))
    if unknown:
        raise _fail(f"unknown type(s) {', '.join(unknown)}; known: {', '.join(sources.RESOURCE_TYPES)}", 2)
    try:
        start = date_range(since)[0] if since else None
    except FhirError as error:
        raise _fail(error.diagnostics, 2) from None
    scope = sources.Scope(practice_id, since=start)
    with bulk.export_connection(engine) as conn:
        outputs = bulk.write_ndjson(conn, scope, wanted, ndjson, load_catalog(Path(settings.protocols_dir)))
    with transaction(engine) as db:
        audit.record(
            db,
            None,
            "export",
            "Practice",
            practice_id,
            practice_id=practice_id,
            detail="CLI NDJSON: " + ", ".join(f"{o.type} {o.count}" for o in outputs),
        )
    for item in outputs:
        typer.echo(f"{item.count:>9}  {item.path}")
    typer.echo(f"{sum(o.count for o in outputs)} resources in {len(outputs)} files")
