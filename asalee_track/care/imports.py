"""Importing patients from a CSV file (French headers, `;`) or a FHIR Bundle of Patients.

All or nothing: every entry is checked first; if one is refused, nothing is created and each refusal
names its line (or entry) and why. A dry run checks and reports without writing.
"""

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlmodel import Session, select

from asalee_track.care import audit, patients
from asalee_track.care.actor import Actor
from asalee_track.care.errors import Invalid
from asalee_track.care.identity import fold, normalise_nir
from asalee_track.i18n import N_
from asalee_track.store.tables import Patient

INS_SYSTEMS = ("urn:oid:1.2.250.1.213.1.4.8", "urn:oid:1.2.250.1.213.1.4.10", "urn:oid:1.2.250.1.213.1.4.11")
MAX_ENTRIES = 5000
# Header spellings seen in practice software exports, folded (no accents, lower case).
HEADERS = {
    "nom": "family_name",
    "nom de naissance": "family_name",
    "nom de famille": "family_name",
    "prenom": "given_names",
    "prenoms": "given_names",
    "date de naissance": "birth_date",
    "naissance": "birth_date",
    "ddn": "birth_date",
    "sexe": "sex",
    "ins": "ins",
    "nir": "ins",
    "matricule ins": "ins",
    "numero de securite sociale": "ins",
    "identifiant local": "local_id",
    "dossier": "local_id",
    "n dossier": "local_id",
    "numero de dossier": "local_id",
    "telephone": "phone",
    "tel": "phone",
}
SEXES = {
    "f": "female",
    "femme": "female",
    "feminin": "female",
    "m": "male",
    "h": "male",
    "homme": "male",
    "masculin": "male",
    "autre": "other",
    "inconnu": "unknown",
    "i": "unknown",
    "female": "female",
    "male": "male",
    "other": "other",
    "unknown": "unknown",
}


@dataclass(frozen=True)
class Entry:
    label: tuple[str, dict[str, object]]  # ("line %(n)s", {"n": 3}): where it came from, translatable
    values: dict[str, str]


@dataclass(frozen=True)
class Refusal:
    entry: tuple[str, dict[str, object]]
    field: str
    message: tuple[str, dict[str, object]]


@dataclass
class ImportReport:
    entries: list[Entry] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)
    created: list[Patient] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.refusals


class Unreadable(Exception):
    """The file as a whole cannot be read: carries a msgid and its parameters."""

    def __init__(self, message: str, params: dict[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = (message, params or {})


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) as most tools write it, else Windows-1252 as Excel in France does."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="strict")


def read_csv(data: bytes) -> list[Entry]:
    try:
        text = _decode(data)
    except UnicodeDecodeError:
        raise Unreadable(N_("The file is neither UTF-8 nor Windows-1252 text.")) from None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    try:
        rows = list(reader)
    except csv.Error:
        raise Unreadable(
            N_("The file is not a readable CSV file (line %(n)s)."), {"n": reader.line_num}
        ) from None
    if not rows:
        raise Unreadable(N_("The file is empty."))
    columns = [HEADERS.get(fold(name)) for name in rows[0]]
    missing = {"family_name", "given_names", "birth_date", "sex"} - set(columns)
    if missing:
        raise Unreadable(
            N_(
                "The first line must name the columns, separated by ';': nom;prénom;date de "
                "naissance;sexe (and optionally INS, identifiant local, téléphone)."
            )
        )
    entries = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        values = {column: cell.strip() for column, cell in zip(columns, row, strict=False) if column}
        values["sex"] = SEXES.get(fold(values.get("sex", "")), values.get("sex", ""))
        entries.append(Entry((N_("line %(n)s"), {"n": number}), values))
    return entries


def read_fhir_bundle(data: bytes) -> list[Entry]:
    try:
        bundle = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise Unreadable(N_("The file is not valid JSON.")) from None
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise Unreadable(N_('Expected a FHIR Bundle (resourceType "Bundle").'))
    entries = []
    for number, item in enumerate(bundle.get("entry") or [], start=1):
        resource = item.get("resource") if isinstance(item, dict) else None
        if not isinstance(resource, dict) or resource.get("resourceType") != "Patient":
            continue
        label = (N_("entry %(n)s (Patient %(id)s)"), {"n": number, "id": str(resource.get("id", "—"))[:64]})
        entries.append(Entry(label, _patient_values(resource)))
    return entries


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _patient_values(resource: Mapping[str, object]) -> dict[str, str]:
    names = _list(resource.get("name"))
    official = next((n for n in names if isinstance(n, dict) and n.get("use") == "official"), None)
    name: dict[str, Any] = official or (names[0] if names and isinstance(names[0], dict) else {})
    given = _list(name.get("given"))
    identifiers = _list(resource.get("identifier"))
    ins = next(
        (
            str(i.get("value", ""))
            for i in identifiers
            if isinstance(i, dict) and i.get("system") in INS_SYSTEMS
        ),
        "",
    )
    telecom = _list(resource.get("telecom"))
    phone = next(
        (str(t.get("value", "")) for t in telecom if isinstance(t, dict) and t.get("system") == "phone"), ""
    )
    return {
        "family_name": str(name.get("family", "")),
        "given_names": " ".join(str(g) for g in given),
        "birth_date": str(resource.get("birthDate", "")),
        "sex": str(resource.get("gender", "")),
        "ins": ins,
        "phone": phone,
    }


def import_patients(db: Session, actor: Actor, entries: list[Entry], dry_run: bool) -> ImportReport:
    """Check every entry, then create them all, or none."""
    report = ImportReport(entries=entries)
    if len(entries) > MAX_ENTRIES:
        raise Unreadable(N_("At most %(n)s patients per import."), {"n": MAX_ENTRIES})
    if not entries:
        raise Unreadable(N_("No patient found in the file."))
    seen: set[str] = set()
    for entry in entries:
        _check(db, actor, entry, seen, report)
    if report.ok and not dry_run:
        for entry in entries:
            report.created.append(patients.create(db, actor, entry.values))
        audit.record(db, actor, "import", "Patient", detail=f"{len(report.created)} patients imported")
    return report


def _check(db: Session, actor: Actor, entry: Entry, seen: set[str], report: ImportReport) -> None:
    try:
        patients.validate(db, actor, entry.values)
    except Invalid as refused:
        report.refusals.extend(
            Refusal(entry.label, name, message) for name, message in refused.errors.items()
        )
        return
    ins = normalise_nir(entry.values.get("ins", ""))
    if not ins:
        return
    if ins in seen:
        report.refusals.append(
            Refusal(entry.label, "ins", (N_("Same INS as another entry of the file."), {}))
        )
    elif db.exec(
        select(Patient.id).where(Patient.practice_id == actor.practice_id, Patient.ins == ins)
    ).first():
        report.refusals.append(
            Refusal(entry.label, "ins", (N_("A patient with this INS already exists."), {}))
        )
    seen.add(ins)
