"""The yearly cooperation report, against figures worked out by hand from a small practice.

Last year (Y), diabete-type-2:
  A  enrolled Y-1-03-01. BP 150/92 on Y-1-03-05 (high at enrolment). HbA1c 6.8 on Y-03-03 (two days after
     the first anniversary: at target ≤ 7). Y-06-10: BP 130/80, HbA1c 10.5 (alert, judged relevant),
     an HbA1c prescription (delegated act). Present at the workshop.
  B  enrolled Y-02-01 (new). Y-02-03: BP 145/85 (high), HbA1c 7.2. Y-05-05: BP 185/88 (alert, judged
     not relevant), HbA1c 8.0 (the 6.5–8 band, inclusive). Ended Y-11-01, "Déménagement". Absent from
     the workshop.
  C  enrolled Y-1-06-01, HbA1c 6.0 on Y-1-06-03 only (no HbA1c near the anniversary). Present at the
     workshop: seen.
  D  enrolled Y-2-01-10, ended Y-1-12-15: not in force in Y.
  Two refusals "Pas le temps"; one adverse event of the pathway, one linked to none, one of Y-1.
  Workshop Y-10-10, 90 min. Sessions 30 min each, T2D only.
bpco-tabac: G daily smoker on Y-1-01-12; FEV1/FVC 65 % with a spirometry on Y-04-04; ex-smoker Y-10-04.
troubles-cognitifs: H ≤ 12 years of schooling, MoCA 23 on Y-03-01 (alert, judged relevant).
"""

import csv
import io
from datetime import UTC, date, datetime

import pytest
from bs4 import BeautifulSoup
from sqlmodel import select

from asalee_track.care import alerts, cooperation, enrolment, register, sessions, workshops
from asalee_track.i18n import TIMEZONE
from asalee_track.store.db import transaction
from asalee_track.store.tables import Alert, Enrolment

Y = date.today().year - 1


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00").replace(tzinfo=TIMEZONE).astimezone(UTC)


def visit(db, world, protocols, patient, day: str, **typed: str) -> None:  # type: ignore[no-untyped-def]
    when = at(day)
    raw = {
        "started_at": when.astimezone(TIMEZONE).strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": "30",
        "kind": "follow-up",
        **{(k if "." in k else f"m.{k.replace('_', '-')}"): v for k, v in typed.items()},
    }
    sessions.save(
        db, world.actor(world.nurse), protocols, patient.id, raw, now=when.replace(hour=when.hour + 1)
    )


def acknowledge(db, world, patient, relevant: str) -> None:  # type: ignore[no-untyped-def]
    alert = db.exec(select(Alert).where(Alert.patient_id == patient.id, Alert.status == "open")).one()
    alerts.acknowledge(db, world.actor(world.gp), alert.id, "", relevant)


def end(db, world, protocols, patient, day: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    row = db.exec(select(Enrolment).where(Enrolment.patient_id == patient.id)).one()
    enrolment.change_status(db, world.actor(world.nurse), protocols, row.id, "end", reason, now=at(day))


@pytest.fixture
def practice(engine, world, protocols, make_patient, enrol):  # type: ignore[no-untyped-def]
    a = enrol(make_patient(family_name="Alpha"), "diabete-type-2", start=f"{Y - 1}-03-01")
    b = enrol(make_patient(family_name="Bravo"), "diabete-type-2", start=f"{Y}-02-01")
    c = enrol(make_patient(family_name="Charlie"), "diabete-type-2", start=f"{Y - 1}-06-01")
    d = enrol(make_patient(family_name="Delta"), "diabete-type-2", start=f"{Y - 2}-01-10")
    e, f = make_patient(family_name="Echo"), make_patient(family_name="Foxtrot")
    g = enrol(make_patient(family_name="Golf"), "bpco-tabac", start=f"{Y - 1}-01-10")
    h = enrol(make_patient(family_name="Hotel"), "troubles-cognitifs", start=f"{Y}-01-05")
    nurse = world.actor(world.nurse)
    with transaction(engine) as db:
        visit(db, world, protocols, a, f"{Y - 1}-03-05", sbp="150", dbp="92")
        visit(db, world, protocols, a, f"{Y}-03-03", hba1c="6.8")
        visit(db, world, protocols, a, f"{Y}-06-10", sbp="130", dbp="80", hba1c="10.5",
              **{"act.diabete-type-2.prescrire-hba1c": "on"})  # fmt: skip
        acknowledge(db, world, a, "yes")
        visit(db, world, protocols, b, f"{Y}-02-03", sbp="145", dbp="85", hba1c="7.2")
        visit(db, world, protocols, b, f"{Y}-05-05", sbp="185", dbp="88", hba1c="8")
        acknowledge(db, world, b, "no")
        end(db, world, protocols, b, f"{Y}-11-01", "Déménagement")
        visit(db, world, protocols, c, f"{Y - 1}-06-03", hba1c="6")
        end(db, world, protocols, d, f"{Y - 1}-12-15", "Décès")
        for patient, day in ((e, f"{Y}-04-01"), (f, f"{Y}-09-01")):
            register.record_refusal(
                db, nurse, protocols, patient.id, {"protocol_id": "diabete-type-2", "reason": "Pas le temps",
                "refused_on": day}, date.today())  # fmt: skip
        for day, protocol_id in (
            (f"{Y}-07-01", "diabete-type-2"),
            (f"{Y}-08-01", ""),
            (f"{Y - 1}-08-01", "diabete-type-2"),
        ):
            register.report_adverse_event(
                db, nurse, protocols, {"occurred_on": day, "severity": "mild", "description": "Malaise",
                "protocol_id": protocol_id}, date.today())  # fmt: skip
        workshops.create(
            db, nurse, protocols,
            {"title": "Alimentation", "held_at": f"{Y}-10-10T14:00", "duration_minutes": "90",
             "protocol_id": "diabete-type-2"},
            {a.id: "present", b.id: "absent", c.id: "present"},
            datetime.now(UTC),
        )  # fmt: skip
        visit(db, world, protocols, g, f"{Y - 1}-01-12", smoking="449868002")
        visit(db, world, protocols, g, f"{Y}-04-04", fev1_fvc="65", **{"act.bpco-tabac.spirometrie": "on"})
        visit(db, world, protocols, g, f"{Y}-10-04", smoking="8517006")
        visit(db, world, protocols, h, f"{Y}-03-01", education_level="12-ans-ou-moins", moca="23")
        acknowledge(db, world, h, "yes")
    return world


def test_the_yearly_figures_match_the_hand_count(engine, practice, protocols) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as db:
        report = cooperation.yearly(db, practice.actor(practice.nurse), protocols, Y)
    t2d = next(p for p in report.pathways if p.protocol_id == "diabete-type-2")
    assert (t2d.enrolled, t2d.new_enrolments, t2d.seen, t2d.sessions) == (3, 1, 3, 4)
    assert (t2d.workshops, t2d.workshop_attendances, t2d.minutes) == (1, 2, 4 * 30 + 90)
    assert t2d.acts == {"prescrire-hba1c": 1}
    assert (t2d.alerts_raised, t2d.alerts_acknowledged, t2d.alerts_relevant, t2d.alerts_not_relevant) == (
        2,
        2,
        1,
        1,
    )
    assert (t2d.adverse_events, report.adverse_events_unlinked) == (1, 1)
    assert t2d.refusals == {"Pas le temps": 2}
    assert t2d.exits == {"Déménagement": 1}
    assert t2d.hba1c_bands == (0, 1, 1)  # A 10.5 (> 8), B 8.0 (6.5–8); C has none in Y
    assert t2d.hba1c_anniversary == (1, 1)  # A only; C's HbA1c is a year from its anniversary
    assert t2d.bp_high_at_enrolment == (2, 2) and t2d.bp_high_after == (1, 2)
    assert t2d.smoking_cessation == (0, 0)
    copd = next(p for p in report.pathways if p.protocol_id == "bpco-tabac")
    assert copd.smoking_cessation == (1, 1)
    assert (copd.spirometry_acts, copd.spirometry_patients) == (1, (1, 1))
    cognition = next(p for p in report.pathways if p.protocol_id == "troubles-cognitifs")
    assert cognition.cognitive == (1, 1, 1)
    assert cognition.hba1c_bands is None and cognition.spirometry_patients is None


def test_the_page_states_each_definition(as_gp, practice) -> None:  # type: ignore[no-untyped-def]
    page = as_gp.get(f"/reports/cooperation?year={Y}&protocol_id=diabete-type-2")
    assert page.status_code == 200
    soup = BeautifulSoup(page.text, "html.parser")
    rows = {
        tr["class"][0]: (tr.th.text, tr.select_one(".value").text, tr.select("td")[1].text)
        for tr in soup.select("#pathway-diabete-type-2 tbody tr")
    }
    assert rows["indicator-bp_high"][:2] == (
        "PA au-dessus de 140/90 : à l'inclusion → ensuite",
        "2 / 2 (100 %) → 1 / 2 (50 %)",
    )
    assert rows["indicator-alerts"][1] == "2 levées, 2 acquittées, 1 pertinentes / 1 non pertinentes"
    assert rows["indicator-hba1c_bands"][0] == "HbA1c < 6,5 % / 6,5–8 % / > 8 %"
    assert all(definition.strip() for _, _, definition in rows.values())
    assert soup.select_one("#pathway-bpco-tabac") is None  # one pathway chosen


def test_the_csv_opens_in_french_excel(as_gp, practice) -> None:  # type: ignore[no-untyped-def]
    response = as_gp.get(f"/reports/cooperation.csv?year={Y}")
    assert response.headers["content-type"].startswith("text/csv")
    assert response.text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0] == ["Parcours", "Indicateur", "Valeur", "Définition"]
    found = {(r[0], r[1]): r[2] for r in rows[1:]}
    assert found[("Diabète de type 2", "Patients inclus")] == "3"
    assert found[("Tabac et dépistage de la BPCO", "Arrêt du tabac")] == "1 / 1 (100 %)"
    assert found[("Tous les parcours", "Événements indésirables")] == "1"


def test_acknowledging_says_whether_the_alert_was_relevant(as_gp, make_patient, enrol, db) -> None:  # type: ignore[no-untyped-def]
    patient = enrol(make_patient(), "bpco-tabac")
    now = datetime.now(UTC).astimezone(TIMEZONE).strftime("%Y-%m-%dT%H:%M")
    as_gp.post(f"/patients/{patient.id}/sessions", {"started_at": now, "duration_minutes": "20",
                  "kind": "follow-up", "m.fev1-fvc": "60"})  # fmt: skip
    alert = db.exec(select(Alert)).one()
    form = BeautifulSoup(as_gp.get(f"/patients/{patient.id}/review").text, "html.parser")
    assert [i["value"] for i in form.select(f"#alert-{alert.id} input[name=relevant]")] == ["yes", "no"]
    as_gp.post(f"/alerts/{alert.id}/acknowledge", {"comment": "Vu", "relevant": "no"})
    db.refresh(alert)
    assert (alert.status, alert.relevant) == ("acknowledged", False)


def test_a_refusal_without_reason_is_refused_in_french(as_nurse, make_patient) -> None:  # type: ignore[no-untyped-def]
    patient = make_patient()
    response = as_nurse.post(f"/patients/{patient.id}/refusals", {"protocol_id": "bpco-tabac", "reason": ""})
    assert response.status_code == 422
    assert (
        "Indiquez un motif." in BeautifulSoup(response.text, "html.parser").get_text()
        or "motif" in response.text
    )
