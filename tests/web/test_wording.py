"""Words a reader trips on: a closed alert's reason, "né" or "née", the charts' months in English, a
follow-up date that does not repeat its status."""

from datetime import UTC, datetime, timedelta

from bs4 import BeautifulSoup
from sqlmodel import select

from asalee_track.store.tables import Alert, CareSession
from tests.web.test_sessions import session_form


def english(browser):  # type: ignore[no-untyped-def]
    browser.post("/locale", {"locale": "en", "next": "/"})
    return browser


def test_an_alert_closed_by_a_correction_says_so_in_french(as_nurse, make_patient, enrol, db) -> None:
    patient = enrol(make_patient(), "diabete-type-2")
    as_nurse.post(f"/patients/{patient.id}/sessions", session_form(**{"m.hba1c": "11"}))
    session = db.exec(select(CareSession)).one()
    as_nurse.post(f"/sessions/{session.id}/amend", session_form(**{"m.hba1c": "6,5"}))
    assert {a.status for a in db.exec(select(Alert)).all()} == {"closed"}
    page = BeautifulSoup(as_nurse.get(f"/sessions/{session.id}").text, "html.parser")
    assert "close : Séance corrigée" in page.get_text()
    assert "Session corrected" not in page.get_text()


def test_a_reason_typed_with_a_percent_sign_is_shown_as_typed(as_nurse, make_patient, enrol) -> None:
    patient = enrol(make_patient(), "diabete-type-2")
    as_nurse.post(f"/patients/{patient.id}/sessions", session_form(**{"m.hba1c": "11"}))
    session_id = as_nurse.get(f"/patients/{patient.id}").text.split('href="/sessions/')[1].split('"')[0]
    as_nurse.post(f"/sessions/{session_id}/error", {"reason": "Doublon, HbA1c 100% fausse"})
    page = as_nurse.get(f"/sessions/{session_id}")
    assert page.status_code == 200 and "close : Doublon, HbA1c 100% fausse" in page.text


def test_born_agrees_with_the_patients_sex(as_nurse, make_patient) -> None:
    her = make_patient()
    him = make_patient(family_name="Martin", given_names="Jacques", sex="male", ins="")
    them = make_patient(family_name="Roux", given_names="Camille", sex="unknown", ins="")
    assert "née le 1 juillet 1957" in as_nurse.get(f"/patients/{her.id}").text
    assert "né le 1 juillet 1957" in as_nurse.get(f"/patients/{him.id}").text
    assert "né(e) le 1 juillet 1957" in as_nurse.get(f"/patients/{them.id}").text
    assert "born July 1, 1957" in english(as_nurse).get(f"/patients/{her.id}").text


def test_charts_name_the_months_in_english_in_english(as_nurse, make_patient, enrol) -> None:
    patient = enrol(make_patient(), "diabete-type-2")
    for days in (300, 150, 10):
        when = datetime.now(UTC) - timedelta(days=days)
        as_nurse.post(f"/patients/{patient.id}/sessions", session_form(when, **{"m.hba1c": "7,5"}))
    page = BeautifulSoup(english(as_nurse).get(f"/patients/{patient.id}/review").text, "html.parser")
    chart = page.select_one("#chart-diabete-type-2-hba1c")
    months = [label.text for label in chart.select("text.x-label")]
    english_months = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    assert months and all(label.split()[0] in english_months for label in months)
    assert chart.select_one("text.target-label").text.startswith("target")


def test_the_follow_up_date_does_not_repeat_its_status(as_nurse, make_patient, enrol) -> None:
    patient = enrol(make_patient(), "diabete-type-2")
    when = datetime.now(UTC) - timedelta(days=100)  # HbA1c every 3 months: due, not yet overdue
    as_nurse.post(f"/patients/{patient.id}/sessions", session_form(when, **{"m.hba1c": "7,5"}))
    french = BeautifulSoup(as_nurse.get(f"/patients/{patient.id}/review").text, "html.parser")
    cell = french.select_one("tr.measure-hba1c td:nth-of-type(4)").get_text(" ", strip=True)
    assert cell.startswith("à faire prévu le ")
    page = BeautifulSoup(english(as_nurse).get(f"/patients/{patient.id}/review").text, "html.parser")
    cell = page.select_one("tr.measure-hba1c td:nth-of-type(4)").get_text(" ", strip=True)
    assert cell.startswith("due expected on ") and "due due" not in cell
