"""asalee-track: follow-up of chronic patients in nurse–GP cooperation (Asalée-style pathways)."""

from pathlib import Path

__version__ = "0.1.0"

# The card fixes templates/ and protocols/ at the top of the project, beside the package.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
