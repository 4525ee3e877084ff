"""Error types of the protocol engine.

A protocol *file* is wrong (author's mistake): each ``ProtocolError`` carries the file, 1-based line
and column, and a message that says what to fix. A *value typed by a user* that is refused raises
``units.InputRefused`` instead (it needs unit and number formatting, which live in ``units``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class ProtocolError:
    """One problem in one protocol file, e.g. ``protocols/x.yaml:42:7: measure 'hba1c': ...``."""

    path: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


class ProtocolLoadError(Exception):
    """Raised by ``load_protocols`` when at least one file is invalid; lists every error found."""

    def __init__(self, errors: list[ProtocolError]) -> None:
        self.errors = list(errors)
        super().__init__(str(self))

    def __str__(self) -> str:
        count = len(self.errors)
        head = f"{count} error{'s' if count != 1 else ''} in protocol files:"
        return "\n".join([head, *(str(error) for error in self.errors)])


class SchemaIssue(ValueError):
    """Raised inside schema validators; ``loc`` is relative to the model that raised it.

    Pydantic keeps the exception in the error context, so the loader can point at the exact key
    (``target.max``) rather than at the whole measure.
    """

    def __init__(self, message: str, loc: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.loc = loc


class SchemaIssues(ValueError):
    """Several ``SchemaIssue`` raised at once by one validator (a model can be wrong in many ways)."""

    def __init__(self, issues: list[SchemaIssue]) -> None:
        super().__init__("; ".join(issue.message for issue in issues))
        self.issues = issues
