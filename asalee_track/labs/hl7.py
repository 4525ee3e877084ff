"""HL7 v2 ORU^R01 (2.3 to 2.5): MSH (separators, sending lab), PID (identifiers, names, birth, sex),
OBR (request: order number, specimen and report times), OBX (results). Other segments (PV1, ORC, NTE,
SPM, Z…) carry nothing we import and are passed over."""

from asalee_track.i18n import N_

from . import records
from .model import Identity, LabFile, Problem
from .segments import Segment, separators_from, split
from .values import NIR_SHAPE, SEXES, hl7_date

# INS-NIR, and the test and demo INS authorities (domain.md §6).
INS_OIDS = ("1.2.250.1.213.1.4.8", "1.2.250.1.213.1.4.10", "1.2.250.1.213.1.4.11")


def looks_like(lines: list[str]) -> bool:
    return bool(lines) and separators_from(lines[0], "MSH") is not None


def parse(lines: list[str], encoding: str) -> LabFile:
    seps = separators_from(lines[0], "MSH")
    assert seps is not None
    found = LabFile("hl7-oru", encoding)
    msh = split(1, lines[0], seps)
    assert msh is not None
    _header(msh, found)
    identity: Identity | None = None
    req: records.Request | None = None
    for number, raw in enumerate(lines[1:], start=2):
        if not raw.strip():
            continue
        segment = split(number, raw, seps)
        if segment is None:
            found.problems.append(Problem(number, N_("This line is not a segment.")))
            continue
        if segment.name == "MSH":  # several messages in one file (batch without FHS/BHS)
            _header(segment, found)
            identity = req = None
        elif segment.name == "PID":
            identity, req = _patient(segment, found.problems), None
        elif segment.name == "OBR":
            req = records.request(segment, found.problems) if identity is not None else None
        elif segment.name == "OBX":
            if identity is None or req is None:
                found.problems.append(records.orphan(segment))
                continue
            if (result := records.result(segment, identity, req, found.lab, found.problems)) is not None:
                found.results.append(result)
    if not any(line.startswith("OBX") for line in lines) and not found.problems:
        found.problems.append(Problem(len(lines), N_("The message holds no result (OBX)."), fatal=True))
    return found


def _header(msh: Segment, found: LabFile) -> None:
    # MSH-1 is the field separator itself, so MSH-n sits at index n-1.
    kind = msh.components(8)
    if kind[:2] != ["ORU", "R01"]:
        found.problems.append(
            Problem(
                msh.line,
                N_("Message type %(type)s: only results (ORU^R01) are imported."),
                {"type": "^".join(kind)},
                fatal=True,
            )
        )
    facility = msh.components(3)
    found.lab = facility[0] or None


def _patient(segment: Segment, problems: list[Problem]) -> Identity | None:
    if len(segment.fields) < 9:
        problems.append(
            Problem(
                segment.line,
                N_("The %(segment)s segment has %(count)d fields; at least %(expected)d are expected."),
                {"segment": "PID", "count": len(segment.fields), "expected": 9},
            )
        )
        return None
    ins = lab_id = None
    for parts in segment.repetitions(3):
        value = parts[0]
        authority = parts[3] if len(parts) > 3 else ""
        if any(oid in authority for oid in INS_OIDS) and NIR_SHAPE.match(value.upper()):
            ins = value.upper()
        elif value and lab_id is None:
            lab_id = value
    birth_name = used_name = given = ""
    for parts in segment.repetitions(5):
        parts = parts + [""] * (7 - len(parts))
        family, first, kind = parts[0], parts[1], parts[6].upper()
        if kind == "D" and family:  # IHE PAM France: D = nom d'usage, L = nom de naissance
            used_name = used_name or family
        elif family and not birth_name:
            birth_name = family
        given = given or first
    try:
        born = hl7_date(segment.text(7))
    except ValueError:
        problems.append(
            Problem(segment.line, N_("Unreadable birth date “%(text)s”."), {"text": segment.text(7)})
        )
        return None
    return Identity(
        birth_name=birth_name or used_name,
        used_name=used_name if used_name and used_name != birth_name else None,
        given=given,
        birth_date=born,
        sex=SEXES.get(segment.text(8).upper()[:1]),
        ins=ins,
        lab_patient_id=lab_id,
    )
