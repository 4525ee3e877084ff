"""HPRIM Santé 2.x: segments H (header, separators), P (patient), OBR (request), OBX (result),
C (comment), L (end, with counts). Fields are placed as in HL7 v2 ORU, of which it is a sibling;
the component separator is declared in H (usually ``~``)."""

from asalee_track.i18n import N_

from . import records
from .model import Identity, LabFile, Problem
from .segments import Segment, separators_from, split
from .values import NIR_SHAPE, SEXES, hl7_date

KNOWN = {"H", "P", "OBR", "OBX", "C", "L", "A", "AP", "AC", "ACT", "REG", "FAC"}


def looks_like(lines: list[str]) -> bool:
    return bool(lines) and lines[0].startswith("H") and separators_from(lines[0], "H") is not None


def parse(lines: list[str], encoding: str) -> LabFile:
    seps = separators_from(lines[0], "H")
    assert seps is not None
    found = LabFile("hprim-sante", encoding)
    header = split(1, lines[0], seps)
    assert header is not None
    sender = header.components(4)
    found.lab = (sender[1] if len(sender) > 1 and sender[1] else sender[0]) or None
    identity: Identity | None = None
    req: records.Request | None = None
    patients = 0
    ended: Segment | None = None
    for number, raw in enumerate(lines[1:], start=2):
        if not raw.strip():
            continue
        if ended is not None:
            found.problems.append(Problem(number, N_("Text after the end segment L: ignored.")))
            break
        segment = split(number, raw, seps)
        if segment is None:
            found.problems.append(Problem(number, N_("This line is not a segment.")))
            continue
        if segment.name == "P":
            patients += 1
            identity, req = _patient(segment, found.problems), None
        elif segment.name == "OBR":
            req = records.request(segment, found.problems) if identity is not None else None
        elif segment.name == "OBX":
            if identity is None or req is None:
                found.problems.append(records.orphan(segment))
                continue
            if (result := records.result(segment, identity, req, found.lab, found.problems)) is not None:
                found.results.append(result)
        elif segment.name == "L":
            ended = segment
        elif segment.name not in KNOWN:
            found.problems.append(
                Problem(number, N_("Unknown segment %(segment)s: ignored."), {"segment": segment.name})
            )
    _check_end(found, ended, patients, len(lines))
    return found


def _patient(segment: Segment, problems: list[Problem]) -> Identity | None:
    if len(segment.fields) < 9:
        problems.append(
            Problem(
                segment.line,
                N_("The %(segment)s segment has %(count)d fields; at least %(expected)d are expected."),
                {"segment": "P", "count": len(segment.fields), "expected": 9},
            )
        )
        return None
    name = segment.components(5)
    used, given = name[0], (name[1] if len(name) > 1 else "")
    birth_name = segment.text(6) or used
    try:
        born = hl7_date(segment.text(7))
    except ValueError:
        problems.append(
            Problem(segment.line, N_("Unreadable birth date “%(text)s”."), {"text": segment.text(7)})
        )
        return None
    ins = next(
        (value for value in (segment.text(4), segment.text(2), segment.text(3)) if _is_nir(value)), None
    )
    return Identity(
        birth_name=birth_name,
        used_name=used if used and used != birth_name else None,
        given=given,
        birth_date=born,
        sex=SEXES.get(segment.text(8).upper()[:1]),
        ins=ins,
        lab_patient_id=segment.text(3) or None,
    )


def _is_nir(value: str) -> bool:
    """Shaped like a NIR; its key is checked where it is matched, not here."""
    return NIR_SHAPE.match(value.upper()) is not None


def _check_end(found: LabFile, ended: Segment | None, patients: int, last_line: int) -> None:
    if ended is None:
        found.problems.append(
            Problem(last_line, N_("The file ends without its L segment: it is truncated."), fatal=True)
        )
        return
    announced = ended.text(3)
    if announced.isdigit() and int(announced) != patients:
        found.problems.append(
            Problem(
                ended.line,
                N_("The L segment announces %(announced)s patients, the file holds %(found)d."),
                {"announced": announced, "found": patients},
                fatal=True,
            )
        )
