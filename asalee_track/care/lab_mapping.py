"""Lab codes and labels to measures: the shipped defaults and each practice's own rows, which an admin
edits. LOINC first, then the lab's code, then its label; with the unit when a row names one."""

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, or_, select

from asalee_track.care import audit
from asalee_track.care.actor import Actor
from asalee_track.care.errors import Forbidden, Invalid
from asalee_track.care.identity import fold
from asalee_track.care.lab_defaults import DEFAULTS
from asalee_track.i18n import N_
from asalee_track.labs.units import fold_unit
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
    return list(
        db.exec(
            select(LabMapping)
            .where(or_(col(LabMapping.practice_id).is_(None), LabMapping.practice_id == actor.practice_id))
            .order_by(LabMapping.measure_id, LabMapping.key_kind, LabMapping.key)
        ).all()
    )


def unmapped(db: Session, actor: Actor) -> list[tuple[str | None, str | None, str, str | None, int]]:
    """Tests the practice's files carried that nobody has mapped yet: (loinc, code, label, unit, count)."""
    rows = db.exec(
        select(LabResult.loinc, LabResult.code, LabResult.label, LabResult.unit_text).where(
            LabResult.practice_id == actor.practice_id, LabResult.status == "review-mapping"
        )
    ).all()
    counted: dict[tuple[str | None, str | None, str, str | None], int] = {}
    for row in rows:
        counted[tuple(row)] = counted.get(tuple(row), 0) + 1  # type: ignore[index]
    return [(*key, count) for key, count in sorted(counted.items(), key=lambda item: item[0][2])]


def save(db: Session, actor: Actor, protocols: ProtocolSet, raw: dict[str, str]) -> LabMapping:
    """Add or change the practice's row for a key (a shipped default is overridden, never edited)."""
    _require_admin(actor)
    kind = (raw.get("key_kind") or "").strip()
    errors: dict[str, tuple[str, dict[str, object]]] = {}
    if kind not in KINDS:
        errors["key_kind"] = (N_("Choose LOINC, code or label."), {})
    text = " ".join((raw.get("key") or "").split())[:200]
    key = {"loinc": text, "code": text.upper(), "label": fold(text)}.get(kind, text)
    if not key:
        errors["key"] = (N_("Give the code or label as the lab writes it."), {})
    measure_id = (raw.get("measure_id") or "").strip() or None
    if measure_id is not None and measure_id not in followed_measures(protocols):
        errors["measure_id"] = (N_("Choose a measure the protocols follow, or “not followed”."), {})
    if errors:
        raise Invalid(errors)
    unit = fold_unit(raw.get("unit"))[:32]
    row = db.exec(
        select(LabMapping).where(
            LabMapping.practice_id == actor.practice_id,
            LabMapping.key_kind == kind,
            LabMapping.key == key,
            LabMapping.unit == unit,
        )
    ).first() or LabMapping(practice_id=actor.practice_id, key_kind=kind, key=key, unit=unit)
    row.measure_id = measure_id
    row.created_by = actor.user_id
    db.add(row)
    db.flush()
    audit.record(
        db, actor, "update", "LabMapping", row.id, detail=f"{kind} {key} {unit} → {measure_id or '-'}"
    )
    return row


def _require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden()
