"""Standard search and read behaviour integrators rely on: result parameters, POST search, leniency,
$everything paging and filters, versions and conditional reads, HEAD, and JSON only."""

from datetime import UTC, datetime, timedelta

from fhir.resources.R4B.bundle import Bundle

from asalee_track.care import patients
from asalee_track.store.db import transaction
from tests.conftest import patient_form
from tests.fhir.conftest import auth, validate
from tests.fhir.test_api import assert_outcome

FUTURE = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%d")


def get(client, token, path: str, **headers: str) -> dict:  # type: ignore[no-untyped-def]
    response = client.get(path, headers=auth(token, **headers))
    assert response.status_code == 200, response.text
    return response.json()


def ids(bundle: dict, mode: str = "match") -> list[str]:
    return [e["resource"]["id"] for e in bundle.get("entry", []) if e["search"]["mode"] == mode]


def test_every_resource_carries_its_version_and_last_update(client, record, token) -> None:
    body = get(client, token, f"/fhir/Patient/{record.patient.id}/$everything?_count=500")
    for entry in body["entry"]:
        meta = entry["resource"]["meta"]
        assert meta["versionId"] and meta["lastUpdated"], entry["resource"]["resourceType"]
        validate(entry["resource"])


def test_a_read_has_validators_and_answers_304_until_the_record_changes(
    client, record, token, engine, world
) -> None:
    url = f"/fhir/Patient/{record.patient.id}"
    first = client.get(url, headers=auth(token))
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert etag == f'W/"{first.json()["meta"]["versionId"]}"' and modified.endswith("GMT")
    unchanged = client.get(url, headers=auth(token, **{"If-None-Match": etag}))
    assert unchanged.status_code == 304 and unchanged.content == b""
    with transaction(engine) as db:
        patients.update(
            db,
            world.actor(world.nurse),
            record.patient.id,
            patient_form(phone="05 49 00 00 00", birth_place_insee="75056", local_id="DOS-42"),
        )
    changed = client.get(url, headers=auth(token, **{"If-None-Match": etag}))
    assert changed.status_code == 200 and changed.headers["etag"] != etag


def test_every_read_type_has_an_etag(client, record, token) -> None:
    encounter = record.sessions[0].id
    response = client.get(f"/fhir/Encounter/{encounter}", headers=auth(token))
    assert response.headers["etag"] == f'W/"{response.json()["meta"]["versionId"]}"'
    again = client.get(
        f"/fhir/Encounter/{encounter}", headers=auth(token, **{"If-None-Match": response.headers["etag"]})
    )
    assert again.status_code == 304


def test_head_answers_like_get_without_a_body(client, record, token) -> None:
    for path in (
        f"/fhir/Patient/{record.patient.id}",
        f"/fhir/Encounter/{record.sessions[0].id}",
        "/fhir/Observation",
        "/fhir/metadata",
    ):
        got = client.get(path, headers=auth(token))
        head = client.head(path, headers=auth(token))
        assert head.status_code == 200 and head.content == b"", path
        assert head.headers.get("etag") == got.headers.get("etag")
        assert head.headers["content-type"] == got.headers["content-type"]


def test_xml_is_refused_with_406(client, record, token) -> None:
    assert_outcome(client.get("/fhir/metadata?_format=xml"), 406)
    assert_outcome(
        client.get(f"/fhir/Patient/{record.patient.id}?_format=application/fhir+xml", headers=auth(token)),
        406,
    )
    xml_only = {"Authorization": f"Bearer {token}", "Accept": "application/fhir+xml"}
    assert_outcome(client.get(f"/fhir/Patient/{record.patient.id}", headers=xml_only), 406)
    either = {
        "Authorization": f"Bearer {token}",
        "Accept": "application/fhir+xml, application/fhir+json;q=0.8",
    }
    assert client.get(f"/fhir/Patient/{record.patient.id}", headers=either).status_code == 200


def test_summary_count_and_total_none(client, record, token) -> None:
    counted = get(client, token, f"/fhir/Observation?patient={record.patient.id}&_summary=count")
    assert counted["total"] == 12 and "entry" not in counted
    untotalled = get(client, token, f"/fhir/Encounter?patient={record.patient.id}&_total=none")
    assert "total" not in untotalled and len(untotalled["entry"]) == 2
    assert_outcome(client.get("/fhir/Observation?_summary=text", headers=auth(token)), 400)


def test_sort_by_date_and_last_updated(client, record, token, make_patient) -> None:
    newest_first = get(client, token, f"/fhir/Encounter?patient={record.patient.id}&_sort=-date")
    oldest_first = get(client, token, f"/fhir/Encounter?patient={record.patient.id}&_sort=date")
    assert ids(newest_first) == list(reversed(ids(oldest_first))) and len(ids(oldest_first)) == 2
    assert ids(oldest_first)[0] == record.sessions[0].id
    observations = get(client, token, f"/fhir/Observation?patient={record.patient.id}&_sort=date&_count=1")
    assert observations["entry"][0]["resource"]["effectiveDateTime"].startswith("2025-01-15")
    make_patient(family_name="Aaron", birth_date="1990-01-01", ins="")
    by_birth = get(client, token, "/fhir/Patient?_sort=-birthdate")
    assert by_birth["entry"][0]["resource"]["name"][0]["family"] == "Aaron"
    assert_outcome(client.get("/fhir/Patient?_sort=shoe-size", headers=auth(token)), 400)


def test_elements_subset_the_matches(client, record, token) -> None:
    body = get(
        client, token, f"/fhir/Observation?patient={record.patient.id}&_elements=code,subject&_count=3"
    )
    for entry in body["entry"]:
        resource = entry["resource"]
        assert set(resource) == {"resourceType", "id", "meta", "code", "subject"}
        assert {
            "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
            "code": "SUBSETTED",
        } in resource["meta"]["tag"]


def test_last_updated_filters(client, record, token) -> None:
    for kind in ("Observation", "Encounter", "Patient", "Condition"):
        assert get(client, token, f"/fhir/{kind}?_lastUpdated=gt{FUTURE}")["total"] == 0, kind
        assert get(client, token, f"/fhir/{kind}?_lastUpdated=le{FUTURE}")["total"] >= 1, kind


def test_include_follows_references_and_revinclude_finds_what_points_back(
    client, record, token, world
) -> None:
    observations = get(
        client,
        token,
        f"/fhir/Observation?patient={record.patient.id}&_include=Observation:encounter&_count=100",
    )
    assert sorted(ids(observations, "include")) == sorted(s.id for s in record.sessions)
    Bundle.model_validate(observations)
    encounters = get(
        client, token, f"/fhir/Encounter?patient={record.patient.id}&_include=Encounter:participant"
    )
    assert ids(encounters, "include") == [f"role-{world.nurse.id}-{world.practice.id}"]
    patient = get(
        client,
        token,
        f"/fhir/Patient?_id={record.patient.id}&_revinclude=Flag:patient&_revinclude=Encounter:patient",
    )
    included = [e["resource"]["resourceType"] for e in patient["entry"] if e["search"]["mode"] == "include"]
    assert sorted(included) == ["Encounter", "Encounter", "Flag"]
    assert_outcome(client.get("/fhir/Observation?_include=Observation:nonsense", headers=auth(token)), 400)


def test_post_search_answers_like_get(client, record, token) -> None:
    by_get = get(client, token, f"/fhir/Encounter?patient={record.patient.id}")
    response = client.post(
        "/fhir/Encounter/_search",
        content=f"patient={record.patient.id}",
        headers=auth(token, **{"Content-Type": "application/x-www-form-urlencoded"}),
    )
    assert response.status_code == 200
    assert ids(response.json()) == ids(by_get)
    posted = client.post(
        "/fhir/Patient/_search",
        content="name=lefevre",
        headers=auth(token, **{"Content-Type": "application/x-www-form-urlencoded"}),
    )
    assert posted.json()["total"] == 1
    assert_outcome(client.post("/fhir/Patient/_search", json={"name": "x"}, headers=auth(token)), 415)


def test_unknown_parameters_are_refused_unless_the_client_prefers_leniency(client, record, token) -> None:
    assert_outcome(client.get("/fhir/Encounter?colour=blue", headers=auth(token)), 400)
    lenient = get(
        client, token, f"/fhir/Encounter?colour=blue&patient={record.patient.id}", Prefer="handling=lenient"
    )
    assert lenient["total"] == 2
    assert "colour" not in lenient["link"][0]["url"]


def test_everything_pages_with_next_links(client, record, token) -> None:
    whole = get(client, token, f"/fhir/Patient/{record.patient.id}/$everything?_count=500")
    url = f"/fhir/Patient/{record.patient.id}/$everything?_count=5"
    seen: list[str] = []
    while url:
        page = get(client, token, url)
        assert page["total"] == whole["total"]
        seen += [f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in page["entry"]]
        url = next((link["url"] for link in page["link"] if link["relation"] == "next"), "").removeprefix(
            "http://testserver"
        )
    assert seen == [f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in whole["entry"]]


def test_everything_honours_type_since_start_and_end(client, record, token) -> None:
    base = f"/fhir/Patient/{record.patient.id}/$everything?_count=500"
    only = get(client, token, f"{base}&_type=Encounter,Flag")
    assert sorted(e["resource"]["resourceType"] for e in only["entry"]) == ["Encounter", "Encounter", "Flag"]
    assert get(client, token, f"{base}&_since={FUTURE}T00:00:00Z").get("entry") is None
    # The second session is 91 days after the first (2025-01-15): a window around the first keeps it only.
    first_only = get(client, token, f"{base}&_type=Encounter&start=2025-01-01&end=2025-02-01")
    assert ids(first_only, "include") == [record.sessions[0].id]
    assert_outcome(client.get(f"{base}&colour=blue", headers=auth(token)), 400)
    assert_outcome(client.get(f"{base}&_since=yesterday", headers=auth(token)), 400)
