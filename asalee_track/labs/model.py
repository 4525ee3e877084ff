"""What a lab file says, format aside: who the patient is, and each result with the line it came from."""

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class Identity:
    """The patient as the lab wrote them. Names as written; matching folds them."""

    birth_name: str
    given: str
    birth_date: date | None
    sex: str | None  # female, male, or None when the file does not say
    used_name: str | None = None
    ins: str | None = None
    lab_patient_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "birth_name": self.birth_name,
            "used_name": self.used_name,
            "given": self.given,
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
            "sex": self.sex,
            "ins": self.ins,
            "lab_patient_id": self.lab_patient_id,
        }


@dataclass(frozen=True)
class Result:
    """One analyte of one request. ``order`` and ``test`` together name it across corrections."""

    line: int
    identity: Identity
    order: str
    label: str
    code: str | None
    loinc: str | None
    value: str  # as written: "7,2", ">10", "voir commentaire"
    unit: str | None  # as written
    specimen_at: datetime | None
    reported_at: datetime | None
    lab: str | None
    reference: str | None = None
    flag: str | None = None
    corrected: bool = False
    alternatives: tuple[tuple[str, str], ...] = ()  # the same value in other units (HPRIM Net)

    @property
    def test(self) -> str:
        """What the lab measured, stable across a correction: its LOINC, else its code, else its label."""
        return self.loinc or self.code or self.label.strip().lower()


@dataclass(frozen=True)
class Problem:
    """A line that could not be read. ``message`` is an English message id (translated where shown),
    ``params`` fill its ``%(name)s`` placeholders. ``fatal`` problems refuse the whole file."""

    line: int
    message: str
    params: dict[str, Any] = field(default_factory=dict)
    fatal: bool = False


@dataclass
class LabFile:
    format: str  # hprim-sante, hprim-net, hl7-oru
    encoding: str
    lab: str | None = None
    results: list[Result] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        """A file that cannot be trusted as a whole (truncated, unknown format) imports nothing."""
        return any(problem.fatal for problem in self.problems)
