"""Patients: search, create, edit with history, scoping to the practice, roles."""

from bs4 import BeautifulSoup
from sqlmodel import select

from asalee_track.store.tables import AuditEvent, Patient
from tests.conftest import patient_form


def names(html: str) -> list[str]:
    return [a.text for a in BeautifulSoup(html, "html.parser").select("table.list tbody a")]


def test_search_ignores_accents_and_case(as_nurse, make_patient) -> None:
    make_patient(family_name="Lefèvre", given_names="Hélène")
    make_patient(family_name="Martin", given_names="Paul", ins="")
    assert names(as_nurse.get("/patients?q=helene").text) == ["LEFÈVRE Hélène"]
    assert names(as_nurse.get("/patients?q=LEFEVRE hel").text) == ["LEFÈVRE Hélène"]
    assert names(as_nurse.get("/patients?q=èvre").text) == []  # words match from their start


def test_search_by_birth_date_and_by_ins(as_nurse, make_patient) -> None:
    make_patient(family_name="Lefèvre", birth_date="1957-07-01")
    make_patient(family_name="Martin", birth_date="1960-02-03", ins="")
    assert names(as_nurse.get("/patients?q=01/07/1957").text) == ["LEFÈVRE Hélène"]
    assert names(as_nurse.get("/patients?q=2 57 07 75").text) == ["LEFÈVRE Hélène"]


def test_search_as_you_type_answers_htmx_with_rows_only(as_nurse, make_patient) -> None:
    make_patient()
    response = as_nurse.get("/patients?q=hel", headers={"HX-Request": "true"})
    assert "<html" not in response.text
    assert names(response.text) == ["LEFÈVRE Hélène"]


def test_create_patient_then_open_it(as_nurse, db) -> None:
    response = as_nurse.post("/patients", patient_form(given_names="Anaïs"))
    assert response.status_code == 200
    assert "LEFÈVRE Anaïs" in response.text
    assert db.exec(select(Patient)).one().search_key == "lefevre anais"


def test_refused_form_keeps_what_was_typed_and_names_each_problem(as_nurse, db) -> None:
    typed = patient_form(given_names="", birth_date="2999-01-01", ins="257077512345668", phone="abc")
    response = as_nurse.post("/patients", typed)
    assert response.status_code == 422
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.select_one("#family_name")["value"] == "Lefèvre"
    assert soup.select_one("#ins")["value"] == "257077512345668"
    assert soup.select_one("#given_names-error").text == "Obligatoire."
    assert soup.select_one("#birth_date-error").text == "La date de naissance ne peut pas être dans le futur."
    assert "clé" in soup.select_one("#ins-error").text
    assert soup.select_one("#phone-error") is not None
    assert db.exec(select(Patient)).all() == []


def test_edit_keeps_earlier_values(as_nurse, make_patient, db) -> None:
    patient = make_patient(phone="05 49 00 00 00")
    as_nurse.post(
        f"/patients/{patient.id}", patient_form(family_name="Lefèvre-Martin", phone="06 12 34 56 78")
    )
    page = as_nurse.get(f"/patients/{patient.id}").text
    assert "LEFÈVRE-MARTIN" in page
    assert "Versions antérieures" in page and "05 49 00 00 00" in page
    stored = db.get(Patient, patient.id)
    assert stored.version == 2
    update = db.exec(select(AuditEvent).where(AuditEvent.action == "update")).one()
    assert update.detail == "changed: family_name, phone"


def test_another_practices_patient_is_not_found(browser, world, make_patient) -> None:
    theirs = make_patient(world.actor(world.other_nurse, world.other_practice), family_name="Portuaire")
    browser.login(world.nurse.email)
    assert browser.get(f"/patients/{theirs.id}").status_code == 404
    assert browser.post(f"/patients/{theirs.id}", patient_form()).status_code == 404
    assert names(browser.get("/patients?q=portuaire").text) == []


def test_reads_and_writes_of_a_record_are_audited(as_nurse, make_patient, db) -> None:
    patient = make_patient()
    as_nurse.get(f"/patients/{patient.id}")
    events = db.exec(
        select(AuditEvent).where(AuditEvent.patient_id == patient.id).order_by(AuditEvent.id)
    ).all()
    assert [e.action for e in events] == ["create", "read"]


def test_admin_cannot_open_patient_records(as_admin, make_patient) -> None:
    patient = make_patient()
    assert as_admin.get(f"/patients/{patient.id}").status_code == 403
    assert as_admin.get("/patients").status_code == 403


def test_unknown_page_is_a_friendly_404(as_nurse) -> None:
    response = as_nurse.get("/nowhere")
    assert response.status_code == 404
    assert "Introuvable" in response.text and "Traceback" not in response.text


def test_malformed_query_is_a_friendly_422(as_nurse) -> None:
    response = as_nurse.get("/patients?page=abc")
    assert response.status_code == 422
    assert "Requête incorrecte" in response.text


def test_long_lists_are_paged(as_nurse, make_patient) -> None:
    for index in range(27):
        make_patient(family_name=f"Patient{index:02d}", ins="")
    first = BeautifulSoup(as_nurse.get("/patients").text, "html.parser")
    assert len(first.select("table.list tbody tr")) == 25
    assert first.select_one("nav.pager span").text == "Page 1 sur 2"
    second = as_nurse.get(first.select_one("nav.pager a")["href"]).text
    assert names(second) == ["PATIENT25 Hélène", "PATIENT26 Hélène"]
