"""The practice's day is the day in Paris. Between midnight in Paris and midnight UTC the server's
clock still reads yesterday, and a date typed as "today" must not be refused as "in the future"."""

import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from asalee_track import i18n
from tests.conftest import patient_form

SOURCE = Path(__file__).parents[2] / "asalee_track"


@pytest.fixture
def paris_is_a_day_ahead(monkeypatch) -> date:
    """00:30 in Paris, 23:30 UTC the day before: the machine's date is yesterday's."""
    paris_today = date.today() + timedelta(days=1)
    monkeypatch.setattr(i18n, "local_today", lambda: paris_today)
    return paris_today


def test_an_enrolment_started_today_in_paris_is_accepted(
    as_nurse, make_patient, paris_is_a_day_ahead
) -> None:
    patient = make_patient()
    today = paris_is_a_day_ahead.isoformat()
    form = {"protocol_id": "insuffisance-cardiaque", "start_date": today, "consent_date": today}
    response = as_nurse.post(
        f"/patients/{patient.id}/enrolments", {**form, "consent_method": "written", "referring_gp_id": ""}
    )
    assert response.status_code == 200, response.text
    assert response.url.path == f"/patients/{patient.id}"


def test_a_baby_born_today_in_paris_can_be_registered(as_nurse, paris_is_a_day_ahead) -> None:
    response = as_nurse.post("/patients", patient_form(birth_date=paris_is_a_day_ahead.isoformat(), ins=""))
    assert response.status_code == 200, response.text


def test_no_code_asks_the_machine_for_its_own_date() -> None:
    """date.today() and a naive datetime.now() give the server's day, not the practice's."""
    offenders = [
        f"{path.relative_to(SOURCE.parent)}:{number}"
        for path in SOURCE.rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\bdate\.today\(\)|datetime\.now\(\)", line)
    ]
    assert offenders == []
