"""Control rates by month, as Simple's dashboards count them, checked by hand on a small practice.

The practice (type 2 diabetes, HbA1c target ≤ 7 %), looked at on 15 March 2026 at noon in Paris, over
three months; each month as it stood at its end, midnight in Paris:

| patient  | enrolled   | sessions (HbA1c)                        | January  | February | March      |
|----------|------------|-----------------------------------------|----------|----------|------------|
| Controle | 2025-01-15 | 10 Jan 2026 (6,5; BP 150/80)            | ctrl     | ctrl     | ctrl       |
| Eleve    | 2025-01-15 | 10 Dec 2025 (8,2)                       | unctrl   | unctrl   | missed     |
| Sans     | 2025-01-15 | 1 Jun 2025 (7,5; LDL 0,60), 20 Jan 2026 | no value | no value | no value   |
| Perdu    | 2024-06-01 | 1 Dec 2024 (6,0)                        | not seen for 12 months            |
| Nouveau  | 2026-01-05 | 6 Jan 2026 (6,2)                        | enrolled for less than 3 months   |
| Minuit   | 2025-01-15 | 1 Feb 2026 00:30 in Paris (9,0)         | –        | unctrl   | unctrl     |

Minuit's only visit (31 January, 23:30 UTC) falls in February in Paris: UTC months would count it in
January. March is looked at as it stands on the 15th.
"""

from datetime import UTC, datetime, timedelta

from bs4 import BeautifulSoup
from sqlmodel import select

from asalee_track.care import control_trend
from asalee_track.i18n import TIMEZONE
from asalee_track.store.db import transaction
from asalee_track.store.tables import AuditEvent, Enrolment
from tests.web.test_dashboard import in_this_month
from tests.web.test_sessions import session_form

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=TIMEZONE)
PRACTICE = [  # (name, enrolled on, [(when, values)])
    (
        "Controle",
        "2025-01-15",
        [(datetime(2026, 1, 10, 10, tzinfo=TIMEZONE), {"m.hba1c": "6,5", "m.sbp": "150", "m.dbp": "80"})],
    ),
    ("Eleve", "2025-01-15", [(datetime(2025, 12, 10, 10, tzinfo=TIMEZONE), {"m.hba1c": "8,2"})]),
    (
        "Sans",
        "2025-01-15",
        [
            (datetime(2025, 6, 1, 10, tzinfo=TIMEZONE), {"m.hba1c": "7,5", "m.ldl": "0,60"}),
            (datetime(2026, 1, 20, 10, tzinfo=TIMEZONE), {"m.weight": "80"}),
        ],
    ),
    ("Perdu", "2024-06-01", [(datetime(2024, 12, 1, 10, tzinfo=TIMEZONE), {"m.hba1c": "6,0"})]),
    ("Nouveau", "2026-01-05", [(datetime(2026, 1, 6, 10, tzinfo=TIMEZONE), {"m.hba1c": "6,2"})]),
    ("Minuit", "2025-01-15", [(datetime(2026, 1, 31, 23, 30, tzinfo=UTC), {"m.hba1c": "9,0"})]),
]


def build(as_nurse, make_patient, enrol, cases=PRACTICE) -> list[str]:  # type: ignore[no-untyped-def]
    """The patients, enrolled in type 2 diabetes, and their visits, saved as the nurse saves them."""
    ids = []
    for name, start, visits in cases:
        patient = enrol(make_patient(family_name=name, ins=""), "diabete-type-2", start=start)
        for when, values in visits:
            response = as_nurse.post(f"/patients/{patient.id}/sessions", session_form(when, **values))
            assert response.status_code == 200, response.text
        ids.append(patient.id)
    return ids


def figures(trend: control_trend.IndicatorTrend) -> list[tuple[str, int, int, int, int, int]]:
    return [
        (
            m.month.isoformat()[:7],
            m.under_care,
            m.controlled,
            m.uncontrolled,
            m.no_recent_value,
            m.missed_visits,
        )
        for m in trend.months
    ]


def test_control_rates_by_month_match_the_hand_count(
    as_nurse, make_patient, enrol, engine, world, protocols
) -> None:
    build(as_nurse, make_patient, enrol)
    with transaction(engine) as db:
        trends = control_trend.control_trends(db, world.actor(world.gp), protocols, NOW, count=3)
    hba1c, blood_pressure, ldl = trends["diabete-type-2"]  # the protocol's clinical order
    assert (hba1c.measures, blood_pressure.measures, ldl.measures) == (("hba1c",), ("sbp", "dbp"), ("ldl",))
    #                         month      under care, controlled, uncontrolled, no recent value, missed
    assert figures(hba1c) == [
        ("2026-01", 3, 1, 1, 1, 0),
        ("2026-02", 4, 1, 2, 1, 0),
        ("2026-03", 4, 1, 1, 1, 1),
    ]
    # Blood pressure is controlled when both values are: Controle's 150/80 is not.
    assert figures(blood_pressure)[0] == ("2026-01", 3, 0, 1, 2, 0)
    # A yearly measure is recent for a year: Sans's LDL of June 2025 still counts in January.
    assert figures(ldl)[0] == ("2026-01", 3, 1, 0, 2, 0)


def test_month_boundaries_are_midnight_in_paris() -> None:
    months = control_trend.month_ends(NOW, count=3)
    assert [first.isoformat() for first, _ in months] == ["2026-01-01", "2026-02-01", "2026-03-01"]
    assert months[0][1] == datetime(2026, 1, 31, 23, 0, tzinfo=UTC)  # 1 February, 00:00 in Paris
    assert months[1][1] == datetime(2026, 2, 28, 23, 0, tzinfo=UTC)
    assert months[2][1] == NOW  # the month under way: as it stands now


def test_dashboard_shows_the_control_rate_chart_with_its_denominator_and_definitions(
    as_gp, make_patient, enrol, login_as, world
) -> None:
    visit = in_this_month(datetime.now(UTC), 0.5)
    build(
        login_as(world.nurse), make_patient, enrol, [("Atteint", "2024-01-15", [(visit, {"m.hba1c": "6,5"})])]
    )
    soup = BeautifulSoup(as_gp.get("/dashboard").text, "html.parser")
    card = soup.select_one("#dashboard-diabete-type-2")
    trends = card.select(".control-trend")
    assert [t.select_one("h3").text for t in trends] == [
        "HbA1c : taux de contrôle par mois",
        "Tension artérielle : taux de contrôle par mois",
        "LDL-cholestérol : taux de contrôle par mois",
    ]
    assert "1 patient suivi" in trends[0].select_one(".under-care").text
    bars = trends[0].select("svg.control-rate rect.segment")
    assert len(bars) == 1 and "controlled" in bars[0]["class"]
    assert bars[0].select_one("title").text.endswith("Contrôlés : 1 sur 1 (100 %)")
    assert trends[0].select_one(".control-latest td.controlled").text.startswith("100 %")
    # The blood pressure of that visit was not taken: nothing is drawn green.
    assert [rect["class"][1] for rect in trends[1].select("rect.segment")] == ["no-recent-value"]
    definitions = soup.select_one("details.definitions").text
    assert "patients suivis" in definitions and "Visites manquées" in definitions
    measures = [row["class"][0] for row in card.select("table.dashboard-measures tbody tr")]
    assert measures[0] == "measure-hba1c"


def trend_now(engine, world, protocols, indicator: int = 0) -> control_trend.IndicatorTrend:  # type: ignore[no-untyped-def]
    with transaction(engine) as db:
        trends = control_trend.control_trends(db, world.actor(world.gp), protocols, datetime.now(UTC))
    return trends["diabete-type-2"][indicator]


def test_a_paused_enrolment_leaves_the_patients_under_care_from_then_on(
    as_nurse, make_patient, enrol, engine, world, protocols, db
) -> None:
    visit = datetime.now(UTC) - timedelta(days=40)  # before the start of this month, whatever today is
    build(as_nurse, make_patient, enrol, [("Pause", "2024-01-15", [(visit, {"m.hba1c": "6,5"})])])
    enrolment_id = db.exec(select(Enrolment.id)).one()
    as_nurse.post(f"/enrolments/{enrolment_id}/status", {"action": "pause", "reason": "Hospitalisée"})
    months = trend_now(engine, world, protocols).months
    assert (months[-2].under_care, months[-2].controlled) == (1, 1)  # last month, as it stood then
    assert months[-1].under_care == 0  # paused today


def test_a_personal_target_counts_from_the_day_it_is_set(
    as_nurse, login_as, make_patient, enrol, engine, world, protocols
) -> None:
    visit = datetime.now(UTC) - timedelta(days=40)
    [patient_id] = build(
        as_nurse, make_patient, enrol, [("Fragile", "2024-01-15", [(visit, {"m.hba1c": "7,6"})])]
    )
    target = {"measure_id": "hba1c", "max_value": "8", "reason": "Fragile"}
    assert login_as(world.gp).post(f"/patients/{patient_id}/targets", target).status_code == 200
    months = trend_now(engine, world, protocols).months
    assert (months[-2].controlled, months[-2].uncontrolled) == (0, 1)  # the protocol's 7 % then
    assert (months[-1].controlled, months[-1].uncontrolled) == (1, 0)  # the patient's own 8 % now


def test_each_number_of_the_dashboard_opens_its_patients(as_nurse, make_patient, enrol, db) -> None:
    visit = in_this_month(datetime.now(UTC), 0.5)
    build(
        as_nurse,
        make_patient,
        enrol,
        [
            ("Atteint", "2024-01-15", [(visit, {"m.hba1c": "6,5"})]),
            ("Eleve", "2024-01-15", [(visit, {"m.hba1c": "8,5"})]),
            ("Haute", "2024-01-15", [(visit, {"m.hba1c": "9,5"})]),
        ],
    )
    dashboard = BeautifulSoup(as_nurse.get("/dashboard").text, "html.parser")
    link = dashboard.select_one("#control-diabete-type-2-hba1c .control-latest td.uncontrolled a")
    assert link.text.startswith("67 %") and link["href"] == "/dashboard/diabete-type-2/hba1c/uncontrolled"
    page = BeautifulSoup(as_nurse.get(link["href"]).text, "html.parser")
    assert [a.text for a in page.select("table.group-patients td a")] == ["ELEVE Hélène", "HAUTE Hélène"]
    assert "2 sur 3 patients suivis" in page.select_one(".group-count").text
    shown = db.exec(
        select(AuditEvent.patient_id).where(AuditEvent.detail == "shown in a dashboard group")
    ).all()
    assert len(shown) == 2  # who saw these names is on record
    assert as_nurse.get("/dashboard/diabete-type-2/hba1c/unknown").status_code == 404
    assert as_nurse.get("/dashboard/obesite/hba1c/controlled").status_code == 404
