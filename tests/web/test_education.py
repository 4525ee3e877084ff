"""The education plan: the diagnosis noted and versioned, the patient's goals in their own words with
reviews that keep the history; group workshops with one attendance per patient; all of it in FHIR."""

from datetime import UTC, datetime, timedelta

from bs4 import BeautifulSoup
from fhir.resources.R4B.bundle import Bundle
from sqlmodel import Session, select

from asalee_track import PROJECT_ROOT
from asalee_track.fhir import bundles, catalog
from asalee_track.i18n import TIMEZONE
from asalee_track.store.tables import EducationPlan, GoalReview, PatientGoal, Workshop, WorkshopAttendance

CATALOG = catalog.load_catalog(PROJECT_ROOT / "protocols")


def test_the_diagnosis_is_versioned_never_overwritten(as_nurse, make_patient, enrol, db) -> None:
    patient = enrol(make_patient(), "bpco-tabac")
    first = {"needs": "Comprendre l'essoufflement", "resources": "Sa fille", "limits": "Vit seul"}
    assert as_nurse.post(f"/patients/{patient.id}/education", first).status_code == 200
    as_nurse.post(f"/patients/{patient.id}/education", {**first, "limits": "Vit seul, ne conduit plus"})
    versions = db.exec(select(EducationPlan).order_by(EducationPlan.version)).all()
    assert [(v.version, v.limits) for v in versions] == [(1, "Vit seul"), (2, "Vit seul, ne conduit plus")]
    soup = BeautifulSoup(as_nurse.get(f"/patients/{patient.id}/education").text, "html.parser")
    assert soup.select_one("textarea[name=limits]").text == "Vit seul, ne conduit plus"


def test_an_empty_diagnosis_is_refused_in_french(as_nurse, make_patient, enrol, db) -> None:
    patient = enrol(make_patient(), "bpco-tabac")
    response = as_nurse.post(f"/patients/{patient.id}/education", {"needs": " "})
    assert response.status_code == 422
    assert "Indiquez au moins les besoins, les ressources ou les limites." in response.text
    assert db.exec(select(EducationPlan)).all() == []


def test_a_goal_in_the_patients_words_is_reviewed_and_keeps_its_history(
    as_nurse, make_patient, enrol, db
) -> None:
    patient = enrol(make_patient(), "bpco-tabac")
    words = "Monter les escaliers sans m'arrêter"
    response = as_nurse.post(
        f"/patients/{patient.id}/goals", {"text": words, "set_on": "2026-09-01", "target_date": "2026-12-31"}
    )
    assert response.status_code == 200
    goal = db.exec(select(PatientGoal)).one()
    assert (goal.text, goal.status) == (words, "in-progress")
    as_nurse.post(
        f"/goals/{goal.id}/review",
        {"status": "achieved", "comment": "Trois étages !", "patient_id": patient.id},
    )
    db.refresh(goal)
    assert goal.status == "achieved"
    history = db.exec(
        select(GoalReview.status).where(GoalReview.goal_id == goal.id).order_by(GoalReview.id)
    ).all()
    assert history == ["in-progress", "achieved"]
    soup = BeautifulSoup(as_nurse.get(f"/patients/{patient.id}/education").text, "html.parser")
    shown = soup.select_one(f"#goal-{goal.id}")
    assert shown.q.text == words and shown.select_one(".badge").text == "atteint"
    assert "Trois étages !" in shown.select_one(".reviews").text


def test_bad_goal_input_is_refused_and_kept(as_nurse, make_patient, enrol, db) -> None:
    patient = enrol(make_patient(), "bpco-tabac")
    response = as_nurse.post(
        f"/patients/{patient.id}/goals",
        {"text": "Marcher", "set_on": "2026-09-01", "target_date": "2026-08-01"},
    )
    assert response.status_code == 422
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.select_one("#goal-text")["value"] == "Marcher"
    assert "La date visée ne peut pas précéder le jour où l'objectif a été fixé." in soup.get_text()
    assert db.exec(select(PatientGoal)).all() == []
    goal_response = as_nurse.post(f"/patients/{patient.id}/goals", {"text": "Marcher"})
    assert goal_response.status_code == 200
    goal = db.exec(select(PatientGoal)).one()
    refused = as_nurse.post(f"/goals/{goal.id}/review", {"status": "fini", "patient_id": patient.id})
    assert refused.status_code == 422 and "Choisissez : atteint, en cours ou abandonné." in refused.text


def local(moment: datetime) -> str:
    return moment.astimezone(TIMEZONE).strftime("%Y-%m-%dT%H:%M")


def test_a_workshop_records_one_attendance_per_patient(as_nurse, make_patient, enrol, db) -> None:
    first = enrol(make_patient(family_name="Arnaud"), "bpco-tabac")
    second = enrol(make_patient(family_name="Besson"), "risque-cardiovasculaire")
    form = {
        "title": "Atelier souffle et activité physique",
        "held_at": local(datetime.now(UTC) - timedelta(days=1)),
        "duration_minutes": "120",
        "protocol_id": "bpco-tabac",
        f"attendance.{first.id}": "present",
        f"attendance.{second.id}": "absent",
    }
    response = as_nurse.post("/workshops", form)
    assert response.status_code == 200
    workshop = db.exec(select(Workshop)).one()
    assert workshop.duration_minutes == 120  # the nurse's time, once for the whole group
    attendance = {a.patient_id: a.status for a in db.exec(select(WorkshopAttendance)).all()}
    assert attendance == {first.id: "present", second.id: "absent"}
    soup = BeautifulSoup(response.text, "html.parser")
    assert [td.text for td in soup.select("table.attendance td:nth-of-type(2)")] == ["présent", "absent"]


def test_a_workshop_without_patients_or_title_is_refused(as_nurse, make_patient, enrol, db) -> None:
    enrol(make_patient(), "bpco-tabac")
    form = {"title": "", "held_at": local(datetime.now(UTC)), "duration_minutes": "90"}
    response = as_nurse.post("/workshops", form)
    assert response.status_code == 422
    text = BeautifulSoup(response.text, "html.parser").get_text()
    assert "Donnez un titre à l'atelier." in text and "Ajoutez au moins un patient." in text
    assert db.exec(select(Workshop)).all() == []


def test_the_education_plan_in_fhir(engine, world, as_nurse, make_patient, enrol, db) -> None:  # type: ignore[no-untyped-def]
    patient = enrol(make_patient(), "bpco-tabac")
    as_nurse.post(
        f"/patients/{patient.id}/education", {"needs": "Arrêter de fumer", "limits": "Stress au travail"}
    )
    as_nurse.post(f"/patients/{patient.id}/goals", {"text": "Ne plus fumer le matin"})
    goal = db.exec(select(PatientGoal)).one()
    as_nurse.post(
        f"/goals/{goal.id}/review", {"status": "abandoned", "comment": "Reporté", "patient_id": patient.id}
    )
    as_nurse.post(
        "/workshops",
        {
            "title": "Atelier tabac",
            "held_at": local(datetime.now(UTC) - timedelta(hours=3)),
            "duration_minutes": "60",
            f"attendance.{patient.id}": "present",
        },
    )
    with Session(engine) as session:
        bundle = bundles.patient_collection(
            session.connection(), world.practice.id, patient.id, CATALOG, "https://x.test/fhir"
        )
    Bundle.model_validate(bundle)
    resources = [e["resource"] for e in bundle["entry"]]
    [fhir_goal] = [r for r in resources if r["resourceType"] == "Goal" and r["id"] == goal.id]
    assert fhir_goal["description"]["text"] == "Ne plus fumer le matin"
    assert fhir_goal["lifecycleStatus"] == "cancelled"
    assert fhir_goal["achievementStatus"]["coding"][0]["code"] == "not-achieved"
    assert fhir_goal["expressedBy"] == {"reference": f"Patient/{patient.id}"}
    [plan] = [r for r in resources if r["id"] == f"edu-{patient.id}"]
    assert plan["resourceType"] == "CarePlan"
    assert plan["description"] == "Besoins : Arrêter de fumer\nLimites : Stress au travail"
    assert plan["goal"] == [{"reference": f"Goal/{goal.id}"}]
    [activity] = plan["activity"]
    assert (
        activity["detail"]["status"] == "completed" and activity["detail"]["code"]["text"] == "Atelier tabac"
    )
