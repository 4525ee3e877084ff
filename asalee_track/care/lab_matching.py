"""Which of the practice's patients a lab result belongs to. Never a guess: one patient by INS, or one
by every strict trait, or nobody (the nurse decides in the review queue)."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, select

from asalee_track.care.identity import fold, nir_is_valid
from asalee_track.i18n import N_
from asalee_track.store.tables import Patient


@dataclass(frozen=True)
class Match:
    patient_id: str | None
    reason: str | None = None  # message id when nobody is matched
    params: dict[str, object] | None = None


def ins_is_qualified(patient: Patient) -> bool:
    """Whether the patient's stored INS may be trusted to match on: only for a qualified identity
    (référentiel INS). Any other patient is matched on the strict traits, or sent for review."""
    return patient.ins is not None and patient.identity_status == "qualifiee"


def match(db: Session, practice_id: int, identity: dict[str, Any]) -> Match:
    ins = (identity.get("ins") or "").upper()
    if ins and nir_is_valid(ins):
        holders = db.exec(select(Patient).where(Patient.practice_id == practice_id, Patient.ins == ins)).all()
        qualified = [patient for patient in holders if ins_is_qualified(patient)]
        if len(qualified) == 1:
            patient = qualified[0]
            if _traits_conflict(patient, identity):
                return Match(None, N_("The INS matches a patient whose birth date or sex differ: check it."))
            return Match(patient.id)
    return _by_traits(db, practice_id, identity)


def _by_traits(db: Session, practice_id: int, identity: dict[str, Any]) -> Match:
    born = identity.get("birth_date")
    sex = identity.get("sex")
    names = {fold(name) for name in (identity.get("birth_name"), identity.get("used_name")) if name}
    given = fold(identity.get("given") or "")
    if not (born and sex and names and given):
        return Match(
            None, N_("The file lacks a trait (name, first name, birth date or sex): choose the patient.")
        )
    candidates = db.exec(
        select(Patient).where(
            Patient.practice_id == practice_id, Patient.birth_date == date.fromisoformat(born)
        )
    ).all()
    found = [
        patient
        for patient in candidates
        if patient.sex == sex
        and fold(patient.family_name) in names
        and _given_matches(patient.given_names, given)
    ]
    if len(found) == 1:
        return Match(found[0].id)
    if not found:
        return Match(None, N_("No patient of the practice has these traits."))
    return Match(None, N_("%(count)d patients have these traits: choose one."), {"count": len(found)})


def _given_matches(stored: str, given: str) -> bool:
    """ "Jean-Pierre" is "jean pierre"; the lab may write only the first of several given names."""
    folded = fold(stored)
    return folded == given or folded.split()[: len(given.split())] == given.split()


def _traits_conflict(patient: Patient, identity: dict[str, Any]) -> bool:
    born, sex = identity.get("birth_date"), identity.get("sex")
    return bool((born and patient.birth_date.isoformat() != born) or (sex and patient.sex != sex))
