"""Concertation: a list prepared from the worklist, a decision per patient, shown on the patient's record."""

from datetime import UTC, datetime, timedelta

from bs4 import BeautifulSoup
from sqlmodel import select

from asalee_track.store.tables import Concertation, ConcertationItem
from tests.web.test_sessions import session_form


def test_prepare_discuss_and_see_the_decision_on_the_patient(as_gp, make_patient, enrol, db) -> None:
    patient = enrol(make_patient(), "diabete-type-2")
    as_gp.post(
        f"/patients/{patient.id}/sessions",
        session_form(datetime.now(UTC) - timedelta(hours=2), **{"m.hba1c": "11"}),
    )
    page = as_gp.post("/concertations", {"held_on": "2026-11-20", "title": "Réunion mensuelle"})
    meeting = db.exec(select(Concertation)).one()
    suggestions = BeautifulSoup(page.text, "html.parser").select("ul.suggestions li")
    assert any("LEFÈVRE Hélène" in li.text for li in suggestions)  # on the worklist for her alert
    as_gp.post(f"/concertations/{meeting.id}/patients", {"patient_id": patient.id, "reason": "HbA1c 11 %"})
    item = db.exec(select(ConcertationItem)).one()
    refused = as_gp.post(
        f"/concertation-items/{item.id}/decision", {"concertation_id": meeting.id, "decision": " "}
    )
    assert refused.status_code == 422 and "Écrivez la décision." in refused.text
    as_gp.post(
        f"/concertation-items/{item.id}/decision",
        {"concertation_id": meeting.id, "decision": "Intensifier le traitement, revoir dans 1 mois"},
    )
    record = as_gp.get(f"/patients/{patient.id}").text
    assert "20 novembre 2026" in record and "Intensifier le traitement" in record


def test_another_practice_cannot_open_a_concertation(browser, world, db) -> None:
    browser.login(world.nurse.email)
    browser.post("/concertations", {"held_on": "2026-11-20"})
    meeting = db.exec(select(Concertation)).one()
    browser.post("/logout")
    browser.login(world.other_nurse.email)
    assert browser.get(f"/concertations/{meeting.id}").status_code == 404
