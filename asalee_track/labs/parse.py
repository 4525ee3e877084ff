"""One entry point: bytes in, a `LabFile` out, whatever the format, encoding and line endings."""

from dataclasses import replace

from asalee_track.i18n import N_

from . import hl7, hprim_net, hprim_sante
from .model import LabFile, Problem
from .text import decode, lines

MAX_BYTES = 5_000_000  # a lab file is a few kilobytes; anything this large is not one


def parse(data: bytes) -> LabFile:
    if len(data) > MAX_BYTES:
        return _refused("", N_("The file is larger than 5 MB: it is not a lab result file."), 1)
    text, encoding = decode(data)
    rows = lines(text)
    if not any(row.strip() for row in rows):
        return _refused(encoding, N_("The file is empty."), 1)
    first = next(index for index, row in enumerate(rows) if row.strip())
    body = rows[first:]
    if hl7.looks_like(body):
        found = hl7.parse(body, encoding)
    elif hprim_sante.looks_like(body):
        found = hprim_sante.parse(body, encoding)
    elif hprim_net.looks_like(body):
        found = hprim_net.parse(body, encoding)
    else:
        return _refused(
            encoding, N_("Unknown format: neither HPRIM Santé, HPRIM Net nor HL7 v2 ORU."), first + 1
        )
    if first:
        _shift(found, first)
    return found


def _refused(encoding: str, message: str, line: int) -> LabFile:
    return LabFile("unknown", encoding, problems=[Problem(line, message, fatal=True)])


def _shift(found: LabFile, by: int) -> None:
    """Blank lines before the first segment: keep line numbers those of the file."""
    found.results = [replace(result, line=result.line + by) for result in found.results]
    found.problems = [replace(problem, line=problem.line + by) for problem in found.problems]
