"""The GP's review: trend charts against the target, acknowledging alerts, personal targets."""

from datetime import UTC, datetime, timedelta

from bs4 import BeautifulSoup
from sqlmodel import select

from asalee_track.store.tables import Alert, PersonalTarget
from tests.web.test_sessions import session_form


def hba1c_history(browser, patient, values: list[str]) -> None:  # type: ignore[no-untyped-def]
    start = datetime.now(UTC) - timedelta(days=90 * len(values))
    for index, value in enumerate(values):
        browser.post(
            f"/patients/{patient.id}/sessions",
            session_form(start + timedelta(days=90 * index), **{"m.hba1c": value}),
        )


def test_chart_has_one_point_per_value_and_the_target_band(as_nurse, make_patient, enrol) -> None:
    patient = enrol(make_patient(), "diabete-type-2", start="2020-01-01")
    hba1c_history(as_nurse, patient, ["6,8", "7,4", "8,1"])
    soup = BeautifulSoup(as_nurse.get(f"/patients/{patient.id}/review").text, "html.parser")
    chart = soup.select_one("#chart-diabete-type-2-hba1c svg")
    points = chart.select("circle.point")
    assert [p.title.text.split(" : ")[1] for p in points] == ["6,8 %", "7,4 %", "8,1 %"]
    assert [("off-target" in p["class"]) for p in points] == [False, True, True]  # target ≤ 7 %
    xs = [float(p["cx"]) for p in points]
    band = chart.select_one("rect.target-band")
    left, right = float(band["x"]), float(band["x"]) + float(band["width"])
    assert xs == sorted(xs) and xs[0] == left and xs[-1] == right  # oldest left, newest right
    ys = [float(p["cy"]) for p in points]
    # The band spans from the target (7 %) down to the bottom of the axis; 6,8 % lies inside it.
    assert float(band["y"]) < ys[0] < float(band["y"]) + float(band["height"])
    assert ys[2] < float(band["y"])
    row = soup.select_one("tr.measure-hba1c")
    assert "8,1 %" in row.text and "hors cible" in row.text


def test_nurse_cannot_acknowledge_an_alert(as_nurse, make_patient, enrol, db) -> None:
    patient = enrol(make_patient(), "diabete-type-2")
    hba1c_history(as_nurse, patient, ["11"])
    alert = db.exec(select(Alert).where(Alert.rule_id == "hba1c-tres-elevee")).one()
    assert as_nurse.post(f"/alerts/{alert.id}/acknowledge", {"comment": "vu"}).status_code == 403
    assert db.get(Alert, alert.id).status == "open"


def test_gp_acknowledges_in_place_and_the_alert_stays_in_history(
    browser, world, make_patient, enrol, db
) -> None:
    patient = enrol(make_patient(), "diabete-type-2")
    browser.login(world.nurse.email)
    hba1c_history(browser, patient, ["11"])
    alert = db.exec(select(Alert).where(Alert.rule_id == "hba1c-tres-elevee")).one()
    browser.post("/logout")
    browser.login(world.gp.email)
    response = browser.client.post(
        f"/alerts/{alert.id}/acknowledge",
        data={"comment": "Vu, RDV demain"},
        headers={"HX-Request": "true", "X-CSRF-Token": browser.csrf},
    )
    fragment = BeautifulSoup(response.text, "html.parser")
    assert fragment.select_one("li.alert.status-acknowledged") is not None and "<html" not in response.text
    assert "Dr Paul Médecin" in fragment.text and "Vu, RDV demain" in fragment.text
    db.expire_all()
    stored = db.get(Alert, alert.id)
    assert (stored.status, stored.acknowledged_by, stored.comment) == (
        "acknowledged",
        world.gp.id,
        "Vu, RDV demain",
    )
    assert "Acquittée par Dr Paul Médecin" in browser.get(f"/patients/{patient.id}/review").text


def test_personal_target_changes_chart_and_rules_and_keeps_history(
    browser, world, make_patient, enrol, db
) -> None:
    patient = enrol(make_patient(), "diabete-type-2")
    browser.login(world.gp.email)
    refused = browser.post(
        f"/patients/{patient.id}/targets", {"measure_id": "hba1c", "max_value": "80", "reason": ""}
    )
    assert refused.status_code == 422
    soup = BeautifulSoup(refused.text, "html.parser")
    assert "plage plausible" in soup.select_one("#max_value-error").text
    assert soup.select_one("#reason-error").text == "Indiquez un motif."
    browser.post(
        f"/patients/{patient.id}/targets", {"measure_id": "hba1c", "max_value": "8", "reason": "Fragile"}
    )
    browser.post(
        f"/patients/{patient.id}/targets", {"measure_id": "hba1c", "max_value": "7,5", "reason": "Mieux"}
    )
    rows = db.exec(select(PersonalTarget).order_by(PersonalTarget.id)).all()
    assert [(r.max_value, r.ended_at is None) for r in rows] == [(8.0, False), (7.5, True)]
    hba1c_history(browser, patient, ["7,3"])
    page = BeautifulSoup(browser.get(f"/patients/{patient.id}/review").text, "html.parser")
    assert "à la cible" in page.select_one("tr.measure-hba1c").text  # 7,3 % ≤ 7,5 % personal
    assert "personnelle" in page.select_one("tr.measure-hba1c").text
    assert "Fragile" in page.select_one("table.target-history").text
    assert not db.exec(select(Alert).where(Alert.rule_id == "hba1c-hors-cible")).all()


def test_nurse_cannot_set_a_personal_target(as_nurse, make_patient, enrol) -> None:
    patient = enrol(make_patient(), "diabete-type-2")
    response = as_nurse.post(
        f"/patients/{patient.id}/targets", {"measure_id": "hba1c", "max_value": "8", "reason": "x"}
    )
    assert response.status_code == 403


def test_gp_starts_a_session_from_the_pathway_review(as_gp, make_patient, enrol) -> None:
    patient = enrol(make_patient(), "insuffisance-cardiaque")
    soup = BeautifulSoup(as_gp.get(f"/patients/{patient.id}/review").text, "html.parser")
    link = soup.select_one(f".heading a[href='/patients/{patient.id}/sessions/new']")
    assert link.text == "Nouvelle séance"
    assert as_gp.get(link["href"]).status_code == 200


def test_no_new_session_link_without_an_active_pathway(as_gp, make_patient) -> None:
    patient = make_patient()
    soup = BeautifulSoup(as_gp.get(f"/patients/{patient.id}/review").text, "html.parser")
    assert soup.select_one(f"a[href='/patients/{patient.id}/sessions/new']") is None
