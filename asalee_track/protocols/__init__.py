"""Protocol engine: YAML pathways (schema, loader), escalation rules, follow-up schedule, units.

Pure: standard library, pydantic, PyYAML and python-stdnum only; nothing here touches the database or the web.
"""

from . import wording
from .computed import compute, computed_values
from .durations import Duration, add_duration, parse_duration
from .errors import ProtocolError, ProtocolLoadError
from .loader import ProtocolSet, check_file, check_paths, check_text, load_protocols, summary
from .rules import Firing, evaluate
from .schedule import TIMEZONE, DueItem, due_items
from .schema import (
    CodedValue,
    Condition,
    DelegatedAct,
    EducationTopic,
    Measure,
    Obs,
    Protocol,
    Rule,
    Target,
    Text,
)
from .units import InputRefused, Reading, from_canonical, parse_number, read_input, to_canonical

__all__ = [
    "CodedValue",
    "Condition",
    "DelegatedAct",
    "DueItem",
    "Duration",
    "EducationTopic",
    "Firing",
    "InputRefused",
    "Measure",
    "Obs",
    "Protocol",
    "ProtocolError",
    "ProtocolLoadError",
    "ProtocolSet",
    "Reading",
    "Rule",
    "TIMEZONE",
    "Target",
    "Text",
    "add_duration",
    "check_file",
    "check_paths",
    "check_text",
    "compute",
    "computed_values",
    "due_items",
    "evaluate",
    "from_canonical",
    "load_protocols",
    "parse_duration",
    "parse_number",
    "read_input",
    "summary",
    "to_canonical",
    "wording",
]
