"""Enrolment with consent; pausing and ending keep their reasons."""

from bs4 import BeautifulSoup
from sqlmodel import select

from asalee_track.store.tables import Enrolment, EnrolmentStatusChange


def enrol_form(**overrides: str) -> dict[str, str]:
    values = {
        "protocol_id": "insuffisance-cardiaque",
        "start_date": "2026-01-10",
        "consent_date": "2026-01-10",
        "consent_method": "written",
        "referring_gp_id": "",
    }
    values.update(overrides)
    return values


def test_nurse_enrols_a_patient_with_consent(as_nurse, make_patient, db, protocols) -> None:
    patient = make_patient()
    response = as_nurse.post(f"/patients/{patient.id}/enrolments", enrol_form())
    assert response.status_code == 200 and response.url.path == f"/patients/{patient.id}"
    assert "Insuffisance cardiaque" in response.text
    stored = db.exec(select(Enrolment)).one()
    assert stored.protocol_version == protocols["insuffisance-cardiaque"].version
    assert (stored.consent_method, stored.status) == ("written", "active")


def test_enrolment_without_consent_is_refused_and_keeps_the_form(as_nurse, make_patient, db) -> None:
    patient = make_patient()
    response = as_nurse.post(
        f"/patients/{patient.id}/enrolments", enrol_form(consent_method="", consent_date="2026-02-01")
    )
    assert response.status_code == 422
    soup = BeautifulSoup(response.text, "html.parser")
    assert (
        soup.select_one("#consent_method-error").text == "Indiquez comment le consentement a été recueilli."
    )
    assert "au plus tard à la date de début" in soup.select_one("#consent_date-error").text
    assert soup.select_one("input[value=insuffisance-cardiaque]").has_attr("checked")
    assert db.exec(select(Enrolment)).all() == []


def test_the_same_pathway_twice_is_refused(as_nurse, make_patient, enrol) -> None:
    patient = enrol(make_patient(), "insuffisance-cardiaque")
    response = as_nurse.post(f"/patients/{patient.id}/enrolments", enrol_form())
    assert response.status_code == 422
    assert "déjà inclus" in response.text


def test_pause_needs_a_reason_then_history_keeps_it(as_nurse, make_patient, enrol, db) -> None:
    patient = enrol(make_patient(), "obesite")
    enrolment_id = db.exec(select(Enrolment.id)).one()
    refused = as_nurse.post(f"/enrolments/{enrolment_id}/status", {"action": "pause", "reason": " "})
    assert refused.status_code == 422 and "Indiquez un motif." in refused.text
    as_nurse.post(f"/enrolments/{enrolment_id}/status", {"action": "pause", "reason": "Hospitalisée"})
    as_nurse.post(f"/enrolments/{enrolment_id}/status", {"action": "end", "reason": "Déménagement"})
    changes = db.exec(select(EnrolmentStatusChange).order_by(EnrolmentStatusChange.id)).all()
    assert [(c.status, c.reason) for c in changes] == [
        ("active", None),
        ("paused", "Hospitalisée"),
        ("ended", "Déménagement"),
    ]
    page = as_nurse.get(f"/patients/{patient.id}").text
    assert "Hospitalisée" in page and "Déménagement" in page


def test_another_practices_enrolment_cannot_be_changed(browser, world, make_patient, enrol, db) -> None:
    enrol(make_patient(), "obesite")
    enrolment_id = db.exec(select(Enrolment.id)).one()
    browser.login(world.other_nurse.email)
    assert (
        browser.post(f"/enrolments/{enrolment_id}/status", {"action": "end", "reason": "x"}).status_code
        == 404
    )


def test_the_gp_chosen_at_enrolment_shows_in_the_identity_block(as_nurse, make_patient, world) -> None:
    patient = make_patient()  # the record itself names no referring GP
    page = as_nurse.post(
        f"/patients/{patient.id}/enrolments", enrol_form(referring_gp_id=str(world.gp.id))
    ).text
    identity = BeautifulSoup(page, "html.parser").select_one("#identity .referring-gp")
    assert identity.text == "Dr Paul Médecin"


def test_pausing_an_enrolment_and_holding_reminders_are_worded_apart(as_nurse, make_patient, enrol) -> None:
    patient = enrol(make_patient(), "diabete-type-2")
    record = BeautifulSoup(as_nurse.get(f"/patients/{patient.id}").text, "html.parser")
    review = BeautifulSoup(as_nurse.get(f"/patients/{patient.id}/review").text, "html.parser")
    assert record.select_one(".status-change button[value=pause]").text == "Mettre en pause"
    assert review.select_one("#snooze h2").text == "Reporter les rappels"
    assert review.select_one("#snooze button").text == "Reporter les rappels"
