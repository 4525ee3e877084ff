"""Pipe-separated segments (HPRIM Santé and HL7 v2 share the shape): separators declared by the first
segment, fields, components, repetitions, and escape sequences."""

import re
from dataclasses import dataclass

_SEGMENT_NAME = re.compile(r"^[A-Z][A-Z0-9]{0,2}$")


@dataclass(frozen=True)
class Separators:
    field: str
    component: str
    repetition: str
    escape: str
    subcomponent: str

    def unescape(self, text: str) -> str:
        """HL7 escape sequences (\\F\\ \\S\\ \\T\\ \\R\\ \\E\\ \\.br\\ \\Xhh\\); formatting ones dropped."""
        if not self.escape or self.escape not in text:
            return text
        e = re.escape(self.escape)
        named = {
            "F": self.field,
            "S": self.component,
            "T": self.subcomponent,
            "R": self.repetition,
            "E": self.escape,
            ".br": "\n",
        }

        def replace(match: re.Match[str]) -> str:
            code = match.group(1)
            if code in named:
                return named[code]
            if code.startswith("X") and re.fullmatch(r"X([0-9A-Fa-f]{2})+", code):
                return bytes.fromhex(code[1:]).decode("latin-1")
            return ""  # \H\, \N\, \.sp\ and the like: presentation, not content

        return re.sub(rf"{e}([^{e}]*){e}", replace, text)


def separators_from(line: str, name: str) -> Separators | None:
    """``H|~^\\&|`` (HPRIM Santé: component ~, repetition ^) or ``MSH|^~\\&|`` (HL7: component ^,
    repetition ~): the characters are declared right after the segment name, in that order."""
    if not line.startswith(name) or len(line) < len(name) + 5:
        return None
    chars = line[len(name) : len(name) + 5]
    if len(set(chars[:4])) < 4 or chars[0].isalnum():
        return None
    field, component, repetition, escape, subcomponent = tuple(chars)
    if subcomponent == field:  # only three encoding characters declared ("H|~^\|")
        subcomponent = ""
    return Separators(field, component, repetition, escape, subcomponent)


@dataclass(frozen=True)
class Segment:
    line: int
    name: str
    fields: list[str]
    seps: Separators

    def field(self, index: int) -> str:
        """The raw field at ``index`` (0 is the segment name), '' when absent."""
        return self.fields[index] if index < len(self.fields) else ""

    def components(self, index: int, repetition: int = 0) -> list[str]:
        raw = self.field(index)
        if self.seps.repetition:
            reps = raw.split(self.seps.repetition)
            raw = reps[repetition] if repetition < len(reps) else ""
        return [self.seps.unescape(part).strip() for part in raw.split(self.seps.component)]

    def repetitions(self, index: int) -> list[list[str]]:
        raw = self.field(index)
        count = len(raw.split(self.seps.repetition)) if self.seps.repetition else 1
        return [self.components(index, n) for n in range(count)]

    def text(self, index: int, component: int = 0) -> str:
        parts = self.components(index)
        return parts[component] if component < len(parts) else ""


def split(number: int, line: str, seps: Separators) -> Segment | None:
    """A segment, or None when the line is not one (no name before the first separator)."""
    name = line.split(seps.field, 1)[0].strip()
    if not _SEGMENT_NAME.match(name) or seps.field not in line:
        return None
    return Segment(number, name, line.split(seps.field), seps)
