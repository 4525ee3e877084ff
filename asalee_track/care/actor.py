"""Who acts, and in which practice: handed explicitly to every use case."""

from dataclasses import dataclass

ROLES = ("nurse", "gp", "admin")
CLINICAL_ROLES = ("nurse", "gp")  # the care team: they see patients and record their care


@dataclass(frozen=True)
class Actor:
    user_id: int
    practice_id: int
    role: str
    display_name: str = ""

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"
