"""$everything over a long record: a page maps only its own resources, each type listed by id, and
`_since` holds on every type the record has (questionnaire responses included)."""

from datetime import UTC, datetime, timedelta

from asalee_track.care import sessions
from asalee_track.fhir import mapping
from asalee_track.i18n import TIMEZONE
from asalee_track.store.db import transaction
from tests.fhir.conftest import auth
from tests.fhir.test_questionnaires import ANSWERS
from tests.fhir.test_search_controls import get


def test_a_page_maps_only_the_observations_it_shows(
    client, engine, world, make_patient, make_record, token, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    record = make_record(make_patient(ins=""), sessions=6)
    mapped: list[str] = []
    observation = mapping.observation

    def counted(row, *args, **kwargs):  # type: ignore[no-untyped-def]
        mapped.append(row.id)
        return observation(row, *args, **kwargs)

    monkeypatch.setattr(mapping, "observation", counted)
    url = f"/fhir/Patient/{record.patient.id}/$everything?_type=Observation&_count=5&_offset=5"
    page = get(client, token, url)
    shown = [e["resource"]["id"] for e in page["entry"]]
    assert page["total"] == len(record.observations) > 10
    assert len(shown) == 5 and sorted(mapped) == sorted(shown)


def test_each_type_is_listed_by_id_across_pages(client, make_patient, make_record, token) -> None:  # type: ignore[no-untyped-def]
    record = make_record(make_patient(ins=""), sessions=5)
    url = f"/fhir/Patient/{record.patient.id}/$everything?_type=Encounter,Observation&_count=7"
    seen: list[tuple[str, str]] = []
    while url:
        page = get(client, token, url)
        seen += [(e["resource"]["resourceType"], e["resource"]["id"]) for e in page["entry"]]
        url = next((link["url"] for link in page["link"] if link["relation"] == "next"), "").removeprefix(
            "http://testserver"
        )
    encounters = [i for t, i in seen if t == "Encounter"]
    observations = [i for t, i in seen if t == "Observation"]
    assert seen == [("Encounter", i) for i in encounters] + [("Observation", i) for i in observations]
    assert encounters == sorted(s.id for s in record.sessions)
    assert observations == sorted(o.id for o in record.observations)


def test_since_narrows_questionnaire_responses_too(
    client, engine, world, protocols, make_patient, enrol, token
) -> None:  # type: ignore[no-untyped-def]
    patient = enrol(make_patient(ins=""), "bpco-tabac")
    before = datetime.now(UTC) - timedelta(minutes=5)
    started = (datetime.now(UTC) - timedelta(hours=2)).astimezone(TIMEZONE).strftime("%Y-%m-%dT%H:%M")
    raw = {"started_at": started, "duration_minutes": "30", "kind": "follow-up"}
    raw.update({f"q.bpco-tabac.fagerstrom.{item}": code for item, code in ANSWERS.items()})
    with transaction(engine) as db:
        sessions.save(db, world.actor(world.nurse), protocols, patient.id, raw)
    base = f"/fhir/Patient/{patient.id}/$everything?_type=QuestionnaireResponse"
    since = before.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert len(get(client, token, f"{base}&_since={since}")["entry"]) == 1
    later = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    response = client.get(f"{base}&_since={later}", headers=auth(token))
    assert response.status_code == 200 and "entry" not in response.json()
