"""Identity status (référentiel INS): shown on the patient page, raised by a nurse who checks a document,
lost when a strict trait changes."""

from bs4 import BeautifulSoup
from sqlmodel import select

from asalee_track.care import patients
from asalee_track.store.db import transaction
from asalee_track.store.tables import AuditEvent, Patient, PatientRevision
from tests.conftest import patient_form
from tests.fhir.conftest import qualify

CARD = {"document": "CN", "birth_place_insee": "86194", "confirm": "yes"}


def badge(html: str) -> str:
    return BeautifulSoup(html, "html.parser").select_one("#identity .badge").text


def test_a_new_identity_is_provisional_and_the_page_offers_to_validate_it(as_nurse, make_patient) -> None:
    patient = make_patient()
    page = as_nurse.get(f"/patients/{patient.id}")
    assert badge(page.text) == "Identité provisoire"
    assert f'href="/patients/{patient.id}/identity"' in page.text
    assert "L'INS n'est transmis aux autres logiciels qu'une fois l'identité qualifiée." in page.text


def test_a_nurse_validates_an_identity_on_an_identity_card(as_nurse, make_patient, db, world) -> None:
    patient = make_patient()
    form = as_nurse.get(f"/patients/{patient.id}/identity")
    assert "Carte nationale d'identité" in form.text
    page = as_nurse.post(f"/patients/{patient.id}/identity", CARD)
    assert page.status_code == 200 and page.url.path == f"/patients/{patient.id}"
    assert badge(page.text) == "Identité validée"
    assert "Contrôlée sur Carte nationale d'identité" in page.text
    stored = db.get(Patient, patient.id)
    assert (stored.identity_status, stored.identity_document, stored.birth_place_insee) == (
        "validee",
        "CN",
        "86194",
    )
    assert stored.identity_validated_by_id == world.nurse.id and stored.identity_validated_at is not None
    assert stored.version == 2
    [revision] = db.exec(select(PatientRevision).where(PatientRevision.patient_id == patient.id)).all()
    assert revision.values["identity_status"] == "provisoire"
    event = db.exec(select(AuditEvent).where(AuditEvent.detail.like("identity checked%"))).one()
    assert event.patient_id == patient.id and event.user_id == world.nurse.id


def test_a_refused_validation_says_why_keeps_what_was_typed_and_changes_nothing(
    as_nurse, make_patient, db
) -> None:
    patient = make_patient()
    response = as_nurse.post(
        f"/patients/{patient.id}/identity", {"document": "", "birth_place_insee": "7505", "confirm": ""}
    )
    assert response.status_code == 422
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.select_one("#birth_place_insee")["value"] == "7505"
    assert (
        soup.select_one("#document-error").text == "Choisissez la pièce d'identité que vous avez contrôlée."
    )
    assert "code INSEE du lieu de naissance" in soup.select_one("#birth_place_insee-error").text
    assert "concordent" in soup.select_one("#confirm-error").text
    stored = db.get(Patient, patient.id)
    assert (stored.identity_status, stored.version, stored.birth_place_insee) == ("provisoire", 1, None)
    refused = db.exec(select(AuditEvent).where(AuditEvent.outcome == "failure")).one()
    assert refused.patient_id == patient.id


def test_an_identity_whose_sex_is_unknown_cannot_be_validated(as_nurse, make_patient, db) -> None:
    patient = make_patient(sex="unknown")
    response = as_nurse.post(f"/patients/{patient.id}/identity", CARD)
    assert response.status_code == 422
    error = BeautifulSoup(response.text, "html.parser").select_one("#sex-error").text
    assert "corrigez d'abord le sexe" in error
    assert db.get(Patient, patient.id).identity_status == "provisoire"


def test_another_practices_patient_cannot_be_validated(browser, world, make_patient, db) -> None:
    patient = make_patient(world.actor(world.other_nurse, world.other_practice))
    browser.login(world.nurse.email)
    assert browser.post(f"/patients/{patient.id}/identity", CARD).status_code == 404
    assert db.get(Patient, patient.id).identity_status == "provisoire"


def test_a_recovered_identity_checked_on_a_document_becomes_qualified(engine, world, make_patient) -> None:
    assert qualify(engine, world, make_patient()).identity_status == "qualifiee"


def test_changing_a_strict_trait_makes_the_identity_provisional_again(
    engine, world, make_patient, db
) -> None:
    patient = qualify(engine, world, make_patient())
    with transaction(engine) as session:
        patients.update(
            session,
            world.actor(world.nurse),
            patient.id,
            patient_form(birth_date="1957-07-02", birth_place_insee="75056"),
        )
    stored = db.get(Patient, patient.id)
    assert (stored.identity_status, stored.identity_document, stored.identity_validated_at) == (
        "provisoire",
        None,
        None,
    )
    event = db.exec(
        select(AuditEvent).where(AuditEvent.detail.like("%identity qualifiee -> provisoire"))
    ).one()
    assert event.patient_id == patient.id


def test_changing_the_phone_keeps_the_identity_status(engine, world, make_patient, db) -> None:
    patient = qualify(engine, world, make_patient())
    with transaction(engine) as session:
        patients.update(
            session,
            world.actor(world.nurse),
            patient.id,
            patient_form(phone="05 49 00 00 00", birth_place_insee="75056"),
        )
    assert db.get(Patient, patient.id).identity_status == "qualifiee"


def test_used_names_are_kept_apart_from_the_birth_name(as_nurse, db) -> None:
    as_nurse.post("/patients", patient_form(used_name="Martin", used_given_name="Lena"))
    stored = db.exec(select(Patient)).one()
    assert (stored.family_name, stored.used_name, stored.used_given_name) == ("Lefèvre", "Martin", "Lena")
