"""The mapping: every resource parses back with fhir.resources R4B, with the French identifiers, codes and
units on the exact values domain.md gives, and a patient's Bundle has no dangling reference."""

import string
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import orjson
import pytest
from fhir.resources.R4B.bundle import Bundle
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from asalee_track import PROJECT_ROOT
from asalee_track.care import demo
from asalee_track.care.identity import nir_key
from asalee_track.fhir import bundles, catalog, codes, mapping, sources
from asalee_track.store import migrate
from asalee_track.store.db import make_engine, transaction
from asalee_track.store.tables import Membership, Patient, Practice, User
from tests.fhir.conftest import add_record, validate, validate_all

CATALOG = catalog.load_catalog(PROJECT_ROOT / "protocols")
BASE = "https://fhir.example.test/fhir"


def by_type(resources: list[dict], kind: str) -> list[dict]:
    return [r for r in resources if r["resourceType"] == kind]


def assert_references_resolve(bundle: dict) -> None:
    present = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle["entry"]}
    full_urls = {e["fullUrl"] for e in bundle["entry"]}
    assert all(url.startswith(BASE + "/") for url in full_urls)
    dangling = {
        ref for e in bundle["entry"] for ref in bundles.references(e["resource"]) if ref not in present
    }
    assert dangling == set()


def patient_bundle(engine: Engine, practice_id: int, patient_id: str) -> dict:
    with Session(engine) as db:
        return bundles.patient_collection(db.connection(), practice_id, patient_id, CATALOG, BASE)


def test_a_patient_record_is_valid_fhir_and_self_contained(engine: Engine, record, world) -> None:
    bundle = patient_bundle(engine, world.practice.id, record.patient.id)
    parsed = Bundle.model_validate(bundle)
    assert parsed.type == "collection"
    assert_references_resolve(bundle)
    resources = [e["resource"] for e in bundle["entry"]]
    counts = {kind: len(by_type(resources, kind)) for kind in {r["resourceType"] for r in resources}}
    assert counts == {
        "Patient": 1,
        "Organization": 1,
        "Practitioner": 2,  # the nurse and the referring GP
        "PractitionerRole": 2,
        "Condition": 1,
        "CarePlan": 1,
        "Goal": sum(1 for m in CATALOG.pathway("diabete-type-2").measures if m.target_min or m.target_max),
        "Consent": 1,
        "Encounter": 2,
        "Observation": 12,
        "Procedure": 2,
        "ServiceRequest": 2,
        "Flag": 1,
    }


def test_patient_identifiers_and_references(engine: Engine, record, world) -> None:
    resources = [e["resource"] for e in patient_bundle(engine, world.practice.id, record.patient.id)["entry"]]
    patient = by_type(resources, "Patient")[0]
    ins = patient["identifier"][0]
    assert ins["system"] == "urn:oid:1.2.250.1.213.1.4.8"
    assert ins["value"] == "257077512345669"
    assert ins["type"]["coding"][0] == {
        "system": "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203",
        "code": "INS-NIR",
        "display": "NIR définitif",
    }
    local = patient["identifier"][1]
    assert local["value"] == "DOS-42"
    assert local["type"]["coding"][0]["code"] == "PI"
    assert local["system"] == f"urn:asalee-track:patient-local-id:practice-{world.practice.id}"
    assert patient["name"] == [
        {
            "use": "official",
            "family": "Lefèvre",
            "given": ["Hélène"],
            "extension": [{"url": codes.FR_CORE_BIRTH_LIST_GIVEN_NAME, "valueString": "Hélène"}],
        }
    ]
    assert patient["birthDate"] == "1957-07-01" and patient["gender"] == "female"
    assert patient["generalPractitioner"] == [
        {"reference": f"PractitionerRole/role-{world.gp.id}-{world.practice.id}"}
    ]
    assert patient["managingOrganization"] == {"reference": f"Organization/org-{world.practice.id}"}
    organization = by_type(resources, "Organization")[0]
    assert organization["identifier"][0]["system"] == "urn:oid:1.2.250.1.71.4.2.2"
    assert organization["identifier"][0]["value"] == "1750012345"
    assert organization["identifier"][0]["type"]["coding"][0]["code"] == "IDNST"
    roles = {r["id"]: r for r in by_type(resources, "PractitionerRole")}
    gp_role = roles[f"role-{world.gp.id}-{world.practice.id}"]
    assert gp_role["code"][0]["coding"][0] == {
        "system": codes.SNOMED,
        "code": "62247001",
        "display": "General practitioner",
    }
    nurse_role = roles[f"role-{world.nurse.id}-{world.practice.id}"]
    assert nurse_role["code"][0]["coding"][0]["code"] == "106292003"


def test_observations_carry_loinc_ucum_and_categories(engine: Engine, record, world) -> None:
    resources = [e["resource"] for e in patient_bundle(engine, world.practice.id, record.patient.id)["entry"]]
    observations = by_type(resources, "Observation")
    weight = next(o for o in observations if o["code"]["coding"][0]["code"] == "29463-7")
    assert weight["code"]["coding"][0] == {
        "system": "http://loinc.org",
        "code": "29463-7",
        "display": "Body weight",
    }
    assert weight["valueQuantity"] == {
        "value": 82.5,
        "unit": "kg",
        "system": "http://unitsofmeasure.org",
        "code": "kg",
    }
    assert weight["category"][0]["coding"][0] == {
        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
        "code": "vital-signs",
    }
    assert weight["effectiveDateTime"] == "2025-01-15T09:30:00+00:00"
    assert weight["status"] == "final"
    assert weight["encounter"]["reference"] == f"Encounter/{record.sessions[0].id}"
    sbp = next(o for o in observations if o["code"]["coding"][0]["code"] == "8480-6")
    assert sbp["valueQuantity"]["code"] == "mm[Hg]"
    hba1c = next(o for o in observations if o["code"]["coding"][0]["code"] == "4548-4")
    assert hba1c["category"][0]["coding"][0]["code"] == "laboratory"
    smoking = next(o for o in observations if o["code"]["coding"][0]["code"] == "72166-2")
    assert smoking["category"][0]["coding"][0]["code"] == "social-history"
    assert smoking["valueCodeableConcept"]["coding"][0]["system"] == "http://snomed.info/sct"
    assert smoking["valueCodeableConcept"]["coding"][0]["code"] == "8517006"
    feet = next(o for o in observations if o["code"]["coding"][0]["code"] == "134388005")
    assert feet["code"]["coding"][0]["system"] == "http://snomed.info/sct"
    assert feet["category"][0]["coding"][0]["code"] == "exam"
    assert feet["valueCodeableConcept"]["coding"][0]["code"] == "normal"


def test_pathway_resources(engine: Engine, record, world) -> None:
    resources = [e["resource"] for e in patient_bundle(engine, world.practice.id, record.patient.id)["entry"]]
    condition = by_type(resources, "Condition")[0]
    assert {"system": "http://snomed.info/sct", "code": "44054006"} in condition["code"]["coding"]
    assert {"system": "http://hl7.org/fhir/sid/icd-10", "code": "E11"} in condition["code"]["coding"]
    plan = by_type(resources, "CarePlan")[0]
    assert plan["status"] == "active" and plan["intent"] == "plan"
    assert plan["addresses"] == [{"reference": f"Condition/{condition['id']}"}]
    assert plan["period"] == {"start": "2025-01-15"}
    hba1c_activity = next(a for a in plan["activity"] if a["detail"]["code"]["coding"][0]["code"] == "4548-4")
    assert hba1c_activity["detail"]["scheduledTiming"] == {
        "repeat": {"frequency": 1, "period": 3, "periodUnit": "mo"}
    }
    goal = next(
        g for g in by_type(resources, "Goal") if g["target"][0]["measure"]["coding"][0]["code"] == "4548-4"
    )
    assert goal["target"][0]["detailQuantity"] == {
        "value": 7.0,
        "unit": "%",
        "system": codes.UCUM,
        "code": "%",
        "comparator": "<=",
    }
    consent = by_type(resources, "Consent")[0]
    assert consent["status"] == "active" and consent["scope"]["coding"][0]["code"] == "patient-privacy"
    encounter = by_type(resources, "Encounter")[0]
    assert encounter["class"] == {"system": codes.V3_ACT_CODE, "code": "AMB", "display": "ambulatory"}
    assert encounter["period"] == {"start": "2025-01-15T09:30:00+00:00", "end": "2025-01-15T10:15:00+00:00"}
    assert encounter["reasonReference"] == [{"reference": f"Condition/{condition['id']}"}]
    assert (
        encounter["participant"][0]["individual"]["reference"]
        == f"PractitionerRole/role-{world.nurse.id}-{world.practice.id}"
    )
    ecg = by_type(resources, "Procedure")[0]
    assert ecg["code"]["coding"][0] == {
        "system": codes.SNOMED,
        "code": "29303009",
        "display": "Electrocardiographic procedure",
    }
    assert ecg["status"] == "completed" and ecg["note"] == [{"text": "normal"}]
    prescription = by_type(resources, "ServiceRequest")[0]
    assert prescription["code"]["coding"][0]["code"] == "4548-4" and prescription["intent"] == "order"
    assert by_type(resources, "Flag")[0]["status"] == "active"


def test_paused_and_erroneous_records_map_their_status(
    engine: Engine, make_patient, make_record, world
) -> None:
    record = make_record(make_patient(), enrolment_status="paused", sessions=1)
    with transaction(engine) as db:
        session = db.get(type(record.sessions[0]), record.sessions[0].id)
        session.status = "entered-in-error"
        db.add(session)
    resources = [e["resource"] for e in patient_bundle(engine, world.practice.id, record.patient.id)["entry"]]
    validate_all(resources)
    assert by_type(resources, "CarePlan")[0]["status"] == "on-hold"
    assert by_type(resources, "Encounter")[0]["status"] == "entered-in-error"
    assert {o["status"] for o in by_type(resources, "Observation")} == {"entered-in-error"}
    assert {p["status"] for p in by_type(resources, "Procedure")} == {"entered-in-error"}


def test_audit_events_are_valid(engine: Engine, record, world) -> None:
    with Session(engine) as db:
        events = list(sources.audit_events(db.connection(), sources.Scope(world.practice.id), CATALOG))
    assert events, "creating the patient was audited"
    validate_all(events)
    created = next(e for e in events if e["action"] == "C")
    assert created["type"]["code"] == "110110" and created["type"]["system"] == codes.DICOM_DCM
    assert created["agent"][0]["who"] == {"reference": f"Practitioner/prac-{world.nurse.id}"}


def test_without_protocol_files_the_mapping_still_codes_what_it_knows(
    engine: Engine, record, world, tmp_path: Path
) -> None:
    bare = catalog.load_catalog(tmp_path / "missing")
    with Session(engine) as db:
        bundle = bundles.patient_collection(db.connection(), world.practice.id, record.patient.id, bare, BASE)
    Bundle.model_validate(bundle)
    assert_references_resolve(bundle)
    resources = [e["resource"] for e in bundle["entry"]]
    assert {"system": codes.SNOMED, "code": "44054006"} in by_type(resources, "Condition")[0]["code"][
        "coding"
    ]
    weight = next(o for o in by_type(resources, "Observation") if o["code"]["coding"][0]["code"] == "29463-7")
    assert weight["category"][0]["coding"][0]["code"] == "vital-signs"


# ---------------------------------------------------------------------------------------------------
# Demo data, on its own database (demo users have fixed emails and RPPS numbers)


@pytest.fixture(scope="module")
def demo_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}")
    migrate.upgrade(engine)
    with transaction(engine) as db:
        demo.create_demo(db, patient_count=12)
    with Session(engine) as db:
        people = {u.role: u for u in db.exec(select(User)).all()}
        patients = list(db.exec(select(Patient)).all())
    world = SimpleNamespace(nurse=people["nurse"], gp=people["gp"])
    for index, patient in enumerate(patients):
        protocol = ("diabete-type-2", "obesite", "insuffisance-cardiaque", "suivi-cancer")[index % 4]
        add_record(engine, world, patient, protocol_id=protocol, sessions=index % 3)  # type: ignore[arg-type]
    yield engine
    engine.dispose()


def test_only_some_demo_identities_are_qualified_and_only_they_export_an_ins(demo_engine: Engine) -> None:
    with Session(demo_engine) as db:
        rows = list(db.exec(select(Patient)).all())
    statuses = {row.identity_status for row in rows}
    assert statuses == {"provisoire", "recuperee", "validee", "qualifiee"}
    for row in rows:
        exported = mapping.patient(row)
        has_ins = any(i["system"] == codes.INS_NIR_OID for i in exported.get("identifier", []))
        assert has_ins == (row.identity_status == "qualifiee")


def test_every_resource_of_the_demo_practice_is_valid(demo_engine: Engine) -> None:
    with Session(demo_engine) as db:
        practice = db.exec(select(Practice)).one()
        conn = db.connection()
        scope = sources.Scope(practice.id or 0)
        total = sum(
            validate_all(sources.stream(conn, kind, scope, CATALOG)) for kind in sources.RESOURCE_TYPES
        )
        practitioners = list(sources.practitioners(conn, scope, CATALOG))
        patient_ids = list(db.exec(select(Patient.id)).all())
        for patient_id in patient_ids:
            bundle = bundles.patient_collection(conn, practice.id or 0, patient_id, CATALOG, BASE)
            Bundle.model_validate(bundle)
            assert_references_resolve(bundle)
    assert total > 12 * 5
    nurse = next(p for p in practitioners if "suffix" not in p["name"][0])
    assert nurse["identifier"][1]["value"] == "10102345678"  # nurses carry their RPPS too
    gp = next(p for p in practitioners if p["name"][0].get("suffix") == ["DR"])
    assert gp["identifier"][0]["system"] == "urn:oid:1.2.250.1.71.4.2.1"
    assert gp["identifier"][0]["value"] == "810003456789"
    assert gp["identifier"][0]["type"]["coding"][0]["code"] == "IDNPS"
    assert gp["identifier"][1] == {
        "use": "secondary",
        "type": {"coding": [{"system": codes.FR_IDENTIFIER_TYPE, "code": "RPPS", "display": "N° RPPS"}]},
        "system": "https://rpps.esante.gouv.fr",
        "value": "10003456789",
    }
    assert gp["name"][0]["suffix"] == ["DR"] and "prefix" not in gp["name"][0]
    assert gp["meta"]["profile"] == [f"{codes.FR_CORE_PROFILE}fr-core-practitioner"]


# ---------------------------------------------------------------------------------------------------
# Randomised rows (hypothesis): the mapping never emits an invalid resource

names = st.text(alphabet=string.ascii_letters + "éèêëàâîïôöûüçœÉÈÀÇ' -", min_size=1, max_size=40).filter(
    lambda s: s.strip() != ""
)


@st.composite
def patient_rows(draw: st.DrawFn) -> Patient:
    sex = draw(st.sampled_from(["female", "male", "other", "unknown"]))
    birth = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31)))
    department = draw(st.sampled_from(["75", "2A", "2B", "33"]))
    number = f"{draw(st.sampled_from('12'))}{birth.year % 100:02d}{birth.month:02d}{department}"
    number += f"{draw(st.integers(1, 999)):03d}{draw(st.integers(1, 999)):03d}"
    updated = draw(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2030, 1, 1))).replace(
        tzinfo=UTC
    )
    return Patient(
        id=str(draw(st.uuids())),
        practice_id=draw(st.integers(1, 10_000)),
        family_name=draw(names).strip(),
        given_names=draw(names).strip(),
        birth_date=birth,
        sex=sex,
        ins=draw(st.one_of(st.none(), st.just(number + nir_key(number)))),
        local_id=draw(
            st.one_of(st.none(), st.text(string.ascii_letters + string.digits + "-", min_size=1, max_size=50))
        ),
        referring_gp_id=draw(st.one_of(st.none(), st.integers(1, 10_000))),
        phone=draw(st.one_of(st.none(), st.just("05 49 12 34 56"))),
        birth_place_insee="2A004" if department == "2A" else f"{department}056",
        identity_status=draw(st.sampled_from(["provisoire", "recuperee", "validee", "qualifiee"])),
        search_key="x",
        version=draw(st.integers(1, 50)),
        updated_at=updated,
    )


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(row=patient_rows())
def test_random_patients_map_to_valid_resources(row: Patient) -> None:
    resource = mapping.patient(row)
    parsed = validate(resource)
    assert parsed.id == row.id
    systems = [i["system"] for i in resource.get("identifier", [])]
    assert (codes.INS_NIR_OID in systems) == (row.identity_status == "qualifiee" and row.ins is not None)


MEASURES = [m for m in CATALOG.measures.values()]


@st.composite
def observation_rows(draw: st.DrawFn) -> SimpleNamespace:
    measure = draw(st.sampled_from(MEASURES))
    coded = measure.kind == "coded"
    moment = draw(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2035, 1, 1)))
    value = draw(st.floats(min_value=0, max_value=100_000, allow_nan=False, allow_infinity=False))
    code = draw(st.sampled_from(sorted(measure.answers) or ["x"]))
    return SimpleNamespace(
        id=str(draw(st.uuids())),
        session_id=str(draw(st.uuids())),
        patient_id=str(draw(st.uuids())),
        measure_id=measure.id,
        loinc=measure.coding[0]["code"] if measure.coding[0]["system"] == codes.LOINC else None,
        value_num=None if coded else value,
        value_code=code if coded else None,
        value_system="snomed" if coded else None,
        unit=None if coded else measure.unit,
        original_value=draw(st.one_of(st.none(), st.just("53"))),
        original_unit=draw(st.one_of(st.none(), st.just("mmol/mol"))),
        computed=draw(st.booleans()),
        effective_at=moment.replace(tzinfo=UTC) + timedelta(microseconds=draw(st.integers(0, 999_999))),
        status=draw(st.sampled_from(["final", "amended", "entered-in-error"])),
    )


@settings(max_examples=300)
@given(row=observation_rows(), session_status=st.sampled_from(["final", "amended", "entered-in-error"]))
def test_random_observations_map_to_valid_resources(row: SimpleNamespace, session_status: str) -> None:
    resource = mapping.observation(row, CATALOG, 3, 1, session_status)  # type: ignore[arg-type]
    validate(resource)
    if row.value_num is not None:
        assert resource["valueQuantity"]["system"] == codes.UCUM
        assert resource["valueQuantity"]["code"] == row.unit


def test_membership_table_is_the_source_of_roles(engine: Engine, world) -> None:
    with Session(engine) as db:
        members = db.exec(select(Membership).where(Membership.practice_id == world.practice.id)).all()
        roles = list(sources.practitioner_roles(db.connection(), sources.Scope(world.practice.id), CATALOG))
    clinicians = {world.nurse.id, world.gp.id, world.both_practices_gp.id}
    assert {m.user_id for m in members} >= clinicians
    assert {r["id"] for r in roles} == {f"role-{uid}-{world.practice.id}" for uid in clinicians}
    validate_all(roles)


def test_personal_targets_replace_the_protocol_defaults(engine: Engine, record, world) -> None:
    from asalee_track.store.tables import PersonalTarget

    with transaction(engine) as db:
        db.add(
            PersonalTarget(
                patient_id=record.patient.id,
                measure_id="hba1c",
                max_value=8.0,
                reason="Comorbidités sévères",
                set_by=world.gp.id,
            )
        )
        db.add(
            PersonalTarget(
                patient_id=record.patient.id,
                measure_id="waist",
                max_value=94.0,
                reason="IDF",
                set_by=world.gp.id,
            )
        )
        db.add(
            PersonalTarget(
                patient_id=record.patient.id,
                measure_id="sbp",
                max_value=200.0,
                reason="old",
                set_by=world.gp.id,
                ended_at=datetime(2025, 1, 1, tzinfo=UTC),
            )
        )
    bundle = patient_bundle(engine, world.practice.id, record.patient.id)
    Bundle.model_validate(bundle)
    assert_references_resolve(bundle)
    goals = {
        g["target"][0]["measure"]["coding"][0]["code"]: g
        for g in by_type([e["resource"] for e in bundle["entry"]], "Goal")
    }
    assert goals["4548-4"]["target"][0]["detailQuantity"]["value"] == 8.0
    assert goals["4548-4"]["note"] == [{"text": "Comorbidités sévères"}]
    assert goals["8280-0"]["target"][0]["detailQuantity"]["value"] == 94.0  # no default target for waist
    assert goals["8480-6"]["target"][0]["detailQuantity"]["value"] == 139.0  # the ended one no longer counts


def test_an_exported_bundle_reads_back_through_the_patient_import(engine: Engine, record, world) -> None:
    from asalee_track.care.imports import read_fhir_bundle

    data = orjson.dumps(patient_bundle(engine, world.practice.id, record.patient.id))
    [entry] = read_fhir_bundle(data)
    assert entry.values["family_name"] == "Lefèvre" and entry.values["given_names"] == "Hélène"
    assert entry.values["ins"] == "257077512345669" and entry.values["birth_date"] == "1957-07-01"
