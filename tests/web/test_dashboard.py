"""Dashboard figures from a known practice, checked by hand; the activity report as CSV for Excel."""

from datetime import UTC, date, datetime, timedelta

from bs4 import BeautifulSoup

from asalee_track.i18n import TIMEZONE
from tests.web.test_sessions import session_form


def in_this_month(now: datetime, part: float) -> datetime:
    """A moment of the practice's current month (Paris), ``part`` of the way from its start to now."""
    local = now.astimezone(TIMEZONE)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return start + (local - start) * part


def test_dashboard_counts_up_to_date_and_at_target_by_the_definitions(as_nurse, make_patient, enrol) -> None:
    now = datetime.now(UTC)
    two_years = (now - timedelta(days=730)).date().isoformat()
    cases = [  # (name, enrolled on, HbA1c, measured when)
        ("Atteint", two_years, "6,5", now - timedelta(minutes=1)),  # up to date, at target
        ("Eleve", two_years, "8,0", now - timedelta(minutes=1)),  # up to date, off target
        ("Ancien", two_years, "6,0", now - timedelta(days=240)),  # overdue; no recent value
        (
            "Nouveau",
            (now - timedelta(days=30)).date().isoformat(),
            "6,0",
            now - timedelta(minutes=1),
        ),  # too new
    ]
    for name, start, hba1c, when in cases:
        patient = enrol(make_patient(family_name=name, ins=""), "diabete-type-2", start=start)
        as_nurse.post(f"/patients/{patient.id}/sessions", session_form(when, **{"m.hba1c": hba1c}))
    soup = BeautifulSoup(as_nurse.get("/dashboard").text, "html.parser")
    card = soup.select_one("#dashboard-diabete-type-2")
    assert card.select_one(".enrolled").text == "4"
    assert card.select_one(".sessions-month").text == "3 (135 min)"
    row = card.select_one("tr.measure-hba1c")
    assert "75 %" in row.select_one(".up-to-date").text and "(3/4)" in row.select_one(".up-to-date").text
    assert "33 %" in row.select_one(".at-target").text and "(1/3)" in row.select_one(".at-target").text
    assert row.select_one(".off-target").text == "1" and row.select_one(".no-recent").text == "1"
    assert soup.select_one("#dashboard-obesite .enrolled").text == "0"


def test_activity_csv_opens_in_french_excel(as_gp, make_patient, enrol) -> None:
    patient = enrol(make_patient(), "obesite", "diabete-type-2")
    as_gp.post(
        f"/patients/{patient.id}/sessions", session_form(**{"m.weight": "100", "duration_minutes": "60"})
    )
    today = date.today().isoformat()
    response = as_gp.get(f"/reports/activity.csv?start=2000-01-01&end={today}")
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeffParcours;Patients vus;Séances;Durée (minutes);")
    lines = text.lstrip("\ufeff").splitlines()
    assert "Diabète de type 2;1;1;30;0;1;0;0" in lines  # an hour shared by the two pathways
    assert "Obésité;1;1;30;0;1;0;0" in lines
    assert "Insuffisance cardiaque;0;0;0;0;0;0;0" in lines


def test_activity_page_is_printable(as_gp) -> None:
    page = as_gp.get("/reports/activity?start=2026-01-01&end=2026-06-30").text
    assert "Du 1 janvier 2026 au 30 juin 2026" in page


def test_dashboard_and_activity_report_agree_on_nurse_time(as_gp, make_patient, enrol) -> None:
    patient = enrol(make_patient(), "obesite", "diabete-type-2")
    now = datetime.now(UTC)
    for part in (0.2, 0.4, 0.6):  # three 25-minute sessions shared by two pathways: 12.5 min each
        form = session_form(in_this_month(now, part), **{"m.weight": "100", "duration_minutes": "25"})
        assert as_gp.post(f"/patients/{patient.id}/sessions", form).status_code == 200
    card = BeautifulSoup(as_gp.get("/dashboard").text, "html.parser").select_one("#dashboard-diabete-type-2")
    assert card.select_one(".sessions-month").text == "3 (38 min)"  # 37.5 rounded once, not 3 × 12
    first = now.astimezone(TIMEZONE).date().replace(day=1).isoformat()
    today = now.astimezone(TIMEZONE).date().isoformat()
    report = BeautifulSoup(as_gp.get(f"/reports/activity?start={first}&end={today}").text, "html.parser")
    cells = [td.text for td in report.select_one("tr.pathway-diabete-type-2").select("td")]
    assert cells[2:4] == ["3", "38"]
