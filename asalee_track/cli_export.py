"""`asalee-track export ...`: FHIR exports from the command line (filled in with the FHIR issue)."""

import typer

export_app = typer.Typer(help="FHIR R4 exports.", no_args_is_help=True)
