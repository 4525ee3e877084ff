"""Lab result files (HPRIM Santé 2.x, HPRIM Médecins / HPRIM Net, HL7 v2 ORU^R01), parsed into plain
values. Pure: no database, no web; matching patients and measures is `care.labs`'s business.
"""

from .model import Identity, LabFile, Problem, Result
from .parse import parse
from .values import Value, read_value

__all__ = ["Identity", "LabFile", "Problem", "Result", "Value", "parse", "read_value"]
