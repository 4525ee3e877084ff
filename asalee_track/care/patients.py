"""Patients: search, create, edit (keeping every earlier version), read. Every read and write is audited."""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, func, or_, select

from asalee_track import i18n
from asalee_track.care import audit, worklist_entries
from asalee_track.care.actor import CLINICAL_ROLES, Actor
from asalee_track.care.errors import Forbidden, Invalid, NotFound
from asalee_track.care.identity import fold, nir_is_valid, normalise_nir
from asalee_track.care.inputs import HIDDEN_CHARACTERS, has_hidden_characters, parse_int
from asalee_track.i18n import N_
from asalee_track.store.tables import Membership, Patient, PatientRevision, User
from asalee_track.store.types import utcnow

SEXES = ("female", "male", "other", "unknown")
EDITABLE = (
    "family_name",
    "given_names",
    "birth_date",
    "sex",
    "birth_place_insee",
    "used_name",
    "used_given_name",
    "ins",
    "local_id",
    "referring_gp_id",
    "phone",
)
# What an identity status vouches for (référentiel INS): changing any of them makes the identity
# provisoire again, since the document checked or the INSi answer spoke of other traits.
STRICT_TRAITS = ("family_name", "given_names", "birth_date", "sex", "birth_place_insee", "ins")
IDENTITY_FIELDS = (
    "identity_status",
    "identity_document",
    "identity_validated_by_id",
    "identity_validated_at",
    "identity_recovered_at",
)
# INSEE code of a commune (2 digits or 2A/2B for Corsica, then 3) or 99 + a country code (born abroad).
INSEE_CODE = re.compile(r"^(?:\d{2}|2A|2B)\d{3}$")
_DATE_FORMATS = ((r"^(\d{4})-(\d{1,2})-(\d{1,2})$", "ymd"), (r"^(\d{1,2})/(\d{1,2})/(\d{4})$", "dmy"))
_PHONE = re.compile(r"^\+?[0-9 .\-()]{6,30}$")


def _require_clinical(actor: Actor) -> None:
    if actor.role not in CLINICAL_ROLES:
        raise Forbidden()


def parse_date(raw: str) -> date | None:
    """ISO (what a date input sends) or the French dd/mm/yyyy that people type."""
    raw = raw.strip()
    for pattern, order in _DATE_FORMATS:
        match = re.match(pattern, raw)
        if match:
            parts = dict(zip(order, (int(g) for g in match.groups()), strict=True))
            try:
                return date(parts["y"], parts["m"], parts["d"])
            except ValueError:
                return None
    return None


def _validate(db: Session, actor: Actor, raw: Mapping[str, str], today: date) -> dict[str, object]:
    errors: dict[str, tuple[str, dict[str, object]]] = {}
    values: dict[str, object] = {}
    for field, text in raw.items():
        if has_hidden_characters(text):
            errors[field] = (HIDDEN_CHARACTERS, {})
    for field in ("family_name", "given_names"):
        text = " ".join(raw.get(field, "").split())
        if not text:
            errors[field] = (N_("Required."), {})
        elif field in errors:
            pass  # already refused for its control characters
        elif len(text) > 100:
            errors[field] = (N_("At most %(n)s characters."), {"n": 100})
        values[field] = text
    birth = parse_date(raw.get("birth_date", ""))
    if not raw.get("birth_date", "").strip():
        errors["birth_date"] = (N_("Required."), {})
    elif birth is None:
        errors["birth_date"] = (N_("Enter a date as dd/mm/yyyy."), {})
    elif birth > today:
        errors["birth_date"] = (N_("The birth date cannot be in the future."), {})
    elif birth.year < 1900:
        errors["birth_date"] = (N_("The birth date must be after 1900."), {})
    values["birth_date"] = birth
    sex = raw.get("sex", "")
    if sex not in SEXES:
        errors["sex"] = (N_("Choose one of the options."), {})
    values["sex"] = sex
    ins = normalise_nir(raw.get("ins", ""))
    if ins and not nir_is_valid(ins):
        errors["ins"] = (N_("This INS/NIR is not valid: 15 characters, the last two being the key."), {})
    values["ins"] = ins or None
    for field in ("used_name", "used_given_name"):
        text = " ".join(raw.get(field, "").split())
        if len(text) > 100 and field not in errors:
            errors[field] = (N_("At most %(n)s characters."), {"n": 100})
        values[field] = text or None
    insee = raw.get("birth_place_insee", "").strip().upper()
    if insee and not INSEE_CODE.match(insee):
        errors["birth_place_insee"] = (
            N_("Enter the 5-character INSEE code of the birth place (99 + the country code if born abroad)."),
            {},
        )
    values["birth_place_insee"] = insee or None
    phone = raw.get("phone", "").strip()
    if phone and not _PHONE.match(phone):
        errors["phone"] = (N_("Enter a phone number (digits, spaces, +)."), {})
    values["phone"] = phone or None
    local_id = raw.get("local_id", "").strip()
    if len(local_id) > 50:
        errors["local_id"] = (N_("At most %(n)s characters."), {"n": 50})
    values["local_id"] = local_id or None
    values["referring_gp_id"] = find_gp(db, actor, raw.get("referring_gp_id", ""), errors)
    if errors:
        raise Invalid(errors)
    return values


def find_gp(
    db: Session, actor: Actor, raw: str, errors: dict[str, tuple[str, dict[str, object]]]
) -> int | None:
    if not raw.strip():
        return None
    gp = db.exec(
        select(User)
        .join(Membership, col(Membership.user_id) == User.id)
        .where(
            User.id == (parse_int(raw) or -1),
            User.role == "gp",
            Membership.practice_id == actor.practice_id,
        )
    ).first()
    if gp is None:
        errors["referring_gp_id"] = (N_("Choose a GP of this practice."), {})
        return None
    return gp.id


def search_key(values: Mapping[str, object]) -> str:
    return fold(f"{values['family_name']} {values['given_names']}")[:260]


def validate(
    db: Session, actor: Actor, raw: Mapping[str, str], today: date | None = None
) -> dict[str, object]:
    """The values a patient record would get from this input; raises Invalid naming each field."""
    _require_clinical(actor)
    return _validate(db, actor, raw, today or i18n.local_today())


def create(db: Session, actor: Actor, raw: Mapping[str, str], today: date | None = None) -> Patient:
    _require_clinical(actor)
    values = _validate(db, actor, raw, today or i18n.local_today())
    patient = Patient(practice_id=actor.practice_id, search_key=search_key(values), **values)  # type: ignore[arg-type]
    db.add(patient)
    db.flush()
    audit.record(db, actor, "create", "Patient", patient.id, patient_id=patient.id)
    return patient


def snapshot(patient: Patient) -> dict[str, object]:
    """The values a revision keeps: what was typed and the identity status they had."""
    return {
        field: (value.isoformat() if isinstance(value, date) else value)
        for field in EDITABLE + IDENTITY_FIELDS
        for value in [getattr(patient, field)]
    }


def keep_revision(db: Session, actor: Actor, patient: Patient) -> dict[str, object]:
    """Store the current values as a revision and bump the version; returns the values kept."""
    before = snapshot(patient)
    db.add(
        PatientRevision(
            patient_id=patient.id, version=patient.version, values=before, replaced_by_user_id=actor.user_id
        )
    )
    patient.version += 1
    patient.updated_at = utcnow()
    return before


def reset_identity(patient: Patient) -> None:
    patient.identity_status = "provisoire"
    patient.identity_document = None
    patient.identity_validated_by_id = None
    patient.identity_validated_at = None
    patient.identity_recovered_at = None


def update(
    db: Session, actor: Actor, patient_id: str, raw: Mapping[str, str], today: date | None = None
) -> Patient:
    """Apply an edit; the values it replaces are kept as a revision, with who replaced them and when."""
    _require_clinical(actor)
    patient = scoped_patient(db, actor, patient_id)
    values = _validate(db, actor, raw, today or i18n.local_today())
    if all(getattr(patient, field) == values[field] for field in EDITABLE):
        return patient
    before = keep_revision(db, actor, patient)
    for field in EDITABLE:
        setattr(patient, field, values[field])
    patient.search_key = search_key(values)
    worklist_entries.moved(db, patient.id)  # the worklist orders equals by name
    after = snapshot(patient)
    changed = [field for field in EDITABLE if before[field] != after[field]]
    detail = "changed: " + ", ".join(changed)
    if patient.identity_status != "provisoire" and any(field in STRICT_TRAITS for field in changed):
        reset_identity(patient)
        detail += f"; identity {before['identity_status']} -> provisoire"
    db.add(patient)
    db.flush()
    audit.record(db, actor, "update", "Patient", patient.id, patient_id=patient.id, detail=detail)
    return patient


def scoped_patient(db: Session, actor: Actor, patient_id: str) -> Patient:
    patient = db.get(Patient, patient_id) if len(patient_id) <= 36 else None
    if patient is None or patient.practice_id != actor.practice_id:
        audit.record(db, actor, "denied", "Patient", patient_id[:64], outcome="not-found")
        raise NotFound(audited=True)
    return patient


def hold(db: Session, patient_id: str) -> None:
    """Writes that rebuild a patient's derived rows (latest values, schedule, alerts) queue on that
    patient's row. On PostgreSQL two at once each rebuilt from their own snapshot and the second hit the
    first one's rows; SQLite runs writers one at a time already. Held until the transaction ends, so
    taken once per transaction (a save asks for it, then its schedule rebuild asks again)."""
    hold_all(db, [patient_id])


def hold_all(db: Session, patient_ids: list[str]) -> None:
    """`hold` for many patients at once, in one statement (a rebuild of their worklist entries)."""
    transaction, held = db.info.get(_HELD, (None, set()))
    if transaction is not db.get_transaction():
        transaction, held = db.get_transaction(), set()
        db.info[_HELD] = (transaction, held)
    wanted = [patient_id for patient_id in patient_ids if patient_id not in held]
    if wanted:
        # In id order, as every other holder of several patients takes them: two never wait on each other.
        db.exec(select(Patient.id).where(col(Patient.id).in_(wanted)).order_by(Patient.id).with_for_update())
        held.update(wanted)


_HELD = "asalee_held_patients"


def get(db: Session, actor: Actor, patient_id: str) -> Patient:
    """Open a record (audited as a read)."""
    _require_clinical(actor)
    patient = scoped_patient(db, actor, patient_id)
    audit.record(db, actor, "read", "Patient", patient.id, patient_id=patient.id)
    return patient


def practice_of(db: Session, patient_id: str) -> int | None:
    """The practice holding a patient, for the server's operator: command-line exports act as no user."""
    patient = db.get(Patient, patient_id)
    return patient.practice_id if patient is not None else None


def revisions(db: Session, actor: Actor, patient_id: str) -> list[PatientRevision]:
    """Earlier versions, newest first (the caller has already opened, and so audited, the record)."""
    patient = scoped_patient(db, actor, patient_id)
    return list(
        db.exec(
            select(PatientRevision)
            .where(PatientRevision.patient_id == patient.id)
            .order_by(col(PatientRevision.version).desc())
        ).all()
    )


@dataclass(frozen=True)
class SearchResult:
    patients: list[Patient]
    total: int


def name_matches(text: str) -> list[ColumnElement[bool]]:
    """Each word typed begins a word of the patient's names, accents and case ignored."""
    conditions = []
    for word in fold(text).split():
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(
            or_(
                col(Patient.search_key).startswith(escaped, escape="\\"),
                col(Patient.search_key).contains(f" {escaped}", escape="\\"),
            )
        )
    return conditions


def search(db: Session, actor: Actor, text: str, offset: int = 0, limit: int = 25) -> SearchResult:
    """Names (accent- and case-insensitive, every word must match), a birth date, or an INS."""
    _require_clinical(actor)
    query = select(Patient).where(Patient.practice_id == actor.practice_id)
    text = text.strip()[:100]
    birth = parse_date(text)
    compact = normalise_nir(text)
    if birth:
        query = query.where(Patient.birth_date == birth)
    elif len(compact) >= 5 and compact[:5].isdigit():
        query = query.where(or_(col(Patient.ins).startswith(compact), Patient.local_id == text))
    else:
        query = query.where(*name_matches(text))
    total = db.exec(select(func.count()).select_from(query.subquery())).one()
    rows = db.exec(
        query.order_by(col(Patient.search_key), col(Patient.birth_date)).offset(offset).limit(limit)
    ).all()
    if text:
        audit.record(db, actor, "search", "Patient", detail=f"{total} found")
        audit.record_shown(db, actor, "Patient", (p.id for p in rows), "shown in a search")
    return SearchResult(list(rows), total)
