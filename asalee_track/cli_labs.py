"""`asalee-track labs import FILE... --practice N [--dry-run]` and `labs watch DIR --practice N`.

The watcher polls a folder (a secure-mail client drops lab files there), imports each file that has
stopped growing, and moves it to done/ or refused/ with its report beside it (FILE.rapport.txt).
"""

import time
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.engine import Engine

from asalee_track.care import lab_wording, labs
from asalee_track.config import get_settings
from asalee_track.protocols import ProtocolSet, load_protocols
from asalee_track.store import migrate
from asalee_track.store.db import make_engine, transaction
from asalee_track.store.tables import Practice

labs_app = typer.Typer(help="Lab result files (HPRIM Santé, HPRIM Net, HL7 v2 ORU).", no_args_is_help=True)


def render(summary: labs.Summary) -> str:
    """The file's report in French: counts first, then each line with its reason."""
    head = f"{summary.file_name} ({summary.format}, {summary.lab or 'laboratoire inconnu'})"
    if summary.already:
        head += " : fichier déjà importé, rien d’ajouté"
    elif summary.refused:
        head += " : fichier refusé, rien d’importé"
    counts = ", ".join(f"{lab_wording.outcome(k, 'fr')} {v}" for k, v in summary.counts.items())
    lines = [head, counts]
    for line in summary.lines:
        reason = lab_wording.reason(line.reason, line.params, "fr")
        what = " ".join(part for part in (line.label, line.value, line.unit or "") if part)
        who = f" [{line.patient}]" if line.patient else ""
        outcome = lab_wording.outcome(line.outcome, "fr")
        lines.append(f"  ligne {line.line} : {outcome} {what}{who} {reason}".rstrip())
    return "\n".join(lines) + "\n"


def _setup(practice_id: int) -> tuple[Engine, ProtocolSet]:
    settings = get_settings()
    engine = make_engine(settings.database_url)
    migrate.upgrade(engine)
    with transaction(engine) as db:
        if db.get(Practice, practice_id) is None:
            typer.echo(f"practice {practice_id} does not exist", err=True)
            raise typer.Exit(2)
    return engine, load_protocols(settings.protocols_dir)


@labs_app.command("import")
def import_files(
    files: Annotated[list[Path], typer.Argument(help="Lab result files.")],
    practice: Annotated[int, typer.Option("--practice", help="Practice number.")],
    dry_run: Annotated[bool, typer.Option(help="Report what would be imported; write nothing.")] = False,
) -> None:
    """Import lab result files for a practice and print each file's report."""
    engine, protocols = _setup(practice)
    refused = 0
    for path in files:
        if not path.is_file():
            typer.echo(f"{path}: no such file", err=True)
            refused += 1
            continue
        with transaction(engine) as db:
            summary = labs.import_file(db, protocols, practice, path.name, path.read_bytes(), dry_run=dry_run)
        refused += summary.refused
        typer.echo(render(summary))
    if refused:
        raise typer.Exit(1)


def watch_once(
    engine: Engine, protocols: ProtocolSet, folder: Path, practice: int, seen: dict[Path, int]
) -> int:
    """One pass: files whose size has not changed since the previous pass are imported and moved."""
    moved = 0
    for sub in ("done", "refused"):
        (folder / sub).mkdir(exist_ok=True)
    for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
        size = path.stat().st_size
        if seen.get(path) != size:  # still arriving, or first sight: look again next pass
            seen[path] = size
            continue
        with transaction(engine) as db:
            summary = labs.import_file(db, protocols, practice, path.name, path.read_bytes())
        target = folder / ("refused" if summary.refused else "done") / path.name
        if target.exists():
            target = target.with_name(f"{path.stem}.{int(time.time())}{path.suffix}")
        path.rename(target)
        target.with_name(target.name + ".rapport.txt").write_text(render(summary), encoding="utf-8")
        seen.pop(path, None)
        moved += 1
    return moved


@labs_app.command("watch")
def watch(
    folder: Annotated[Path, typer.Argument(help="Folder where lab files arrive.")],
    practice: Annotated[int, typer.Option("--practice", help="Practice number.")],
    interval: Annotated[float, typer.Option(help="Seconds between passes.")] = 10.0,
    once: Annotated[bool, typer.Option(help="Import what is there and stop.")] = False,
) -> None:
    """Import files as they arrive; each goes to done/ or refused/ with its report. Ctrl-C stops."""
    if not folder.is_dir():
        typer.echo(f"{folder}: not a folder", err=True)
        raise typer.Exit(2)
    engine, protocols = _setup(practice)
    seen: dict[Path, int] = {}
    if once:  # two passes: the size check needs a previous look
        watch_once(engine, protocols, folder, practice, seen)
        moved = watch_once(engine, protocols, folder, practice, seen)
        typer.echo(f"{moved} file(s) processed")
        return
    try:
        while True:
            moved = watch_once(engine, protocols, folder, practice, seen)
            if moved:
                typer.echo(f"{moved} file(s) processed")
            time.sleep(interval)
    except KeyboardInterrupt:
        typer.echo("stopped")
