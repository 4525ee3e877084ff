"""A patient's identity status under the référentiel INS, and the two ways it rises.

The four statuses (RNIV, exigence EXI SI 07) cross two independent facts: were the traits recovered from
the INSi teleservice, and were they checked on a high-trust identity document?

| | not checked on a document | checked on a document |
|---|---|---|
| not recovered from INSi | provisoire | validee |
| recovered from INSi | recuperee | qualifiee |

Only a qualified identity may carry its INS out of the practice (fhir.mapping exports it then only).
A nurse or GP checks a document here (`validate_on_document`). Recovering an identity from INSi needs a
Vitale card reader or the teleservice itself, out of reach of this application: `record_insi_answer` is
the one place where such a client would hand over the teleservice's answer.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from sqlmodel import Session

from asalee_track.care import audit, patients, worklist_entries
from asalee_track.care.actor import CLINICAL_ROLES, Actor
from asalee_track.care.errors import Forbidden, Invalid
from asalee_track.care.identity import nir_is_valid, normalise_nir
from asalee_track.i18n import N_
from asalee_track.store.tables import Patient
from asalee_track.store.types import utcnow

STATUSES = ("provisoire", "recuperee", "validee", "qualifiee")
LABELS = {
    "provisoire": N_("Provisional identity"),
    "recuperee": N_("Recovered identity"),
    "validee": N_("Validated identity"),
    "qualifiee": N_("Qualified identity"),
}
# The high-trust documents an identity may be checked on, coded as FR Core's mode-validation-identity
# code system codes them (https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-mode-validation-identity).
DOCUMENTS = {
    "CN": N_("National identity card"),
    "eCN": N_("Electronic identity card"),
    "PA": N_("Passport"),
    "CS": N_("Residence permit"),
    "IN": N_("La Poste digital identity"),
    "AV": N_("Carte Vitale app"),
    "LECV": N_("Family record book with a Vitale card bearing a photograph"),
    "ANCV": N_("Birth certificate with a Vitale card bearing a photograph"),
    "AN": N_("Birth certificate extract (minor)"),
    "LEP": N_("Parents' family record book (minor)"),
    "CC": N_("Travel document for a foreign minor"),
}
# A document check raises provisoire to validee and recuperee to qualifiee.
_CHECKED = {"provisoire": "validee", "validee": "validee", "recuperee": "qualifiee", "qualifiee": "qualifiee"}
# An INSi answer raises provisoire to recuperee and validee to qualifiee.
_RECOVERED = {
    "provisoire": "recuperee",
    "recuperee": "recuperee",
    "validee": "qualifiee",
    "qualifiee": "qualifiee",
}


def _clinical(actor: Actor) -> None:
    if actor.role not in CLINICAL_ROLES:
        raise Forbidden()


def validate_on_document(
    db: Session, actor: Actor, patient_id: str, raw: Mapping[str, str], today: date | None = None
) -> Patient:
    """The nurse or GP saw a high-trust identity document and says its traits match the record.

    `raw`: `document` (a DOCUMENTS code), `birth_place_insee` (may complete the record) and `confirm`
    (the traits were compared one by one). The record needs every strict trait and a sex of female or
    male, as documents state it."""
    _clinical(actor)
    patient = patients.scoped_patient(db, actor, patient_id)
    errors: dict[str, tuple[str, dict[str, object]]] = {}
    document = raw.get("document", "").strip()
    if document not in DOCUMENTS:
        errors["document"] = (N_("Choose the identity document you checked."), {})
    insee = raw.get("birth_place_insee", "").strip().upper() or (patient.birth_place_insee or "")
    if not insee:
        errors["birth_place_insee"] = (
            N_("Enter the INSEE code of the birth place shown on the document."),
            {},
        )
    elif not patients.INSEE_CODE.match(insee):
        errors["birth_place_insee"] = (
            N_("Enter the 5-character INSEE code of the birth place (99 + the country code if born abroad)."),
            {},
        )
    if patient.sex not in ("female", "male"):
        errors["sex"] = (
            N_("An identity document states female or male: correct the sex of the record first."),
            {},
        )
    if raw.get("confirm") != "yes":
        errors["confirm"] = (
            N_("Confirm that the birth name, given names, birth date, sex and birth place match."),
            {},
        )
    if errors:
        audit.record(
            db,
            actor,
            "update",
            "Patient",
            patient.id,
            patient_id=patient.id,
            outcome="failure",
            detail="identity validation refused: " + ", ".join(sorted(errors)),
        )
        raise Invalid(errors)
    before = patients.keep_revision(db, actor, patient)
    patient.birth_place_insee = insee
    patient.identity_status = _CHECKED[patient.identity_status]
    patient.identity_document = document
    patient.identity_validated_by_id = actor.user_id
    patient.identity_validated_at = utcnow()
    return _saved(db, actor, patient, f"identity checked on {document}", before["identity_status"])


@dataclass(frozen=True)
class InsiAnswer:
    """What the INSi teleservice returns for an identity: the INS (matricule and its OID) and the strict
    traits as the national register knows them."""

    ins: str
    birth_name: str
    birth_given_names: str
    birth_date: date
    sex: str  # female or male
    birth_place_insee: str


class InsiTeleservice(Protocol):
    """The seam for an INSi client (Vitale card reader or direct call through a CPS card). None is
    configured: the teleservice is reachable only from an authenticated health professional's workstation,
    not from this server."""

    def lookup(self, patient: Patient) -> InsiAnswer | None: ...


def record_insi_answer(db: Session, actor: Actor, patient_id: str, answer: InsiAnswer) -> Patient:
    """Store what the teleservice answered: its traits replace the typed ones (the register is the
    reference, RNIV), the INS is kept, and the status rises (provisoire → recuperee, validee → qualifiee).
    A document check that spoke of other traits no longer holds: the identity is then recuperee."""
    _clinical(actor)
    patient = patients.scoped_patient(db, actor, patient_id)
    ins = normalise_nir(answer.ins)
    if not nir_is_valid(ins) or answer.sex not in ("female", "male"):
        audit.record(
            db,
            actor,
            "update",
            "Patient",
            patient.id,
            patient_id=patient.id,
            outcome="failure",
            detail="INSi answer refused: invalid INS or sex",
        )
        raise Invalid(
            {"ins": (N_("This INS/NIR is not valid: 15 characters, the last two being the key."), {})}
        )
    traits = {
        "family_name": answer.birth_name,
        "given_names": answer.birth_given_names,
        "birth_date": answer.birth_date,
        "sex": answer.sex,
        "birth_place_insee": answer.birth_place_insee,
        "ins": ins,
    }
    before = patients.keep_revision(db, actor, patient)
    same = all(getattr(patient, field) == value for field, value in traits.items())
    start = patient.identity_status if same else "provisoire"
    if not same:
        patients.reset_identity(patient)
    for field, value in traits.items():
        setattr(patient, field, value)
    patient.search_key = patients.search_key(traits)
    worklist_entries.moved(db, patient.id)  # the worklist orders equals by name
    patient.identity_status = _RECOVERED[start]
    patient.identity_recovered_at = utcnow()
    return _saved(db, actor, patient, "INSi answer recorded", before["identity_status"])


def _saved(db: Session, actor: Actor, patient: Patient, what: str, status_before: object) -> Patient:
    """Writes the patient and audits the change of identity status."""
    db.add(patient)
    db.flush()
    detail = f"{what}: {status_before} -> {patient.identity_status}"
    audit.record(db, actor, "update", "Patient", patient.id, patient_id=patient.id, detail=detail)
    return patient
