"""Questionnaires and home blood-pressure series in the session form: answers and readings kept, the
score and the averages recorded as observations that rules test, bad input refused in French."""

from datetime import UTC, datetime, timedelta

from bs4 import BeautifulSoup
from sqlmodel import select

from asalee_track.i18n import TIMEZONE
from asalee_track.store.tables import (
    Alert,
    HomeBpReading,
    InstrumentAnswer,
    InstrumentResponse,
    Observation,
)

FAGERSTROM = {
    "premiere-cigarette": "5-min-ou-moins",  # 3
    "lieux-interdits": "oui",  # 1
    "cigarette-preferee": "premiere-du-matin",  # 1
    "cigarettes-par-jour": "21-30",  # 2
    "fume-plus-le-matin": "non",  # 0
    "fume-malade": "oui",  # 1
}


def form(**fields: str) -> dict[str, str]:
    started = (datetime.now(UTC) - timedelta(hours=1)).astimezone(TIMEZONE).strftime("%Y-%m-%dT%H:%M")
    return {"started_at": started, "duration_minutes": "30", "kind": "follow-up", **fields}


def answers(values: dict[str, str]) -> dict[str, str]:
    return {f"q.bpco-tabac.fagerstrom.{item}": code for item, code in values.items()}


def home_series(count: int, sbp: int = 142, dbp: int = 88) -> dict[str, str]:
    cells = [(d, p, r) for d in (1, 2, 3) for p in ("morning", "evening") for r in (1, 2, 3)][:count]
    typed: dict[str, str] = {}
    for index, (day, period, rank) in enumerate(cells):
        typed[f"hbp.risque-cardiovasculaire.{day}.{period}.{rank}.sbp"] = str(sbp + index % 3)
        typed[f"hbp.risque-cardiovasculaire.{day}.{period}.{rank}.dbp"] = str(dbp)
    return typed


def test_the_form_offers_each_questionnaire_and_never_asks_its_score(as_nurse, make_patient, enrol) -> None:
    patient = enrol(make_patient(), "bpco-tabac")
    soup = BeautifulSoup(as_nurse.get(f"/patients/{patient.id}/sessions/new").text, "html.parser")
    radios = soup.select("input[type=radio][name='q.bpco-tabac.fagerstrom.cigarettes-par-jour']")
    assert [r["value"] for r in radios] == ["10-ou-moins", "11-20", "21-30", "31-ou-plus"]
    assert soup.select_one("input[name='m.fagerstrom']") is None  # the total is computed
    assert soup.select_one("input[name='m.fev1-fvc']") is not None


def test_a_complete_questionnaire_is_stored_as_answers_and_a_score_the_rules_see(
    as_nurse, make_patient, enrol, db
) -> None:
    patient = enrol(make_patient(), "bpco-tabac")
    response = as_nurse.post(f"/patients/{patient.id}/sessions", form(**answers(FAGERSTROM)))
    assert response.status_code == 200
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.select_one("#response-fagerstrom .score").text.strip() == "Score : 8 — Dépendance forte"
    [stored] = db.exec(select(InstrumentResponse)).all()
    assert (stored.status, stored.score) == ("complete", 8)
    rows = db.exec(select(InstrumentAnswer).where(InstrumentAnswer.response_id == stored.id)).all()
    assert {(a.item_id, a.answer_code, a.points) for a in rows} >= {("cigarettes-par-jour", "21-30", 2)}
    assert len(rows) == 6
    observation = db.get(Observation, stored.observation_id)
    assert observation is not None
    assert (observation.measure_id, observation.value_num, observation.computed) == ("fagerstrom", 8, True)
    [alert] = db.exec(select(Alert)).all()
    assert alert.rule_id == "dependance-forte"  # the score fired the rule "Fagerström ≥ 7"


def test_an_incomplete_questionnaire_is_saved_without_a_score_and_says_so(
    as_nurse, make_patient, enrol, db
) -> None:
    patient = enrol(make_patient(), "bpco-tabac")
    partial = {k: v for k, v in FAGERSTROM.items() if k not in ("fume-malade", "fume-plus-le-matin")}
    response = as_nurse.post(f"/patients/{patient.id}/sessions", form(**answers(partial)))
    assert response.status_code == 200
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.select_one("#response-fagerstrom .incomplete").text.strip() == (
        "Questionnaire incomplet : pas de score (2 questions sans réponse)."
    )
    [stored] = db.exec(select(InstrumentResponse)).all()
    assert (stored.status, stored.score, stored.observation_id) == ("incomplete", None, None)
    assert len(db.exec(select(InstrumentAnswer)).all()) == 4  # the answers given are kept
    assert db.exec(select(Observation).where(Observation.measure_id == "fagerstrom")).all() == []
    assert db.exec(select(Alert)).all() == []


def test_an_answer_outside_the_options_is_refused_and_the_form_keeps_what_was_typed(
    as_nurse, make_patient, enrol, db
) -> None:
    patient = enrol(make_patient(), "bpco-tabac")
    typed = form(**answers({**FAGERSTROM, "cigarettes-par-jour": "40"}), **{"m.exhaled-co": "18"})
    response = as_nurse.post(f"/patients/{patient.id}/sessions", typed)
    assert response.status_code == 422
    soup = BeautifulSoup(response.text, "html.parser")
    group = soup.find(attrs={"aria-labelledby": "q.bpco-tabac.fagerstrom.cigarettes-par-jour-label"})
    assert group.select_one(".error").text == "Cette réponse ne fait pas partie des choix proposés."
    assert soup.select_one("input[name='m.exhaled-co']")["value"] == "18"
    checked = soup.select_one("input[name='q.bpco-tabac.fagerstrom.premiere-cigarette'][checked]")
    assert checked["value"] == "5-min-ou-moins"
    assert db.exec(select(InstrumentResponse)).all() == []


def test_a_home_series_keeps_every_reading_and_records_the_averages(
    as_nurse, make_patient, enrol, db
) -> None:
    patient = enrol(make_patient(), "risque-cardiovasculaire")
    response = as_nurse.post(f"/patients/{patient.id}/sessions", form(**home_series(18)))
    assert response.status_code == 200
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.select_one(".home-series .score").text.strip() == (
        "Moyenne de 18 mesures : 143 / 88 mmHg"  # 142, 143, 144 repeated: mean 143
    )
    assert len(db.exec(select(HomeBpReading)).all()) == 18
    averages = {o.measure_id: o.value_num for o in db.exec(select(Observation)).all()}
    assert averages == {"home-sbp": 143.0, "home-dbp": 88.0}
    [alert] = db.exec(select(Alert)).all()
    assert alert.rule_id == "hta-automesure"


def test_a_series_with_too_few_readings_gets_no_average_but_keeps_them(
    as_nurse, make_patient, enrol, db
) -> None:
    patient = enrol(make_patient(), "risque-cardiovasculaire")
    response = as_nurse.post(f"/patients/{patient.id}/sessions", form(**home_series(8)))
    assert response.status_code == 200
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.select_one(".home-series .incomplete").text.strip() == (
        "Pas de moyenne : 8 mesures, il en faut au moins 12. Les mesures sont conservées."
    )
    assert len(db.exec(select(HomeBpReading)).all()) == 8
    assert db.exec(select(Observation)).all() == []


def test_a_half_typed_or_inverted_reading_is_refused_in_french(as_nurse, make_patient, enrol, db) -> None:
    patient = enrol(make_patient(), "risque-cardiovasculaire")
    typed = {
        **home_series(12),
        "hbp.risque-cardiovasculaire.3.evening.1.sbp": "150",
        "hbp.risque-cardiovasculaire.3.evening.2.sbp": "80",
        "hbp.risque-cardiovasculaire.3.evening.2.dbp": "120",
        "hbp.risque-cardiovasculaire.3.evening.3.sbp": "400",
        "hbp.risque-cardiovasculaire.3.evening.3.dbp": "90",
    }
    response = as_nurse.post(f"/patients/{patient.id}/sessions", form(**typed))
    assert response.status_code == 422
    soup = BeautifulSoup(response.text, "html.parser")
    cells = soup.select(".home-grid td.invalid .error")
    messages = [cell.text for cell in cells]
    assert messages[0] == "Saisissez la systolique et la diastolique de cette mesure."
    assert messages[1] == "La systolique doit être supérieure à la diastolique."
    assert "260" in messages[2]  # out of the plausible range, said with the range
    assert soup.select_one("input[name='hbp.risque-cardiovasculaire.1.morning.1.sbp']")["value"] == "142"
    assert db.exec(select(HomeBpReading)).all() == []


def test_correcting_a_session_shows_the_answers_and_readings_again(as_nurse, make_patient, enrol, db) -> None:
    patient = enrol(make_patient(), "bpco-tabac", "risque-cardiovasculaire")
    as_nurse.post(f"/patients/{patient.id}/sessions", form(**answers(FAGERSTROM), **home_series(12)))
    [stored] = db.exec(select(InstrumentResponse)).all()
    soup = BeautifulSoup(as_nurse.get(f"/sessions/{stored.session_id}/amend").text, "html.parser")
    checked = soup.select_one("input[name='q.bpco-tabac.fagerstrom.cigarettes-par-jour'][checked]")
    assert checked["value"] == "21-30"
    assert soup.select_one("input[name='hbp.risque-cardiovasculaire.2.evening.3.dbp']")["value"] == "88"
