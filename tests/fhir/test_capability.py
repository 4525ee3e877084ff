"""The CapabilityStatement lists exactly what the server serves: every listed interaction and search
parameter works, and a type it does not list is not served."""

from asalee_track.fhir import reads
from tests.fhir.conftest import auth

# Types a client may well ask for, none of which this server holds.
NOT_SERVED = ("Medication", "MedicationRequest", "AllergyIntolerance", "Immunization", "DocumentReference")
PROBE = {
    "reference": "Patient/00000000-0000-0000-0000-000000000000",
    "token": "x",
    "date": "2024",
    "string": "x",
}


def statement(client) -> dict:  # type: ignore[no-untyped-def]
    return client.get("/fhir/metadata").json()


def test_every_listed_interaction_and_search_parameter_is_served(client, token) -> None:
    resources = statement(client)["rest"][0]["resource"]
    for resource in resources:
        kind = resource["type"]
        codes = {i["code"] for i in resource.get("interaction", [])}
        if "read" in codes:
            read = client.get(f"/fhir/{kind}/made-up-id", headers=auth(token))
            assert read.status_code == 404 and read.json()["issue"][0]["code"] == "not-found", kind
        if "search-type" in codes:
            for param in resource["searchParam"]:
                url = f"/fhir/{kind}?{param['name']}={PROBE[param['type']]}"
                response = client.get(url, headers=auth(token))
                assert response.status_code == 200, (url, response.text)
                assert response.json()["type"] == "searchset"
        for operation in resource.get("operation", []):
            assert operation["name"] in ("everything", "export")


def test_every_served_type_is_listed_and_nothing_else(client, token) -> None:
    listed = {r["type"] for r in statement(client)["rest"][0]["resource"] if r.get("interaction")}
    assert listed == set(reads.READABLE)
    for kind in NOT_SERVED:
        assert (
            client.get(f"/fhir/{kind}/x", headers=auth(token)).json()["issue"][0]["code"] == "not-supported"
        )
        assert client.get(f"/fhir/{kind}", headers=auth(token)).json()["issue"][0]["code"] == "not-supported"


def test_an_unlisted_search_parameter_is_refused(client, token) -> None:
    for resource in statement(client)["rest"][0]["resource"]:
        if resource.get("interaction"):
            response = client.get(f"/fhir/{resource['type']}?no-such-param=1", headers=auth(token))
            assert response.status_code == 400, resource["type"]


def test_every_listed_include_and_revinclude_works(client, record, token) -> None:
    for resource in statement(client)["rest"][0]["resource"]:
        for name in ("searchInclude", "searchRevInclude"):
            param = "_include" if name == "searchInclude" else "_revinclude"
            for value in resource.get(name, []):
                response = client.get(f"/fhir/{resource['type']}?{param}={value}", headers=auth(token))
                assert response.status_code == 200, (resource["type"], value, response.text)
