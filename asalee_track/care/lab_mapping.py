"""Lab codes and labels to measures: the shipped defaults and each practice's own rows, which an admin
edits. LOINC first, then the lab's code, then its label; with the unit when a row names one."""

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, or_, select

from asalee_track.care import audit
from asalee_track.care.actor import Actor
from asalee_track.care.errors import Forbidden, Invalid
from asalee_track.care.identity import fold
from asalee_track.care.inputs import check_text
from asalee_track.care.lab_defaults import DEFAULTS
from asalee_track.i18n import N_
from asalee_track.labs.units import fold_unit, to_ucum
from asalee_track.protocols import Measure, ProtocolSet
from asalee_track.store.tables import AppState, LabMapping, LabResult

KINDS = ("loinc", "code", "label")


def keys(loinc: str | None, code: str | None, label: str) -> list[tuple[str, str]]:
    found = []
    if loinc:
        found.append(("loinc", loinc.strip()))
    if code:
        found.append(("code", code.strip().upper()))
    if label:
        found.append(("label", fold(label)))
    return found


SEEDED_KEY = "lab_mapping_defaults"


def ensure_defaults(db: Session) -> None:
    """Write the shipped mapping once per database; the app_state key is the guard (two workers seeding
    at once: one wins on its primary key, the other finds the rows there)."""
    if db.get(AppState, SEEDED_KEY) is not None:
        return
    try:
        with db.begin_nested():
            db.add(AppState(key=SEEDED_KEY, value=str(len(DEFAULTS))))
            db.flush()
            db.add_all(
                LabMapping(key_kind=kind, key=key, measure_id=measure_id)
                for kind, key, measure_id in DEFAULTS
            )
            db.flush()
    except IntegrityError:
        pass


def lookup(
    db: Session, practice_id: int, loinc: str | None, code: str | None, label: str, unit: str | None
) -> LabMapping | None:
    """The row that says what this test is: the practice's own before the defaults, a row naming this
    unit before one for any unit, LOINC before code before label."""
    wanted = keys(loinc, code, label)
    if not wanted:
        return None
    ensure_defaults(db)
    rows = db.exec(
        select(LabMapping).where(
            or_(col(LabMapping.practice_id).is_(None), LabMapping.practice_id == practice_id),
            or_(*[(LabMapping.key_kind == kind) & (LabMapping.key == key) for kind, key in wanted]),
        )
    ).all()
    folded_unit = fold_unit(unit)

    def rank(row: LabMapping) -> tuple[int, int, int]:
        return (
            [kind for kind, _ in wanted].index(row.key_kind),
            0 if row.practice_id is not None else 1,
            0 if row.unit == folded_unit else 1,
        )

    usable = [row for row in rows if row.unit in ("", folded_unit)]
    return min(usable, key=rank) if usable else None


def measure_definition(protocols: ProtocolSet, measure_id: str, preferred: list[str]) -> Measure | None:
    """The measure as the patient's own pathways define it, else as any protocol does."""
    ordered = [protocols[p] for p in preferred if p in protocols] + protocols.all()
    for protocol in ordered:
        if protocol.has_measure(measure_id):
            return protocol.measure(measure_id)
    return None


def followed_measures(protocols: ProtocolSet) -> list[str]:
    return sorted(
        {
            m.id
            for protocol in protocols.all()
            for m in protocol.measures
            if m.kind != "coded" and not m.computed
        }
    )


def practice_rows(db: Session, actor: Actor) -> list[LabMapping]:
    _require_admin(actor)
    ensure_defaults(db)
    found = list(
        db.exec(
            select(LabMapping)
            .where(or_(col(LabMapping.practice_id).is_(None), LabMapping.practice_id == actor.practice_id))
            .order_by(LabMapping.measure_id, LabMapping.key_kind, LabMapping.key)
        ).all()
    )
    audit.record(db, actor, "read", "LabMapping", detail=f"{len(found)} rows listed")
    return found


def unmapped(db: Session, actor: Actor) -> list[tuple[str | None, str | None, str, str | None, int]]:
    """Tests the practice's files carried that nobody has mapped yet: (loinc, code, label, unit, count)."""
    _require_admin(actor)
    rows = db.exec(
        select(LabResult.loinc, LabResult.code, LabResult.label, LabResult.unit_text).where(
            LabResult.practice_id == actor.practice_id, LabResult.status == "review-mapping"
        )
    ).all()
    counted: dict[tuple[str | None, str | None, str, str | None], int] = {}
    for loinc, code, label, unit_text in rows:
        key = (loinc, code, label, unit_text)
        counted[key] = counted.get(key, 0) + 1
    return [(*key, count) for key, count in sorted(counted.items(), key=lambda item: item[0][2])]


def save(db: Session, actor: Actor, protocols: ProtocolSet, raw: dict[str, str]) -> LabMapping:
    """Add or change the practice's row for a key (a shipped default is overridden, never edited).

    ``unit`` is the lab's unit as printed ("" for any), ``ucum`` what it means when it is not one we
    know; the measure must accept that unit, so a mapping never turns into refusals at every import."""
    _require_admin(actor)
    errors: dict[str, tuple[str, dict[str, object]]] = {}
    kind = (raw.get("key_kind") or "").strip()
    if kind not in KINDS:
        errors["key_kind"] = (N_("Choose LOINC, code or label."), {})
    text = check_text(errors, "key", raw.get("key") or "", 200) or ""
    key = {"loinc": text, "code": text.upper(), "label": fold(text)}.get(kind, text)
    if not key and "key" not in errors:
        errors["key"] = (N_("Give the code or label as the lab writes it."), {})
    lab_unit = check_text(errors, "unit", raw.get("unit") or "", 32) or ""
    ucum = check_text(errors, "ucum", raw.get("ucum") or "", 32)
    measure_id = (raw.get("measure_id") or "").strip() or None
    measure = None
    if measure_id is not None:
        measure = (
            measure_definition(protocols, measure_id, [])
            if measure_id in followed_measures(protocols)
            else None
        )
        if measure is None:
            errors["measure_id"] = (N_("Choose a measure the protocols follow, or “not followed”."), {})
    if measure is not None and "unit" not in errors and "ucum" not in errors:
        problem = _unit_problem(measure, lab_unit, ucum)
        if problem:
            errors["ucum" if ucum else "unit"] = problem
    if errors:
        raise Invalid(errors)
    unit = fold_unit(lab_unit)[:32]
    row = db.exec(
        select(LabMapping).where(
            LabMapping.practice_id == actor.practice_id,
            LabMapping.key_kind == kind,
            LabMapping.key == key,
            LabMapping.unit == unit,
        )
    ).first() or LabMapping(practice_id=actor.practice_id, key_kind=kind, key=key, unit=unit)
    row.measure_id = measure_id
    row.ucum = ucum if measure_id else None
    row.created_by = actor.user_id
    db.add(row)
    db.flush()
    audit.record(
        db, actor, "update", "LabMapping", row.id, detail=f"{kind} {key} {unit} → {measure_id or '-'}"
    )
    return row


def _unit_problem(measure: Measure, lab_unit: str, ucum: str | None) -> tuple[str, dict[str, object]] | None:
    """Why results in this unit could not be read as this measure, or None."""
    accepted = ", ".join(measure.accepted_units)
    code = ucum or (to_ucum(lab_unit) if lab_unit else None)
    if code is None:
        if not lab_unit:
            return None  # any unit: each result's own unit is checked when it arrives
        return (
            N_("Unit “%(unit)s” is unknown: give its UCUM code (accepted: %(accepted)s)."),
            {"unit": lab_unit, "accepted": accepted},
        )
    if code not in measure.accepted_units:
        return (
            N_("%(measure)s is not measured in “%(unit)s” (accepted: %(accepted)s)."),
            {"measure": measure.id, "unit": ucum or lab_unit, "accepted": accepted},
        )
    return None


def _require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden()
