"""Who calls the FHIR API — a practice's API token or a logged-in user — what they may do, and the audit
record of each access."""

from dataclasses import dataclass

from sqlmodel import Session

from asalee_track.care import api_tokens, audit, smart_clients
from asalee_track.care.actor import CLINICAL_ROLES, Actor
from asalee_track.fhir import reads
from asalee_track.fhir.errors import FhirError

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


def _invalid_token(message: str) -> FhirError:
    header = 'Bearer realm="asalee-track", error="invalid_token"'
    return FhirError(401, "login", message, headers={"WWW-Authenticate": header})


@dataclass(frozen=True)
class BearerLogin:
    principal: Principal
    token_to_touch: int | None = None  # a static token whose last use is due to be written down


def bearer_login(db: Session, token: str) -> BearerLogin:
    """The caller a bearer token names: a SMART access token, else a practice's static API token.
    Unknown, expired or revoked: 401 with the header that tells the client to get a new one."""
    if token.startswith(smart_clients.TOKEN_PREFIX):
        access = smart_clients.authenticate(db, token)
        if access is None:
            raise _invalid_token("Unknown or expired access token: ask the token endpoint for a new one")
        principal = Principal(
            practice_id=access.client.practice_id,
            role="client",
            display_name=access.client.name,
            smart_client_id=access.client.id,
            scopes=access.scopes,
        )
        return BearerLogin(principal)
    found = api_tokens.authenticate(db, token)
    if found is None:
        raise _invalid_token("Unknown or revoked API token")
    principal = Principal(
        practice_id=found.practice.id or 0,
        role="client",
        token_id=found.token.id,
        display_name=found.token.name,
    )
    return BearerLogin(principal, (found.token.id or 0) if found.needs_touch else None)


def check_reader(caller: Principal) -> Principal:
    if not caller.can_read:
        raise FhirError(403, "forbidden", "Reading patient records is for nurses, GPs and API clients")
    return caller


def check_scope(db: Session, caller: Principal, resource_type: str, interaction: str) -> None:
    """A SMART token reads only what its scopes grant; a refusal is audited."""
    if not caller.allows(resource_type, interaction):
        record(db, caller, "denied", resource_type, outcome="failure", detail=f"scope: {caller.scopes}")
        what = "read" if interaction == "r" else "search"
        raise FhirError(403, "forbidden", f"The access token's scopes do not allow to {what} {resource_type}")


def check_may_read(db: Session, caller: Principal, resource_type: str, interaction: str = "r") -> None:
    """Whether the caller may read (``r``) or search (``s``) this type: a type that is served, the audit
    trail for administrators and clients only, patient records for clinicians and clients."""
    if resource_type not in reads.READABLE:
        raise FhirError(404, "not-supported", f"{resource_type[:64]} is not served here; see /fhir/metadata")
    if resource_type in reads.ADMIN_ONLY:
        if not (caller.is_client or caller.role == "admin"):
            detail = "FHIR: audit trail is for admins"
            record(db, caller, "denied", resource_type, outcome="failure", detail=detail)
            raise FhirError(403, "forbidden", "The audit trail is for the practice's administrators")
    else:
        check_reader(caller)
    check_scope(db, caller, resource_type, interaction)
