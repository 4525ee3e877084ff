"""HPRIM Médecins / HPRIM Net: per patient, a header of twelve lines, free text, then structured
results between ``****LAB****`` and ``****FINLAB****``; each patient's message ends with ``****FIN****``
and the file with ``****FINFICHIER****`` (or the last ``****FIN****``).

Header lines, in order: file id, name, first name, two address lines, postcode and town, birth date
(JJ/MM/AAAA), NIR, the lab's file number, the request date, sender, recipient. Each GP software fills
them its own way, so the reader is liberal about spacing and empty lines, and the matcher is strict.

``RES|label|code|type|value|unit|low|high|flag|status|unit 2|value 2|low 2|high 2``: the second set
gives the same value in another unit (glucose in g/L and mmol/L).
"""

import re
from datetime import date

from asalee_track.i18n import N_

from .model import Identity, LabFile, Problem, Result
from .values import NIR_SHAPE, at_noon, french_date

HEADER_LINES = 12
_MARK = re.compile(r"^\s*\*{4}\s*([A-Z]+)\s*\*{4}\s*$")
MIN_RES_FIELDS = 6  # up to the unit


def looks_like(lines: list[str]) -> bool:
    return any(_marker(line) in {"LAB", "FIN", "FINFICHIER"} for line in lines)


def _marker(line: str) -> str | None:
    match = _MARK.match(line)
    return match.group(1) if match else None


def parse(lines: list[str], encoding: str) -> LabFile:
    found = LabFile("hprim-net", encoding)
    start = 0
    closed = False
    for number, line in enumerate(lines):
        mark = _marker(line)
        if mark in {"FIN", "FINFICHIER"}:
            _message(lines, start, number, found)
            start = number + 1
            if mark == "FINFICHIER":
                closed = True
                break
    if not closed:
        tail = [line for line in lines[start:] if line.strip()]
        if tail or start == 0:
            found.problems.append(
                Problem(len(lines), N_("The file ends without ****FIN****: it is truncated."), fatal=True)
            )
    return found


def _message(lines: list[str], start: int, end: int, found: LabFile) -> None:
    """One patient: lines[start:end] (end is the ****FIN**** line, 0-based)."""
    while start < end and not lines[start].strip():
        start += 1  # blank lines some software leaves between messages
    if start == end:
        return
    header = [line.strip() for line in lines[start : start + HEADER_LINES]]
    first = start + 1  # 1-based number of the header's first line
    if len(header) < HEADER_LINES or any(_marker(line) for line in header):
        found.problems.append(
            Problem(first, N_("The patient header has fewer than twelve lines: results not imported."))
        )
        return
    identity, day = _identity(header, first, found.problems)
    lab = header[10] or None
    found.lab = found.lab or lab
    in_lab = False
    for index in range(start + HEADER_LINES, end):
        number, raw = index + 1, lines[index]
        mark = _marker(raw)
        if mark == "LAB":
            in_lab = True
        elif mark == "FINLAB":
            in_lab = False
        elif in_lab and raw.startswith("RES"):
            if identity is None:
                found.problems.append(
                    Problem(
                        number, N_("Result without a readable patient and request above it: not imported.")
                    )
                )
                continue
            result = _result(number, raw, identity, header[8] or header[0], day, lab, found.problems)
            if result is not None:
                found.results.append(result)
    if in_lab:
        found.problems.append(Problem(end + 1, N_("****LAB**** is not closed by ****FINLAB****.")))


def _identity(header: list[str], first: int, problems: list[Problem]) -> tuple[Identity | None, date | None]:
    try:
        born = french_date(header[6])
    except ValueError:
        problems.append(Problem(first + 6, N_("Unreadable birth date “%(text)s”."), {"text": header[6]}))
        return None, None
    try:
        day = french_date(header[9])
    except ValueError:
        problems.append(Problem(first + 9, N_("Unreadable date “%(text)s”."), {"text": header[9]}))
        day = None
    nir = re.sub(r"[\s.]", "", header[7]).upper()
    ins = nir if NIR_SHAPE.match(nir) else None
    # The header has no sex line: a NIR's first digit gives it (1, 3, 7 men; 2, 4, 8 women).
    sex = {"1": "male", "3": "male", "7": "male", "2": "female", "4": "female", "8": "female"}.get(nir[:1])
    return (
        Identity(
            birth_name=header[1],
            given=header[2],
            birth_date=born,
            sex=sex,
            ins=ins,
            lab_patient_id=header[0] or None,
        ),
        day,
    )


def _result(
    number: int,
    raw: str,
    identity: Identity,
    order: str,
    day: date | None,
    lab: str | None,
    problems: list[Problem],
) -> Result | None:
    fields = [part.strip() for part in raw.split("|")]
    if len(fields) < MIN_RES_FIELDS:
        problems.append(
            Problem(
                number,
                N_("The %(segment)s segment has %(count)d fields; at least %(expected)d are expected."),
                {"segment": "RES", "count": len(fields), "expected": MIN_RES_FIELDS},
            )
        )
        return None
    fields += [""] * (14 - len(fields))
    label, code = fields[1], fields[2]
    if not (label or code):
        problems.append(Problem(number, N_("The result does not say what was measured.")))
        return None
    low, high = fields[6], fields[7]
    alternatives = ((fields[11], fields[10]),) if fields[10] and fields[11] else ()
    when = at_noon(day)
    return Result(
        line=number,
        identity=identity,
        order=order,
        label=label or code,
        code=code or None,
        loinc=None,
        value=fields[4],
        unit=fields[5] or None,
        specimen_at=when,
        reported_at=when,
        lab=lab,
        reference=f"{low}-{high}" if low or high else None,
        flag=fields[8] or None,
        corrected=fields[9].upper() == "C",
        alternatives=alternatives,
    )
