"""The `asalee-track` command: serve, database, demo data, users, backups, audit, protocols."""

import sqlite3
import time
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.engine import Engine, make_url

from asalee_track.care import accounts, audit, demo
from asalee_track.care.errors import Invalid, NotFound
from asalee_track.cli_export import export_app
from asalee_track.cli_labs import labs_app
from asalee_track.config import get_settings
from asalee_track.protocols import check_paths, load_protocols, summary
from asalee_track.store import migrate
from asalee_track.store.db import make_engine, transaction
from asalee_track.web.server import uvicorn_options

app = typer.Typer(help="asalee-track: nurse–GP follow-up of chronic patients.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
user_app = typer.Typer(help="Users.", no_args_is_help=True)
practice_app = typer.Typer(help="Practices.", no_args_is_help=True)
audit_app = typer.Typer(help="Audit trail.", no_args_is_help=True)
protocols_app = typer.Typer(help="Care protocols (YAML).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(practice_app, name="practice")
app.add_typer(audit_app, name="audit")
app.add_typer(protocols_app, name="protocols")
app.add_typer(export_app, name="export")
app.add_typer(labs_app, name="labs")


def _engine() -> Engine:
    return make_engine(get_settings().database_url)


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000, workers: int = 1) -> None:
    """Upgrade the database, then serve the web application."""
    import uvicorn

    from asalee_track.web.app import production_problems

    _, errors = check_paths([get_settings().protocols_dir])
    if errors:  # refuse to start on a broken protocol, saying what to fix, rather than half-run
        for error in errors:
            typer.echo(str(error), err=True)
        raise typer.Exit(1)
    settings = get_settings()
    engine = _engine()
    for line in migrate.upgrade(engine):
        typer.echo(f"database upgraded: {line}")
    with transaction(engine) as db:
        problems = production_problems(db, settings)
    if problems:  # said here, plainly, rather than as a traceback from every worker
        for problem in problems:
            typer.echo(f"production mode: {problem}", err=True)
        raise typer.Exit(1)
    uvicorn.run(
        "asalee_track.web.main:app",
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        forwarded_allow_ips=settings.trusted_proxies,
        **uvicorn_options(settings),
    )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema to the latest version (Alembic)."""
    applied = migrate.upgrade(_engine())
    if not applied:
        typer.echo("database already up to date: nothing to do")
        return
    typer.echo(f"{len(applied)} migration(s) applied:")
    for line in applied:
        typer.echo(f"  {line}")
    typer.echo("database is up to date")


@app.command("demo")
def load_demo(
    if_empty: Annotated[bool, typer.Option(help="Do nothing if data exists.")] = False, patients: int = 40
) -> None:
    """Load a demo practice, its team and patients, and print the logins."""
    engine = _engine()
    migrate.upgrade(engine)
    with transaction(engine) as db:
        if demo.has_data(db):
            if if_empty:
                typer.echo("demo data already loaded")
                return
            typer.echo(
                "the database already holds data; demo data is loaded only into an empty one", err=True
            )
            raise typer.Exit(1)
        protocols = load_protocols(get_settings().protocols_dir)
        typer.echo(f"loading the demo practice ({patients} patients, years of follow-up; under a minute)")
        started = time.monotonic()
        logins = demo.create_demo(
            db, protocols, patient_count=patients, progress=lambda line: typer.echo(f"  {line}")
        )
    typer.echo(f"demo loaded in {time.monotonic() - started:.0f} s")
    typer.echo(f"Demo logins (password for all: {demo.DEMO_PASSWORD}):")
    for login in logins:
        typer.echo(f"  {login.role:6} {login.email}")


@practice_app.command("add")
def practice_add(
    name: str,
    finess: Annotated[str | None, typer.Option(help="9-digit FINESS number.")] = None,
    address: str | None = None,
) -> None:
    """Create a practice; prints its number, which `user add --practice` takes."""
    if finess is not None and not (len(finess) == 9 and finess.isalnum()):
        typer.echo("finess: 9 characters (digits, or 2A/2B for Corsica)", err=True)
        raise typer.Exit(1)
    engine = _engine()
    migrate.upgrade(engine)
    with transaction(engine) as db:
        practice = accounts.create_practice(db, name, finess=finess, address=address)
    typer.echo(f"practice {practice.id} created: {practice.name}")


@user_app.command("add")
def user_add(
    email: str,
    name: str,
    role: str,
    practice_id: Annotated[list[int], typer.Option("--practice")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            help="Asked twice, without echo, when left out (the safer way: it stays out of the history).",
        ),
    ] = "",
    rpps: str | None = None,
) -> None:
    """Create a user (nurse, gp or admin) in one or more practices."""
    engine = _engine()
    try:
        with transaction(engine) as db:
            user = accounts.create_user(db, email, name, role, password, practice_id, rpps=rpps)
    except Invalid as refused:
        for field, (message, params) in refused.errors.items():
            typer.echo(f"{field}: {message % params if params else message}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"user {user.id} created: {user.email} ({user.role})")


@user_app.command("deactivate")
def user_deactivate(email: str) -> None:
    """Close an account (someone left the practice): every open session ends now; the history stays."""
    try:
        with transaction(_engine()) as db:
            user = accounts.deactivate(db, email)
    except NotFound:
        typer.echo(f"no user {email}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"user {user.id} deactivated: {user.email}")


@app.command()
def backup(destination: Path) -> None:
    """A consistent copy of the live SQLite database (online backup: the app may keep running)."""
    url = make_url(get_settings().database_url)
    if url.get_backend_name() != "sqlite" or not url.database:
        typer.echo("backup copies SQLite databases; for PostgreSQL use pg_dump", err=True)
        raise typer.Exit(2)
    if destination.exists():
        typer.echo(f"{destination} exists already; choose a new file", err=True)
        raise typer.Exit(1)
    destination.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(url.database)
    target = sqlite3.connect(destination)
    try:
        with target:
            source.backup(target)
        result = target.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        target.close()
        source.close()
    if result != "ok":
        typer.echo(f"the copy failed its integrity check: {result}", err=True)
        raise typer.Exit(1)
    typer.echo(f"backup written to {destination} (integrity ok)")


@protocols_app.command("check")
def protocols_check(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders.")] = None,
) -> None:
    """Validate protocol files: every error with file:line:column and how to fix it."""
    checked, errors = check_paths(paths or [get_settings().protocols_dir])
    for error in errors:
        typer.echo(str(error), err=True)
    if errors:
        typer.echo(f"{len(errors)} error(s)", err=True)
        raise typer.Exit(1)
    typer.echo(summary(checked))


@audit_app.command("verify")
def audit_verify(
    anchors: Annotated[
        Path | None, typer.Option(help="A file written by `audit anchor`: the chains must still hold it.")
    ] = None,
) -> None:
    """Check every practice's audit chain: any modified, inserted or removed event is reported."""
    anchored = []
    if anchors is not None:
        lines = anchors.read_text(encoding="utf-8").splitlines() if anchors.exists() else []
        anchored = [audit.Anchor.parse(line) for line in lines if line.strip()]
    with transaction(_engine()) as db:
        report = audit.verify(db, anchored)
    for problem in report.problems:
        typer.echo(problem, err=True)
    if not report.ok:
        raise typer.Exit(1)
    checked = f", {len(anchored)} anchors held" if anchors is not None else ""
    typer.echo(f"audit chains intact: {report.checked} events in {report.chains} chains{checked}")


@audit_app.command("anchor")
def audit_anchor(
    file: Annotated[
        Path | None, typer.Option(help="Append the heads to this file (kept outside the database).")
    ] = None,
) -> None:
    """Write each chain's head (length and last hash) outside the database, for `audit verify --anchors`:
    to a file on another disk, or printed for a remote log."""
    with transaction(_engine()) as db:
        lines = [anchor.line() for anchor in audit.heads(db)]
    if file is None:
        typer.echo("\n".join(lines))
        return
    with file.open("a", encoding="utf-8") as out:
        out.write("".join(line + "\n" for line in lines))
    typer.echo(f"{len(lines)} chain heads appended to {file}")
