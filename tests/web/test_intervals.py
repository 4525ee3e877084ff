"""Personal follow-up intervals: the GP spaces a stable patient's HbA1c to 6 months, within the range
the pathway allows; schedule, worklist, due markers and indicators follow; history kept; bad input
refused with the range named."""

from datetime import UTC, datetime, timedelta

from bs4 import BeautifulSoup
from sqlmodel import select

from asalee_track.care import followup, reports
from asalee_track.store.db import transaction
from asalee_track.store.tables import AuditEvent, MeasureDue, PersonalInterval
from tests.web.test_sessions import session_form

FOUR_MONTHS = timedelta(days=122)


def stable_patient(browser, make_patient, enrol, world):  # type: ignore[no-untyped-def]
    """T2D for two years, HbA1c 6,5 % four months ago: due under the protocol's 3 months."""
    start = (datetime.now(UTC) - timedelta(days=730)).date().isoformat()
    patient = enrol(make_patient(family_name="Stable", ins=""), "diabete-type-2", start=start)
    browser.login(world.nurse.email)
    browser.post(
        f"/patients/{patient.id}/sessions",
        session_form(datetime.now(UTC) - FOUR_MONTHS, **{"m.hba1c": "6,5"}),
    )
    browser.post("/logout")
    browser.login(world.gp.email)
    return patient


def hba1c_due(db, patient) -> datetime:  # type: ignore[no-untyped-def]
    db.expire_all()
    row = db.exec(
        select(MeasureDue).where(MeasureDue.patient_id == patient.id, MeasureDue.measure_id == "hba1c")
    ).one()
    return row.due_at


def test_gp_spaces_hba1c_to_six_months_and_everything_follows(
    browser, world, make_patient, enrol, db, engine, protocols
) -> None:
    patient = stable_patient(browser, make_patient, enrol, world)
    before = hba1c_due(db, patient)
    review = BeautifulSoup(browser.get(f"/patients/{patient.id}/review").text, "html.parser")
    assert "en retard" in review.select_one("tr.measure-hba1c").text
    options = [o.text for o in review.select("#interval-measure option")]
    assert "HbA1c (3 mois à 6 mois)" in options

    response = browser.post(
        f"/patients/{patient.id}/intervals",
        {"measure_id": "hba1c", "every": "6 mois", "reason": "Stable à la cible depuis un an"},
    )
    assert response.status_code == 200 and response.url.fragment == "intervals"
    # The stored schedule (worklist) is rebuilt: due three months later than before.
    after = hba1c_due(db, patient)
    assert 88 <= (after - before).days <= 93
    review = BeautifulSoup(browser.get(f"/patients/{patient.id}/review").text, "html.parser")
    assert "à jour" in review.select_one("tr.measure-hba1c").text  # the due marker
    history = review.select_one("table.interval-history").text
    assert (
        "6 mois" in history and "Stable à la cible depuis un an" in history and "Dr Paul Médecin" in history
    )

    gp = world.actor(world.gp)
    with transaction(engine) as session:
        listed = followup.worklist(session, gp, protocols, datetime.now(UTC))
        due = {
            item.measure for entry in listed.items if entry.patient.id == patient.id for _, item in entry.due
        }
        figures = {p.protocol_id: p for p in reports.dashboard(session, gp, protocols, datetime.now(UTC))}
    assert "hba1c" not in due and "weight" in due  # the other measures keep the protocol's interval
    hba1c = figures["diabete-type-2"].measures["hba1c"]
    assert (hba1c.up_to_date, hba1c.at_target, hba1c.no_recent_value) == (1, 1, 0)

    events = db.exec(select(AuditEvent).where(AuditEvent.object_type == "CarePlan")).all()
    assert [(e.action, e.patient_id) for e in events] == [("create", patient.id)]
    assert "hba1c: every P6M" in (events[0].detail or "")


def test_a_new_interval_ends_the_previous_one(browser, world, make_patient, enrol, db) -> None:
    patient = stable_patient(browser, make_patient, enrol, world)
    for every, reason in (("P6M", "Stable"), ("4 mois", "Traitement modifié")):
        browser.post(
            f"/patients/{patient.id}/intervals", {"measure_id": "hba1c", "every": every, "reason": reason}
        )
    rows = db.exec(select(PersonalInterval).order_by(PersonalInterval.id)).all()
    assert [(r.every, r.reason, r.ended_at is None) for r in rows] == [
        ("P6M", "Stable", False),
        ("P4M", "Traitement modifié", True),
    ]
    page = BeautifulSoup(browser.get(f"/patients/{patient.id}/review").text, "html.parser")
    assert [tr.select("td")[1].text for tr in page.select("table.interval-history tbody tr")] == [
        "4 mois",
        "6 mois",
    ]


def test_an_interval_outside_the_range_is_refused_with_the_range_and_nothing_saved(
    browser, world, make_patient, enrol, db
) -> None:
    patient = stable_patient(browser, make_patient, enrol, world)
    before = hba1c_due(db, patient)
    for typed in ("1 an", "P2M", "90 jours"):
        refused = browser.post(
            f"/patients/{patient.id}/intervals", {"measure_id": "hba1c", "every": typed, "reason": "Stable"}
        )
        assert refused.status_code == 422
        soup = BeautifulSoup(refused.text, "html.parser")
        assert soup.select_one("#every-error").text == (
            "HbA1c : le parcours permet un intervalle de 3 mois à 6 mois."
        )
        assert soup.select_one("#every")["value"] == typed  # the form keeps what was typed
        assert soup.select_one("#interval-reason")["value"] == "Stable"
    assert db.exec(select(PersonalInterval)).all() == []
    assert hba1c_due(db, patient) == before


def test_an_interval_that_is_not_a_duration_is_refused(browser, world, make_patient, enrol, db) -> None:
    patient = stable_patient(browser, make_patient, enrol, world)
    for typed in ("bientôt", "6,5 mois", "", "P6X"):
        refused = browser.post(
            f"/patients/{patient.id}/intervals", {"measure_id": "hba1c", "every": typed, "reason": ""}
        )
        assert refused.status_code == 422
        soup = BeautifulSoup(refused.text, "html.parser")
        assert "entre 3 mois et 6 mois" in soup.select_one("#every-error").text
        assert soup.select_one("#interval-reason-error").text == "Indiquez un motif."
    # A measure whose interval the pathway does not let a GP change:
    refused = browser.post(
        f"/patients/{patient.id}/intervals", {"measure_id": "weight", "every": "6 mois", "reason": "x"}
    )
    assert refused.status_code == 422 and "interval-measure-error" in refused.text
    assert db.exec(select(PersonalInterval)).all() == []


def test_nurse_cannot_set_an_interval(as_nurse, make_patient, enrol, db) -> None:
    patient = enrol(make_patient(), "diabete-type-2")
    response = as_nurse.post(
        f"/patients/{patient.id}/intervals", {"measure_id": "hba1c", "every": "P6M", "reason": "x"}
    )
    assert response.status_code == 403
    assert db.exec(select(PersonalInterval)).all() == []


def test_another_practice_cannot_set_an_interval(browser, world, make_patient, enrol, db) -> None:
    patient = enrol(make_patient(), "diabete-type-2")
    browser.login(world.both_practices_gp.email)
    browser.post("/practice", {"practice_id": str(world.other_practice.id)})
    response = browser.post(
        f"/patients/{patient.id}/intervals", {"measure_id": "hba1c", "every": "P6M", "reason": "x"}
    )
    assert response.status_code in (404, 403)
    assert db.exec(select(PersonalInterval)).all() == []
