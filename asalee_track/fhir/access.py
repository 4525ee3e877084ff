"""Who calls the FHIR API — a practice's API token or a logged-in user — what they may do, and the audit
record of each access."""

from dataclasses import dataclass

from sqlmodel import Session

from asalee_track.care import audit, smart_clients
from asalee_track.care.actor import CLINICAL_ROLES, Actor

READ_ROLES = CLINICAL_ROLES  # clinicians read patient records
# A Bulk export discloses patient records outside the practice. Through a login only the GP may start
# one; an administrator, who reads no patient record, discloses deliberately by issuing an API token or
# registering a SMART client for the receiving system (both audited), whose exports are audited too.
EXPORT_ROLES = ("gp",)


@dataclass(frozen=True)
class Principal:
    practice_id: int
    role: str  # nurse, gp, admin, or "client" for an API token
    user_id: int | None = None
    token_id: int | None = None
    display_name: str = ""
    smart_client_id: int | None = None
    scopes: str | None = None  # a SMART access token's scopes; None: a static token or a user (all reads)

    @property
    def is_client(self) -> bool:
        return self.token_id is not None or self.smart_client_id is not None

    def allows(self, resource_type: str, interaction: str) -> bool:
        """interaction "r" (read) or "s" (search), as SMART scopes grant them."""
        return self.scopes is None or smart_clients.scopes_allow(self.scopes, resource_type, interaction)

    @property
    def can_read(self) -> bool:
        return self.is_client or self.role in READ_ROLES

    @property
    def can_export(self) -> bool:
        return self.is_client or self.role in EXPORT_ROLES

    @property
    def actor(self) -> Actor | None:
        if self.user_id is None:
            return None
        return Actor(self.user_id, self.practice_id, self.role, self.display_name)

    @classmethod
    def of_actor(cls, actor: Actor) -> "Principal":
        return cls(actor.practice_id, actor.role, user_id=actor.user_id, display_name=actor.display_name)


def record(
    db: Session,
    principal: Principal,
    action: str,
    object_type: str,
    object_id: str | int | None = None,
    *,
    patient_id: str | None = None,
    outcome: str = "success",
    detail: str | None = None,
) -> None:
    """Audit one access. A token has no user: the event names the token in its detail."""
    if principal.smart_client_id is not None:
        detail = f"smart client {principal.smart_client_id}" + (f"; {detail}" if detail else "")
    elif principal.is_client:
        detail = f"api token {principal.token_id}" + (f"; {detail}" if detail else "")
    audit.record(
        db,
        principal.actor,
        action,
        object_type,
        object_id,
        patient_id=patient_id,
        outcome=outcome,
        detail=detail,
        practice_id=principal.practice_id,
    )
