"""What HPRIM Santé and HL7 v2 have in common once the separators are known: the patient, request and
result segments follow one another; each result belongs to the last patient and request above it."""

from dataclasses import dataclass
from datetime import datetime

from asalee_track.i18n import N_

from .model import Identity, Problem, Result
from .segments import Segment
from .values import hl7_datetime

LOINC_SYSTEMS = {"LN", "LOINC", "2.16.840.1.113883.6.1"}
MIN_OBX_FIELDS = 7  # up to the unit: a result without its value or unit cannot be read
MIN_OBR_FIELDS = 4


@dataclass
class Request:
    line: int
    order: str
    specimen_at: datetime | None
    reported_at: datetime | None


def when(segment: Segment, index: int, problems: list[Problem]) -> datetime | None:
    raw = segment.text(index)
    try:
        return hl7_datetime(raw)
    except ValueError:
        problems.append(
            Problem(
                segment.line,
                N_("Unreadable date “%(text)s” in %(segment)s field %(field)d."),
                {"text": raw, "segment": segment.name, "field": index},
            )
        )
        return None


def request(segment: Segment, problems: list[Problem]) -> Request | None:
    if len(segment.fields) < MIN_OBR_FIELDS:
        problems.append(_short(segment, MIN_OBR_FIELDS))
        return None
    order = segment.text(3) or segment.text(2)  # the lab's number, else the prescriber's
    if not order:
        problems.append(Problem(segment.line, N_("The request has no order number.")))
        return None
    return Request(segment.line, order, when(segment, 7, problems), when(segment, 22, problems))


def result(
    segment: Segment,
    identity: Identity,
    req: Request,
    lab: str | None,
    problems: list[Problem],
) -> Result | None:
    if len(segment.fields) < MIN_OBX_FIELDS:
        problems.append(_short(segment, MIN_OBX_FIELDS))
        return None
    code, label, loinc = _coding(segment)
    if not (code or label):
        problems.append(Problem(segment.line, N_("The result does not say what was measured.")))
        return None
    observed = when(segment, 14, problems)
    status = segment.text(11).upper()
    unit_parts = segment.components(6)
    unit = unit_parts[0] or (unit_parts[1] if len(unit_parts) > 1 else "")
    performer = segment.text(23) if len(segment.fields) > 23 else ""
    return Result(
        line=segment.line,
        identity=identity,
        order=req.order,
        label=label or code or "",
        code=code or None,
        loinc=loinc,
        value=segment.seps.unescape(segment.field(5)).strip(),
        unit=unit or None,
        specimen_at=observed or req.specimen_at,
        reported_at=req.reported_at,
        lab=performer or lab,
        reference=segment.text(7) or None,
        flag=segment.text(8) or None,
        corrected=status == "C",
    )


def _coding(segment: Segment) -> tuple[str, str, str | None]:
    """OBX-3: code, label, system, then an alternative code, label, system; HPRIM Santé may repeat the
    field instead. LOINC wherever it sits; the lab's own code and (French) label preferred for the rest."""
    code = label = loinc_label = ""
    loinc = None
    for parts in segment.repetitions(3):
        parts = parts + [""] * (6 - len(parts))
        for offset in (0, 3):
            c, text, system = parts[offset : offset + 3]
            if c and system.upper() in LOINC_SYSTEMS:
                loinc = loinc or c
                loinc_label = loinc_label or text
                continue
            code = code or c
            label = label or text
    return code, label or loinc_label, loinc


def _short(segment: Segment, expected: int) -> Problem:
    return Problem(
        segment.line,
        N_("The %(segment)s segment has %(count)d fields; at least %(expected)d are expected."),
        {"segment": segment.name, "count": len(segment.fields), "expected": expected},
    )


def orphan(segment: Segment) -> Problem:
    return Problem(segment.line, N_("Result without a readable patient and request above it: not imported."))
