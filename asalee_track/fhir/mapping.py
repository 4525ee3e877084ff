"""Domain rows → FHIR R4 resources, as plain dicts ready for orjson.

Why dicts and not `fhir.resources` models: building a pydantic model per resource costs about ten times
more than the dict (see benchmarks/bench_fhir_export.py), and exports must reach tens of thousands of
resources a second. Every shape built here is checked by the tests, which parse each emitted resource
back with the `fhir.resources.R4B` models.

Each function takes a row — an ORM object or a Core result row with the table's column names, both read
by attribute — and returns one resource. Ids are stable across exports: a row's UUID as is, integer keys
prefixed (`org-1`, `prac-3`, `role-3-1`, `audit-12`), derived resources prefixed by their source's id.
"""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from asalee_track.care.actor import CLINICAL_ROLES
from asalee_track.fhir import codes
from asalee_track.fhir.catalog import ActInfo, Catalog, MeasureInfo, PathwayInfo
from asalee_track.store.tables import (
    Alert,
    AuditEvent,
    CareSession,
    Enrolment,
    Observation,
    Patient,
    Practice,
    SessionItem,
    User,
)

Resource = dict[str, Any]
GOAL_NAMESPACE = uuid.UUID("6f1c0d5e-2b8a-4c61-9a57-0c4a3f1d7e21")  # fixed: goal ids must not change

# ---------------------------------------------------------------------------------------------------
# Ids and references


def org_id(practice_id: int) -> str:
    return f"org-{practice_id}"


def prac_id(user_id: int) -> str:
    return f"prac-{user_id}"


def role_id(user_id: int, practice_id: int) -> str:
    return f"role-{user_id}-{practice_id}"


def condition_id(enrolment_id: str) -> str:
    return f"cond-{enrolment_id}"


def consent_id(enrolment_id: str) -> str:
    return f"consent-{enrolment_id}"


def goal_id(enrolment_id: str, measure_id: str) -> str:
    # A measure id may be 64 characters long: a name-based UUID keeps the id within FHIR's 64.
    return str(uuid.uuid5(GOAL_NAMESPACE, f"{enrolment_id}:{measure_id}"))


def audit_id(event_id: int) -> str:
    return f"audit-{event_id}"


def group_id(practice_id: int) -> str:
    return f"practice-{practice_id}"


def ref(resource_type: str, resource_id: str) -> dict[str, str]:
    return {"reference": f"{resource_type}/{resource_id}"}


def role_ref(user_id: int, practice_id: int) -> dict[str, str]:
    return {"reference": f"PractitionerRole/role-{user_id}-{practice_id}"}


def profile(name: str) -> str:
    """An FR Core profile's canonical URL, for meta.profile."""
    return codes.FR_CORE_PROFILE + name


def stamp(resource: Resource, last_updated: datetime, version: str | None = None) -> Resource:
    """meta.lastUpdated and meta.versionId, kept beside any declared profile. Rows without a version
    counter take their last change (in microseconds) as version: it changes exactly when they do."""
    meta = resource.setdefault("meta", {})
    meta["versionId"] = version or str(int(last_updated.timestamp() * 1_000_000))
    meta["lastUpdated"] = _dt(last_updated)
    if "profile" in meta:
        meta["profile"] = meta.pop("profile")  # keep the usual order: versionId, lastUpdated, profile
    return resource


def _dt(moment: datetime) -> str:
    """Stored times are timezone-aware UTC (store.types.UTCDateTime): FHIR requires the offset."""
    return moment.isoformat()


def _coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    return (
        {"system": system, "code": code, "display": display} if display else {"system": system, "code": code}
    )


def _identifier_type(code: str, display: str) -> dict[str, Any]:
    return {"coding": [_coding(codes.FR_IDENTIFIER_TYPE, code, display)]}


UNSTATED_DECIMALS = 3  # a measure no loaded protocol describes (fallback catalogue)


def quantity_value(value: float, decimals: int | None, converted: bool) -> float | int:
    """An Observation's value at a stated precision: the measure's ``decimals`` as typed in its unit,
    one more when the value was converted from another unit (75 mmol/mol → 9.01 %, not
    9.012475981334065 %: the extra decimal keeps the conversion back to the typed unit exact at its own
    precision). Whole numbers go out as integers (128 mmHg)."""
    places = UNSTATED_DECIMALS if decimals is None else decimals + (1 if converted else 0)
    rounded = round(value, places)
    return int(rounded) if places == 0 else rounded


def _ucum(value: float, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": codes.UCUM, "code": unit}


# ---------------------------------------------------------------------------------------------------
# Practice and people


def organization(practice: Practice) -> Resource:
    identifiers: list[dict[str, Any]] = []
    if practice.finess:
        identifiers.append(
            {
                "use": "official",
                "type": _identifier_type("IDNST", "Identifiant National de Structure"),
                "system": codes.ID_NAT_ST_OID,
                "value": "1" + practice.finess,
            }
        )
        identifiers.append(
            {
                "use": "secondary",
                "type": _identifier_type("FINEG", "FINESS d'entité géographique"),
                "system": codes.FINESS_SYSTEM,
                "value": practice.finess,
            }
        )
    resource: Resource = {
        "resourceType": "Organization",
        "id": org_id(practice.id or 0),
        "meta": {"profile": [profile("fr-core-organization")]},
        "active": True,
    }
    if identifiers:
        resource["identifier"] = identifiers
    resource["name"] = practice.name
    if practice.address:
        resource["address"] = [{"use": "work", "text": practice.address}]
    return resource


# Titles of practice (RASS civilité d'exercice, JDV J79): FR Core puts them in HumanName.suffix.
_TITLES = {"dr": "DR", "pr": "PR"}


def _human_name(display_name: str) -> dict[str, Any]:
    """Users have one display name; a leading "Dr"/"Pr" becomes FR Core's suffix DR/PR, the last word the
    family name, the rest the given names, and the whole stays as the text."""
    words = display_name.split()
    title = _TITLES.get(words[0].rstrip(".").lower()) if words else None
    if title:
        words = words[1:]
    name: dict[str, Any] = {"use": "usual", "text": display_name}
    if words:
        name["family"] = words[-1]
    if len(words) >= 2:
        name["given"] = words[:-1]
    if title:
        name["suffix"] = [title]
    return name


def practitioner(user: User) -> Resource:
    resource: Resource = {
        "resourceType": "Practitioner",
        "id": prac_id(user.id or 0),
        "meta": {"profile": [profile("fr-core-practitioner")]},
    }
    if user.rpps:
        resource["identifier"] = [
            {
                "use": "official",
                "type": _identifier_type("IDNPS", "Identifiant National de Professionnel de Santé"),
                "system": codes.ID_NAT_PS_OID,
                "value": "8" + user.rpps,
            },
            {
                "use": "secondary",
                "type": _identifier_type("RPPS", "N° RPPS"),
                "system": codes.RPPS_SYSTEM,
                "value": user.rpps,
            },
        ]
    resource["active"] = bool(user.active)
    resource["name"] = [_human_name(user.display_name)]
    return resource


def practitioner_role(user: User, practice_id: int) -> Resource:
    resource: Resource = {
        "resourceType": "PractitionerRole",
        "id": role_id(user.id or 0, practice_id),
        "meta": {"profile": [profile("fr-core-practitioner-role")]},
        "active": bool(user.active),
        "practitioner": ref("Practitioner", prac_id(user.id or 0)),
        "organization": ref("Organization", org_id(practice_id)),
    }
    role_codes = codes.ROLE_CODES.get(user.role)
    if role_codes:
        resource["code"] = [{"coding": role_codes}]
    return resource


def local_id_system(practice_id: int) -> str:
    """Each practice numbers its files on its own: DOS-1001 of two practices are two patients."""
    return f"{codes.LOCAL_PATIENT_ID}:practice-{practice_id}"


def is_qualified(row: Patient) -> bool:
    """The INS may leave the practice only with a qualified identity (référentiel INS; FR Core keeps the
    INS-NIR slice in fr-core-patient-ins), which also needs its birth place."""
    return row.identity_status == "qualifiee" and bool(row.ins) and bool(row.birth_place_insee)


def _identity_reliability(row: Patient) -> dict[str, Any]:
    code, display = codes.IDENTITY_STATUS_CODES.get(
        row.identity_status, codes.IDENTITY_STATUS_CODES["provisoire"]
    )
    parts: list[dict[str, Any]] = [
        {"url": "identityStatus", "valueCoding": _coding(codes.FR_CORE_IDENTITY_STATUS, code, display)}
    ]
    if row.identity_validated_at and row.identity_document:
        parts.append({"url": "validationDate", "valueDate": row.identity_validated_at.date().isoformat()})
        parts.append(
            {
                "url": "validationMode",
                "valueCoding": _coding(codes.FR_CORE_VALIDATION_MODE, row.identity_document),
            }
        )
    return {"url": codes.FR_CORE_IDENTITY_RELIABILITY, "extension": parts}


def _birth_place(insee: str) -> dict[str, Any]:
    return {
        "url": codes.PATIENT_BIRTH_PLACE,
        "valueAddress": {
            "extension": [
                {"url": codes.FR_CORE_INSEE_CODE, "valueCoding": _coding(codes.INSEE_COMMUNE, insee)}
            ]
        },
    }


def patient(row: Patient) -> Resource:
    """fr-core-patient always, with the identity status; fr-core-patient-ins and the INS-NIR only for a
    qualified identity. The official name is the birth name with the first birth given name in `given`
    and the whole list in the birth-list-given-name extension; the used name travels apart."""
    qualified = is_qualified(row)
    identifiers: list[dict[str, Any]] = []
    if qualified:
        identifiers.append(
            {
                "use": "official",
                "type": _identifier_type("INS-NIR", "NIR définitif"),
                "system": codes.INS_NIR_OID,
                "value": row.ins,
            }
        )
    if row.local_id:
        identifiers.append(
            {
                "use": "usual",
                "type": {"coding": [_coding(codes.V2_0203, "PI", "Patient internal identifier")]},
                "system": local_id_system(row.practice_id),
                "value": row.local_id,
                "assigner": ref("Organization", org_id(row.practice_id)),
            }
        )
    profiles = [profile("fr-core-patient")] + ([profile("fr-core-patient-ins")] if qualified else [])
    resource: Resource = {
        "resourceType": "Patient",
        "id": row.id,
        "meta": {"versionId": str(row.version), "lastUpdated": _dt(row.updated_at), "profile": profiles},
    }
    extensions = [_identity_reliability(row)]
    if row.birth_place_insee:
        extensions.insert(0, _birth_place(row.birth_place_insee))
    resource["extension"] = extensions
    if identifiers:
        resource["identifier"] = identifiers
    given = row.given_names.split()
    name: dict[str, Any] = {"use": "official", "family": row.family_name}
    if given:
        name["extension"] = [{"url": codes.FR_CORE_BIRTH_LIST_GIVEN_NAME, "valueString": row.given_names}]
        name["given"] = given[:1] if qualified else given
    names = [name]
    if row.used_name or row.used_given_name:
        used: dict[str, Any] = {"use": "usual", "family": row.used_name or row.family_name}
        used["given"] = [row.used_given_name] if row.used_given_name else given[:1]
        names.append(used)
    resource["name"] = names
    if row.phone:
        resource["telecom"] = [{"system": "phone", "value": row.phone}]
    resource["gender"] = row.sex
    resource["birthDate"] = row.birth_date.isoformat()
    if row.referring_gp_id:
        resource["generalPractitioner"] = [role_ref(row.referring_gp_id, row.practice_id)]
    resource["managingOrganization"] = ref("Organization", org_id(row.practice_id))
    return resource


# ---------------------------------------------------------------------------------------------------
# Pathways: Condition, CarePlan, Goal, Consent (one of each per enrolment; goals per target)

CAREPLAN_STATUS = {"active": "active", "paused": "on-hold", "ended": "completed"}
ACTIVITY_STATUS = {"active": "in-progress", "paused": "on-hold", "ended": "stopped"}
GOAL_STATUS = {"active": "active", "paused": "on-hold", "ended": "completed"}
_PERIOD_UNITS = {"Y": "a", "M": "mo", "W": "wk", "D": "d"}


def condition(enrolment: Enrolment, pathway: PathwayInfo) -> Resource:
    code: dict[str, Any] = {"text": pathway.title}
    if pathway.condition:
        code = {"coding": list(pathway.condition), "text": pathway.title}
    return {
        "resourceType": "Condition",
        "id": condition_id(enrolment.id),
        "clinicalStatus": {"coding": [_coding(codes.CONDITION_CLINICAL, "active")]},
        "verificationStatus": {"coding": [_coding(codes.CONDITION_VERIFICATION, "confirmed")]},
        "category": [
            {"coding": [_coding(codes.CONDITION_CATEGORY, "problem-list-item", "Problem List Item")]}
        ],
        "code": code,
        "subject": ref("Patient", enrolment.patient_id),
        "recordedDate": _dt(enrolment.created_at),
    }


def timing(every: str | None) -> dict[str, Any] | None:
    """An ISO 8601 duration with one part (P3M, P1Y, P2W, P15D) → Timing.repeat; longer forms → None."""
    if not every or not every.startswith("P") or "T" in every:
        return None
    amount, unit = every[1:-1], every[-1:]
    if not amount.isdigit() or unit not in _PERIOD_UNITS:
        return None
    return {"repeat": {"frequency": 1, "period": int(amount), "periodUnit": _PERIOD_UNITS[unit]}}


def _activity(measure: MeasureInfo, status: str) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "kind": "ServiceRequest",
        "code": {"coding": list(measure.coding), "text": measure.label}
        if measure.coding
        else {"text": measure.label},
        "status": status,
        "description": measure.label,
    }
    scheduled = timing(measure.every)
    if scheduled:
        detail["scheduledTiming"] = scheduled
    return {"detail": detail}


# A patient's personal target per measure id: (min, max, reason), which replaces the protocol's default.
PersonalTargets = Mapping[str, tuple[float | None, float | None, str | None]]


@dataclass(frozen=True, slots=True)
class _Target:
    low: float | None
    high: float | None
    personal: bool = False
    reason: str | None = None


def targets(
    pathway: PathwayInfo, personal: PersonalTargets | None = None
) -> list[tuple[MeasureInfo, _Target]]:
    """The target in force for each measure of the pathway that has one: the patient's own, else the
    protocol's default."""
    found = []
    for measure in pathway.measures:
        if personal and measure.id in personal:
            low, high, reason = personal[measure.id]
            target = _Target(low, high, True, reason)
        else:
            target = _Target(measure.target_min, measure.target_max)
        if target.low is not None or target.high is not None:
            found.append((measure, target))
    return found


def care_plan(
    enrolment: Enrolment,
    pathway: PathwayInfo,
    ended_on: date | None = None,
    personal: PersonalTargets | None = None,
) -> Resource:
    period: dict[str, str] = {"start": enrolment.start_date.isoformat()}
    if ended_on and enrolment.status == "ended":
        period["end"] = ended_on.isoformat()
    resource: Resource = {
        "resourceType": "CarePlan",
        "id": enrolment.id,
        "status": CAREPLAN_STATUS.get(enrolment.status, "unknown"),
        "intent": "plan",
        "category": [{"coding": [_coding(codes.LOCAL_PATHWAY, enrolment.protocol_id, pathway.title)]}],
        "title": pathway.title,
        "description": f"{pathway.title} ({enrolment.protocol_id} {enrolment.protocol_version})",
        "subject": ref("Patient", enrolment.patient_id),
        "period": period,
        "created": _dt(enrolment.created_at),
        "author": role_ref(enrolment.consent_recorded_by, enrolment.practice_id),
        "addresses": [ref("Condition", condition_id(enrolment.id))],
    }
    goal_refs = [ref("Goal", goal_id(enrolment.id, m.id)) for m, _target in targets(pathway, personal)]
    if goal_refs:
        resource["goal"] = goal_refs
    status = ACTIVITY_STATUS.get(enrolment.status, "unknown")
    activities = [_activity(m, status) for m in pathway.measures if m.every]
    if activities:
        resource["activity"] = activities
    return resource


def _target_detail(measure: MeasureInfo, target: _Target) -> dict[str, Any]:
    unit = measure.unit or "1"
    if target.low is not None and target.high is not None:
        return {"detailRange": {"low": _ucum(target.low, unit), "high": _ucum(target.high, unit)}}
    if target.high is not None:
        return {"detailQuantity": {**_ucum(target.high, unit), "comparator": "<="}}
    return {"detailQuantity": {**_ucum(target.low or 0.0, unit), "comparator": ">="}}


def _target_text(measure: MeasureInfo, target: _Target) -> str:
    unit = f" {measure.unit}" if measure.unit else ""
    if target.low is not None and target.high is not None:
        return f"{measure.label} {target.low:g}–{target.high:g}{unit}"
    if target.high is not None:
        return f"{measure.label} ≤ {target.high:g}{unit}"
    return f"{measure.label} ≥ {target.low:g}{unit}"


def goals(
    enrolment: Enrolment, pathway: PathwayInfo, personal: PersonalTargets | None = None
) -> list[Resource]:
    """One Goal per measure with a target: the patient's personal one when set, else the protocol's. The
    id depends on the enrolment and the measure only, so a changed target updates the same Goal."""
    found = []
    for measure, target in targets(pathway, personal):
        goal: Resource = {
            "resourceType": "Goal",
            "id": goal_id(enrolment.id, measure.id),
            "lifecycleStatus": GOAL_STATUS.get(enrolment.status, "active"),
            "description": {"text": _target_text(measure, target)},
            "subject": ref("Patient", enrolment.patient_id),
            "startDate": enrolment.start_date.isoformat(),
            "target": [{"measure": {"coding": list(measure.coding[:1])}, **_target_detail(measure, target)}],
            "addresses": [ref("Condition", condition_id(enrolment.id))],
        }
        if target.personal:
            goal["category"] = [
                {"coding": [_coding(codes.LOCAL_CODES, "personal-target", "Personal target")]}
            ]
            if target.reason:
                goal["note"] = [{"text": target.reason}]
        found.append(goal)
    return found


def consent(enrolment: Enrolment, pathway: PathwayInfo) -> Resource:
    return {
        "resourceType": "Consent",
        "id": consent_id(enrolment.id),
        "status": "inactive" if enrolment.status == "ended" else "active",
        "scope": {"coding": [_coding(codes.CONSENT_SCOPE, "patient-privacy", "Privacy Consent")]},
        "category": [{"coding": [_coding(codes.LOINC, "59284-0", "Patient Consent")]}],
        "patient": ref("Patient", enrolment.patient_id),
        "dateTime": enrolment.consent_date.isoformat(),
        "performer": [ref("Patient", enrolment.patient_id)],
        "organization": [ref("Organization", org_id(enrolment.practice_id))],
        # R4 invariant ppc-1: a privacy consent names its policy; opt-in to the cooperation protocol.
        "policyRule": {
            "coding": [_coding(codes.V3_ACT_CODE, "OPTIN", "opt-in")],
            "text": f"{pathway.title}: consent {enrolment.consent_method}",
        },
        "verification": [
            {
                "verified": True,
                "verifiedWith": ref("Patient", enrolment.patient_id),
                "verificationDate": enrolment.consent_date.isoformat(),
            }
        ],
    }


# ---------------------------------------------------------------------------------------------------
# Sessions: Encounter, Observation, Procedure / ServiceRequest


def encounter(session: CareSession, conditions: Mapping[str, str] | None = None) -> Resource:
    """`conditions` maps a protocol id to the patient's Condition id, to say why the session took place."""
    error = session.status == "entered-in-error"
    phone = session.kind == "phone"
    end = session.started_at + timedelta(minutes=session.duration_minutes)
    resource: Resource = {
        "resourceType": "Encounter",
        "id": session.id,
        "status": "entered-in-error" if error else "finished",
        # A phone follow-up is a virtual encounter (VR); the others happen at the practice (AMB).
        "class": _coding(codes.V3_ACT_CODE, "VR", "virtual")
        if phone
        else _coding(codes.V3_ACT_CODE, "AMB", "ambulatory"),
        "type": [{"coding": [_coding(codes.LOCAL_SESSION_KIND, session.kind)], "text": session.kind}],
        "subject": ref("Patient", session.patient_id),
        "participant": [
            {
                "type": [{"coding": [_coding(codes.PARTICIPANT_TYPE, "PPRF", "primary performer")]}],
                "individual": role_ref(session.nurse_id, session.practice_id),
            }
        ],
        "period": {"start": _dt(session.started_at), "end": _dt(end)},
        "length": {"value": session.duration_minutes, "unit": "min", "system": codes.UCUM, "code": "min"},
    }
    if conditions:
        reasons = [ref("Condition", conditions[p]) for p in session.pathways or () if p in conditions]
        if reasons:
            resource["reasonReference"] = reasons
    resource["serviceProvider"] = ref("Organization", org_id(session.practice_id))
    return resource


def _category(category: str) -> list[dict[str, Any]]:
    return [{"coding": [{"system": codes.OBSERVATION_CATEGORY, "code": category}]}]


_CATEGORIES = {
    name: _category(name)
    for name in ("vital-signs", "laboratory", "exam", "social-history", "activity", "survey")
}


# FR Core vital-sign profiles (on the FHIR vital signs ones) our measures meet: LOINC code, category
# vital-signs, a UCUM quantity. Blood pressure is stored as two observations, not the 85354-9 panel the
# FR Core BP profile asks for, so it declares none.
VITAL_SIGN_PROFILES = {
    "29463-7": "fr-core-observation-body-weight",
    "8302-2": "fr-core-observation-body-height",
    "39156-5": "fr-core-observation-bmi",
    "8867-4": "fr-core-observation-heartrate",
    "59408-5": "fr-core-observation-saturation-oxygen",
}
# The FHIR oxygen saturation profile also asks for the generic 2708-6 coding beside the pulse oximetry one.
_ALSO_REQUIRED = {"59408-5": "2708-6"}


def vital_sign_profile(coding: list[dict[str, str]]) -> str | None:
    loinc = [c["code"] for c in coding if c.get("system") == codes.LOINC]
    if not loinc or loinc[0] not in VITAL_SIGN_PROFILES:
        return None
    also = _ALSO_REQUIRED.get(loinc[0])
    return VITAL_SIGN_PROFILES[loinc[0]] if also is None or also in loinc else None


def _value_system(stored: str | None) -> str:
    if not stored:
        return codes.LOCAL_CODES
    return codes.SHORT_SYSTEMS.get(stored, stored)


def _observation_code(row: Observation, measure: MeasureInfo | None) -> dict[str, Any]:
    if measure is not None and measure.coding:
        if row.loinc and measure.coding[0]["code"] != row.loinc:
            return {"coding": [_coding(codes.LOINC, row.loinc)], "text": measure.label}
        return {"coding": list(measure.coding), "text": measure.label}
    if row.loinc:
        return {"coding": [_coding(codes.LOINC, row.loinc)], "text": row.measure_id}
    return {"coding": [_coding(codes.LOCAL_MEASURE, row.measure_id)], "text": row.measure_id}


def observation(
    row: Observation, catalog: Catalog, nurse_id: int, practice_id: int, session_status: str = "final"
) -> Resource:
    """One stored value. The session's nurse performed it; an erroneous session makes it erroneous too."""
    measure = catalog.measure(row.measure_id, row.loinc)
    status = "entered-in-error" if session_status == "entered-in-error" else row.status
    resource: Resource = {
        "resourceType": "Observation",
        "id": row.id,
        "status": status,
        "category": _CATEGORIES.get(measure.category if measure else "", _CATEGORIES["exam"]),
        "code": _observation_code(row, measure),
        "subject": {"reference": f"Patient/{row.patient_id}"},
        "encounter": {"reference": f"Encounter/{row.session_id}"},
        "effectiveDateTime": row.effective_at.isoformat(),
        "performer": [role_ref(nurse_id, practice_id)],
    }
    if row.value_num is not None:
        converted = bool(row.original_unit and row.original_unit != row.unit)
        value = quantity_value(row.value_num, measure.decimals if measure else None, converted)
        resource["valueQuantity"] = _ucum(value, row.unit or "1")
    elif row.value_code is not None:
        answer = measure.answers.get(row.value_code) if measure else None
        coding = answer or _coding(_value_system(row.value_system), row.value_code)
        resource["valueCodeableConcept"] = {"coding": [coding]}
    else:
        resource["dataAbsentReason"] = {
            "coding": [_coding("http://terminology.hl7.org/CodeSystem/data-absent-reason", "unknown")]
        }
    if measure is not None and measure.category == "vital-signs" and "valueQuantity" in resource:
        vital = vital_sign_profile(resource["code"]["coding"])
        if vital:
            resource["meta"] = {"profile": [profile(vital)]}
    if row.original_unit and row.original_unit != row.unit and row.original_value:
        resource["note"] = [{"text": f"Entered as {row.original_value} {row.original_unit}"}]
    if row.computed:
        resource["method"] = {"text": "Computed by asalee-track"}
    response_id = getattr(row, "qr_id", None)
    if response_id:
        resource["derivedFrom"] = [ref("QuestionnaireResponse", response_id)]
    return resource


def lab_observation(
    row: Observation, catalog: Catalog, lab: str | None, reported_at: datetime | None
) -> Resource:
    """A value from a laboratory's result file: category laboratory, the lab as performer (named, as
    the file names it: no Organization of ours stands for it), no encounter."""
    measure = catalog.measure(row.measure_id, row.loinc)
    resource: Resource = {
        "resourceType": "Observation",
        "id": row.id,
        "status": row.status,
        "category": _CATEGORIES["laboratory"],
        "code": _observation_code(row, measure),
        "subject": {"reference": f"Patient/{row.patient_id}"},
        "effectiveDateTime": _dt(row.effective_at),
        "performer": [{"type": "Organization", "display": lab or "Laboratoire"}],
    }
    if reported_at is not None:
        resource["issued"] = _dt(reported_at if reported_at.tzinfo else reported_at.replace(tzinfo=UTC))
    if row.value_num is not None:
        resource["valueQuantity"] = _ucum(row.value_num, row.unit or "1")
    if row.original_value:
        resource["note"] = [{"text": f"Reported as {row.original_value} {row.original_unit or ''}".rstrip()}]
    return resource


def _act_code(item: SessionItem, act: ActInfo | None) -> dict[str, Any]:
    label = act.label if act else item.item_id
    codings = [_coding(codes.LOCAL_ACT, f"{item.protocol_id}/{item.item_id}")]
    if act and act.coding:
        codings.insert(0, act.coding)
    return {"coding": codings, "text": label}


def delegated_act(item: SessionItem, session: CareSession, act: ActInfo | None) -> Resource:
    """A delegated act performed (Procedure) or a test prescribed by the nurse (ServiceRequest)."""
    error = session.status == "entered-in-error"
    common: Resource = {
        "id": item.id,
        "subject": ref("Patient", session.patient_id),
        "encounter": ref("Encounter", session.id),
    }
    if act is not None and act.kind == "prescription":
        resource: Resource = {
            "resourceType": "ServiceRequest",
            **common,
            "status": "entered-in-error" if error else "active",
            "intent": "order",
            "code": _act_code(item, act),
            "authoredOn": _dt(session.started_at),
            "requester": role_ref(session.nurse_id, session.practice_id),
        }
    else:
        resource = {
            "resourceType": "Procedure",
            **common,
            "status": "entered-in-error" if error else "completed",
            "code": _act_code(item, act),
            "performedDateTime": _dt(session.started_at),
            "performer": [
                {
                    "actor": role_ref(session.nurse_id, session.practice_id),
                    "onBehalfOf": ref("Organization", org_id(session.practice_id)),
                }
            ],
        }
    if item.outcome:
        resource["note"] = [{"text": item.outcome}]
    return resource


def act_resource_type(act: ActInfo | None) -> str:
    return "ServiceRequest" if act is not None and act.kind == "prescription" else "Procedure"


# ---------------------------------------------------------------------------------------------------
# Alerts and audit


def flag(alert: Alert) -> Resource:
    message = alert.message or {}
    text = message.get("fr") or message.get("en") or alert.rule_id
    period: dict[str, str] = {"start": _dt(alert.raised_at)}
    if alert.status != "open" and alert.acknowledged_at:
        period["end"] = _dt(alert.acknowledged_at)
    resource: Resource = {
        "resourceType": "Flag",
        "id": alert.id,
        "status": "active" if alert.status == "open" else "inactive",
        "category": [{"coding": [_coding(codes.FLAG_CATEGORY, "clinical", "Clinical")]}],
        "code": {"coding": [_coding(codes.LOCAL_RULE, f"{alert.protocol_id}/{alert.rule_id}")], "text": text},
        "subject": ref("Patient", alert.patient_id),
        "period": period,
    }
    if alert.session_id:
        resource["encounter"] = ref("Encounter", alert.session_id)
    return resource


# DICOM audit event types and FHIR actions per application action.
_AUDIT_TYPES = {
    "export": ("110106", "Export", "R"),
    "login": ("110114", "User Authentication", "E"),
    "logout": ("110114", "User Authentication", "E"),
    "search": ("110112", "Query", "E"),
}
_AUDIT_ACTIONS = {"create": "C", "read": "R", "update": "U", "delete": "D"}
_AUDIT_OUTCOMES = {"success": "0", "failure": "4", "not-found": "4", "rate-limited": "4", "error": "8"}


def audit_event(event: AuditEvent, user_role: str | None = None, user_name: str | None = None) -> Resource:
    """`user_role` says whether the acting user has a Practitioner resource (nurses and GPs do)."""
    type_code, type_display, action = _AUDIT_TYPES.get(event.action, ("110110", "Patient Record", "E"))
    action = _AUDIT_ACTIONS.get(event.action, action)
    agent: dict[str, Any] = {"requestor": True}
    if event.user_id is not None and user_role in CLINICAL_ROLES:
        agent["who"] = ref("Practitioner", prac_id(event.user_id))
    elif event.user_id is not None:
        agent["who"] = {"identifier": {"system": codes.LOCAL_USER_ID, "value": str(event.user_id)}}
    if user_name:
        agent["name"] = user_name
    resource: Resource = {
        "resourceType": "AuditEvent",
        "id": audit_id(event.id or 0),
        "type": _coding(codes.DICOM_DCM, type_code, type_display),
        "subtype": [_coding(codes.LOCAL_CODES, f"audit-{event.action}", event.action)],
        "action": action,
        "recorded": _dt(event.at),
        "outcome": _AUDIT_OUTCOMES.get(event.outcome, "4"),
        "agent": [agent],
        "source": {
            "site": "asalee-track",
            "observer": ref("Organization", org_id(event.practice_id))
            if event.practice_id
            else {"display": "asalee-track"},
            "type": [_coding(codes.AUDIT_SOURCE_TYPE, "4", "Application Server")],
        },
    }
    if event.outcome != "success" and event.outcome in _AUDIT_OUTCOMES:
        resource["outcomeDesc"] = event.outcome
    entities: list[dict[str, Any]] = []
    if event.patient_id:
        entities.append(
            {
                "what": ref("Patient", event.patient_id),
                "type": _coding(codes.AUDIT_ENTITY_TYPE, "1", "Person"),
            }
        )
    if event.object_type and event.object_type != "Patient":
        entity: dict[str, Any] = {"name": event.object_type}
        if event.object_id:
            entity["what"] = {
                "identifier": {"system": codes.LOCAL_CODES, "value": f"{event.object_type}/{event.object_id}"}
            }
        entities.append(entity)
    if event.detail:
        entities.append({"description": event.detail})
    if entities:
        resource["entity"] = entities
    return resource
