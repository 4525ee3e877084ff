"""FHIR clients leave a trace: what a search showed, and every refusal, whoever the caller."""

from sqlmodel import select

from asalee_track.store.tables import AuditEvent
from tests.fhir.conftest import auth, new_token

ASYNC = {"Prefer": "respond-async"}


def test_a_token_probing_another_practices_export_job_is_audited(client, engine, world, db) -> None:
    theirs = new_token(engine, world, practice="other", name="their client")
    kicked = client.get("/fhir/$export", headers=auth(theirs, **ASYNC))
    assert kicked.status_code == 202
    job = kicked.headers["content-location"].rsplit("/", 1)[1]
    mine = new_token(engine, world)
    assert client.get(f"/fhir/bulk-status/{job}", headers=auth(mine)).status_code == 404
    denied = db.exec(select(AuditEvent).where(AuditEvent.action == "denied")).all()
    assert [(e.practice_id, e.object_type, e.object_id, e.outcome) for e in denied] == [
        (world.practice.id, "ExportJob", job, "not-found")
    ]
    assert denied[0].detail.startswith("api token ")


def test_a_token_asking_for_another_practices_group_is_audited(client, token, world, db) -> None:
    other = f"practice-{world.other_practice.id}"
    assert client.get(f"/fhir/Group/{other}/$export", headers=auth(token, **ASYNC)).status_code == 404
    denied = db.exec(select(AuditEvent).where(AuditEvent.action == "denied")).all()
    assert [(e.object_type, e.object_id) for e in denied] == [("Group", other)]


def test_a_patient_search_records_each_patient_it_returned(client, token, make_patient, db) -> None:
    found = [make_patient(family_name=name, ins="") for name in ("Martin", "Martinez")]
    make_patient(family_name="Durand", ins="")
    response = client.get("/fhir/Patient", params={"name": "mart"}, headers=auth(token))
    assert response.status_code == 200 and response.json()["total"] == 2
    reads = db.exec(
        select(AuditEvent.patient_id).where(AuditEvent.action == "read", AuditEvent.object_type == "Patient")
    ).all()
    assert sorted(reads) == sorted(p.id for p in found)


def test_an_administrator_cannot_export_the_practice_through_a_login(as_admin, db) -> None:
    response = as_admin.get("/fhir/$export", headers=ASYNC)
    assert response.status_code == 403 and "token" in response.json()["issue"][0]["diagnostics"]
    denied = db.exec(select(AuditEvent).where(AuditEvent.action == "denied")).all()
    assert [(e.object_type, e.outcome) for e in denied] == [("ExportJob", "forbidden")]


def test_a_whole_practice_export_is_audited_as_a_disclosure(client, token, db) -> None:
    assert client.get("/fhir/$export", headers=auth(token, **ASYNC)).status_code == 202
    (export,) = db.exec(select(AuditEvent).where(AuditEvent.action == "export")).all()
    assert "disclosure of the whole practice" in export.detail
