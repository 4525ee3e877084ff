"""The session form: built from the pathways, validated per field, saved once, corrected without loss."""

from datetime import UTC, datetime, timedelta

from bs4 import BeautifulSoup
from sqlmodel import select

from asalee_track.i18n import TIMEZONE
from asalee_track.store.tables import Alert, AuditEvent, CareSession, Observation, SessionItem


def local(moment: datetime) -> str:
    return moment.astimezone(TIMEZONE).strftime("%Y-%m-%dT%H:%M")


def session_form(when: datetime | None = None, **fields: str) -> dict[str, str]:
    values = {
        "started_at": local(when or datetime.now(UTC) - timedelta(hours=1)),
        "duration_minutes": "45",
        "kind": "follow-up",
    }
    values.update(fields)
    return values


def test_form_has_one_section_per_pathway_and_asks_shared_measures_once(
    as_nurse, make_patient, enrol
) -> None:
    patient = enrol(make_patient(), "diabete-type-2", "insuffisance-cardiaque")
    soup = BeautifulSoup(as_nurse.get(f"/patients/{patient.id}/sessions/new").text, "html.parser")
    legends = [legend.text for legend in soup.select("fieldset.pathway > legend")]
    assert legends == ["Diabète de type 2", "Insuffisance cardiaque"]
    assert len(soup.select("input[name='m.weight']")) == 1
    assert soup.select_one("input[name='m.bmi']") is None  # computed, never typed
    assert [o["value"] for o in soup.select("select[name='u.hba1c'] option")] == ["%", "mmol/mol"]


def test_saving_keeps_the_typed_value_and_stores_the_canonical_one(as_nurse, make_patient, enrol, db) -> None:
    patient = enrol(make_patient(), "diabete-type-2")
    response = as_nurse.post(
        f"/patients/{patient.id}/sessions",
        session_form(
            **{
                "m.hba1c": "53",
                "u.hba1c": "mmol/mol",
                "m.weight": "82,5",
                "m.height": "1,75",
                "u.height": "m",
                "edu.diabete-type-2.alimentation": "on",
                "act.diabete-type-2.prescrire-hba1c": "on",
            }
        ),
    )
    assert response.status_code == 200 and "Séance enregistrée." in response.text
    rows = {o.measure_id: o for o in db.exec(select(Observation)).all()}
    assert round(rows["hba1c"].value_num, 1) == 7.0 and rows["hba1c"].unit == "%"
    assert (rows["hba1c"].original_value, rows["hba1c"].original_unit) == ("53", "mmol/mol")
    assert rows["hba1c"].loinc == "4548-4"
    assert rows["weight"].value_num == 82.5 and rows["height"].value_num == 175
    assert rows["bmi"].computed and round(rows["bmi"].value_num, 1) == 26.9
    items = {(i.kind, i.item_id) for i in db.exec(select(SessionItem)).all()}
    assert items == {("education", "alimentation"), ("act", "prescrire-hba1c")}
    query = select(AuditEvent.action).where(AuditEvent.object_type == "Encounter").order_by(AuditEvent.id)
    actions = db.exec(query).all()
    assert actions == ["create", "read"]  # saved, then shown back to the nurse


def test_refused_session_keeps_everything_typed_and_names_each_field(
    as_nurse, make_patient, enrol, db
) -> None:
    patient = enrol(make_patient(), "diabete-type-2")
    future = datetime.now(UTC) + timedelta(days=2)
    typed = session_form(
        future,
        duration_minutes="0",
        **{
            "m.hba1c": "70",
            "m.weight": "abc",
            "m.sbp": "135",
            "notes": "Patiente fatiguée",
            "edu.diabete-type-2.alimentation": "on",
        },
    )
    response = as_nurse.post(f"/patients/{patient.id}/sessions", typed)
    assert response.status_code == 422
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.select_one("#check-hba1c .error").text == "Valeur hors de la plage plausible 3–20 %"
    assert "n'est pas un nombre" in soup.select_one("#check-weight .error").text
    assert soup.select_one("#started_at-error").text == "La séance ne peut pas être dans le futur."
    assert soup.select_one("#duration_minutes-error") is not None
    assert soup.select_one("input[name='m.sbp']")["value"] == "135"
    assert soup.select_one("#notes").text == "Patiente fatiguée"
    assert soup.select_one("input[name='edu.diabete-type-2.alimentation']").has_attr("checked")
    assert db.exec(select(CareSession)).all() == []


def test_per_field_check_shows_the_conversion(as_nurse, make_patient, enrol) -> None:
    patient = enrol(make_patient(), "diabete-type-2")
    response = as_nurse.post(
        f"/patients/{patient.id}/sessions/check/hba1c",
        {"m.hba1c": "53", "u.hba1c": "mmol/mol"},
        headers={"HX-Request": "true"},
    )
    assert BeautifulSoup(response.text, "html.parser").select_one(".conversion").text == "53 mmol/mol = 7,0 %"
    refused = as_nurse.post(f"/patients/{patient.id}/sessions/check/weight", {"m.weight": "2000"})
    assert "plage plausible 20–350 kg" in refused.text


def test_double_submission_creates_one_session(as_nurse, make_patient, enrol, db) -> None:
    patient = enrol(make_patient(), "obesite")
    typed = session_form(**{"m.weight": "101", "idempotency_key": "k-123"})
    first = as_nurse.post(f"/patients/{patient.id}/sessions", typed)
    second = as_nurse.post(f"/patients/{patient.id}/sessions", typed)
    assert first.url == second.url
    assert len(db.exec(select(CareSession)).all()) == 1


def test_heart_failure_weight_gain_raises_one_alert_not_two(as_nurse, make_patient, enrol, db) -> None:
    patient = enrol(make_patient(), "insuffisance-cardiaque")
    now = datetime.now(UTC)
    as_nurse.post(
        f"/patients/{patient.id}/sessions", session_form(now - timedelta(days=2), **{"m.weight": "80"})
    )
    response = as_nurse.post(
        f"/patients/{patient.id}/sessions", session_form(now - timedelta(minutes=5), **{"m.weight": "82,4"})
    )
    assert "Alertes déclenchées par cette séance" in response.text
    alert = db.exec(select(Alert)).one()
    assert alert.rule_id == "prise-de-poids-rapide" and alert.status == "open"
    assert "82,4" in alert.explanation["fr"]
    as_nurse.post(f"/patients/{patient.id}/sessions", session_form(now, **{"m.weight": "82,6"}))
    assert len(db.exec(select(Alert)).all()) == 1  # still open: not raised again


def test_amendment_keeps_the_earlier_version_readable(as_nurse, make_patient, enrol, db) -> None:
    patient = enrol(make_patient(), "obesite")
    as_nurse.post(f"/patients/{patient.id}/sessions", session_form(**{"m.weight": "110"}))
    first = db.exec(select(CareSession)).one()
    response = as_nurse.post(f"/sessions/{first.id}/amend", session_form(**{"m.weight": "101"}))
    assert "version 2" in response.text
    db.expire_all()
    old, new = sorted(db.exec(select(CareSession)).all(), key=lambda s: s.version)
    assert old.superseded_by_id == new.id and new.supersedes_id == old.id and new.status == "amended"
    old_page = as_nurse.get(f"/sessions/{old.id}").text
    assert "110,0" in old_page and "Cette version a été corrigée." in old_page
    patient_page = as_nurse.get(f"/patients/{patient.id}").text
    assert "101,0" in patient_page and "110,0" not in patient_page


def test_entered_in_error_closes_the_alerts_it_raised(as_nurse, make_patient, enrol, db) -> None:
    patient = enrol(make_patient(), "diabete-type-2")
    as_nurse.post(f"/patients/{patient.id}/sessions", session_form(**{"m.hba1c": "11"}))
    session = db.exec(select(CareSession)).one()
    assert {a.rule_id for a in db.exec(select(Alert)).all()} >= {"hba1c-tres-elevee"}
    refused = as_nurse.post(f"/sessions/{session.id}/error", {"reason": ""})
    assert refused.status_code == 422
    as_nurse.post(f"/sessions/{session.id}/error", {"reason": "Mauvais patient"})
    db.expire_all()
    assert db.get(CareSession, session.id).status == "entered-in-error"
    assert {o.status for o in db.exec(select(Observation)).all()} == {"entered-in-error"}
    assert {(a.status, a.closed_reason) for a in db.exec(select(Alert)).all()} == {
        ("closed", "Mauvais patient")
    }
    assert "Saisie erronée : Mauvais patient" in as_nurse.get(f"/sessions/{session.id}").text


def test_printable_summary(as_nurse, make_patient, enrol, db) -> None:
    patient = enrol(make_patient(), "suivi-cancer")
    as_nurse.post(f"/patients/{patient.id}/sessions", session_form(**{"m.weight": "60", "notes": "RAS"}))
    session = db.exec(select(CareSession)).one()
    page = as_nurse.get(f"/sessions/{session.id}/print").text
    assert "Compte rendu de séance" in page and "LEFÈVRE Hélène" in page and "RAS" in page


def test_session_of_another_practice_is_not_found(browser, world, make_patient, enrol, db) -> None:
    patient = enrol(make_patient(), "obesite")
    browser.login(world.nurse.email)
    browser.post(f"/patients/{patient.id}/sessions", session_form(**{"m.weight": "100"}))
    session = db.exec(select(CareSession)).one()
    other = browser.__class__(browser.client.__class__(browser.client.app))
    other.login(world.other_nurse.email)
    assert other.get(f"/sessions/{session.id}").status_code == 404
    assert other.post(f"/sessions/{session.id}/error", {"reason": "x"}).status_code == 404


def check(browser, patient, measure_id: str, value: str, **more: str) -> BeautifulSoup:  # type: ignore[no-untyped-def]
    """The on-blur check of one field, as htmx sends it."""
    response = browser.post(
        f"/patients/{patient.id}/sessions/check/{measure_id}",
        {f"m.{measure_id}": value, **more},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    return BeautifulSoup(response.text, "html.parser")


def test_form_shows_the_last_value_of_each_measure_and_its_date(as_nurse, make_patient, enrol) -> None:
    patient = enrol(make_patient(), "diabete-type-2", start="2020-01-01")
    march = datetime(2026, 3, 12, 10, 0, tzinfo=TIMEZONE)
    as_nurse.post(
        f"/patients/{patient.id}/sessions",
        session_form(march, **{"m.hba1c": "58", "u.hba1c": "mmol/mol", "m.weight": "82,5"}),
    )
    soup = BeautifulSoup(as_nurse.get(f"/patients/{patient.id}/sessions/new").text, "html.parser")
    assert soup.select_one("#last-hba1c").text == "dernière valeur : 7,5 % le 12 mars 2026"
    assert soup.select_one("#last-weight").text == "dernière valeur : 82,5 kg le 12 mars 2026"
    assert "last-hba1c" in soup.select_one("input[name='m.hba1c']")["aria-describedby"]
    assert soup.select_one("#last-sbp") is None  # never measured


def test_check_says_the_value_would_raise_an_alert_and_saves_nothing(
    as_nurse, make_patient, enrol, db
) -> None:
    patient = enrol(make_patient(), "insuffisance-cardiaque")
    soup = check(as_nurse, patient, "spo2", "88")
    assert soup.select_one(".foreseen-alert").text.startswith("⚠ déclenchera une alerte : SpO2 < 90 %")
    assert soup.select_one(".foreseen-target").text == "sous la cible"  # target ≥ 94 %
    assert db.exec(select(Alert)).all() == [] and db.exec(select(Observation)).all() == []
    assert db.exec(select(CareSession)).all() == []
    calm = check(as_nurse, patient, "spo2", "96")
    assert calm.select_one(".foreseen-alert") is None
    assert calm.select_one(".foreseen-target").text == "à la cible"


def test_check_weighs_the_value_against_the_history_and_the_session_time(
    as_nurse, make_patient, enrol
) -> None:
    patient = enrol(make_patient(), "insuffisance-cardiaque")
    now = datetime.now(UTC)
    as_nurse.post(
        f"/patients/{patient.id}/sessions", session_form(now - timedelta(days=2), **{"m.weight": "80"})
    )
    gain = check(as_nurse, patient, "weight", "82,4", started_at=local(now - timedelta(minutes=5)))
    assert "Prise de poids ≥ 2 kg en 3 jours" in gain.select_one(".foreseen-alert").text
    # The same weight typed for a session ten days later is no rapid gain.
    later = check(as_nurse, patient, "weight", "82,4", started_at=local(now - timedelta(days=12)))
    assert later.select_one(".foreseen-alert") is None


def test_check_sees_the_alert_of_a_value_computed_from_the_typed_one(as_nurse, make_patient, enrol) -> None:
    patient = enrol(make_patient(), "obesite")
    as_nurse.post(
        f"/patients/{patient.id}/sessions",
        session_form(datetime.now(UTC) - timedelta(days=30), **{"m.height": "170", "m.weight": "100"}),
    )
    soup = check(as_nurse, patient, "weight", "120")  # BMI 41.5 with the height on record
    assert "IMC ≥ 40" in soup.select_one(".foreseen-alert").text


def test_check_says_when_the_alert_is_already_open(as_nurse, make_patient, enrol) -> None:
    patient = enrol(make_patient(), "insuffisance-cardiaque")
    as_nurse.post(f"/patients/{patient.id}/sessions", session_form(**{"m.spo2": "85"}))
    soup = check(as_nurse, patient, "spo2", "87")
    assert soup.select_one(".foreseen-alert").text.startswith("alerte déjà ouverte : SpO2 < 90 %")


def test_check_uses_the_personal_target(browser, world, make_patient, enrol) -> None:
    patient = enrol(make_patient(), "diabete-type-2")
    browser.login(world.gp.email)
    browser.post(
        f"/patients/{patient.id}/targets", {"measure_id": "hba1c", "max_value": "8", "reason": "fragile"}
    )
    assert check(browser, patient, "hba1c", "7,4").select_one(".foreseen-target").text == "à la cible"
    browser.login(world.nurse.email)
    other = enrol(make_patient(family_name="Autre", ins=""), "diabete-type-2")
    assert (
        check(browser, other, "hba1c", "7,4").select_one(".foreseen-target").text == "au-dessus de la cible"
    )


def test_a_date_before_year_one_in_utc_is_refused_not_a_server_error(as_nurse, make_patient, enrol) -> None:
    patient = enrol(make_patient(), "insuffisance-cardiaque")
    refused = as_nurse.post(
        f"/patients/{patient.id}/sessions", session_form(started_at="0001-01-01T00:00", **{"m.spo2": "95"})
    )
    assert refused.status_code == 422
    assert BeautifulSoup(refused.text, "html.parser").select_one("#started_at-error").text == (
        "Saisissez une date et une heure."
    )
    assert check(as_nurse, patient, "spo2", "88", started_at="0001-01-01T00:00").select_one(".foreseen-alert")


def test_session_page_names_the_team_and_shows_targets_beside_values(
    as_nurse, world, make_patient, enrol, db
) -> None:
    patient = enrol(make_patient(referring_gp_id=str(world.gp.id)), "insuffisance-cardiaque")
    started = datetime(2026, 3, 12, 20, 18, tzinfo=TIMEZONE)
    as_nurse.post(
        f"/patients/{patient.id}/sessions",
        session_form(started, **{"m.spo2": "88", "m.weight": "70", "m.heart-rate": "72"}),
    )
    session = db.exec(select(CareSession)).one()
    for path in (f"/sessions/{session.id}", f"/sessions/{session.id}/print"):
        soup = BeautifulSoup(as_nurse.get(path).text, "html.parser")
        assert soup.select_one(".session-time").text == "12 mars 2026, 20:18"  # no seconds
        assert soup.select_one(".session-nurse").text == "Claire Infirmière"
        assert soup.select_one(".session-practice").text == "Cabinet des Lilas"
        assert soup.select_one(".session-gp").text == "Dr Paul Médecin"
        rows = soup.select("table.measures-table tbody tr")
        assert [tr["class"][0] for tr in rows] == [
            "obs-weight",
            "obs-heart-rate",
            "obs-spo2",
        ]  # protocol order
        spo2 = soup.select_one("tr.obs-spo2 td.target")
        assert spo2.text.split() == ["≥", "94", "%", "hors", "cible"]
        raised = soup.select_one("#raised-title").find_parent("section")
        assert "SpO2 < 90 %" in raised.text


def test_session_page_shows_the_personal_target_in_force(browser, world, make_patient, enrol, db) -> None:
    patient = enrol(make_patient(), "diabete-type-2")
    browser.login(world.gp.email)
    browser.post(
        f"/patients/{patient.id}/targets", {"measure_id": "hba1c", "max_value": "8", "reason": "fragile"}
    )
    browser.login(world.nurse.email)
    browser.post(f"/patients/{patient.id}/sessions", session_form(**{"m.hba1c": "7,6"}))
    session = db.exec(select(CareSession)).one()
    cell = BeautifulSoup(browser.get(f"/sessions/{session.id}").text, "html.parser").select_one(
        "tr.obs-hba1c td.target"
    )
    assert " ".join(cell.text.split()) == "≤ 8,0 % personnelle à la cible"


def test_printed_summary_has_a_print_button_for_scripts_only(as_nurse, make_patient, enrol, db) -> None:
    patient = enrol(make_patient(), "obesite")
    as_nurse.post(f"/patients/{patient.id}/sessions", session_form(**{"m.weight": "100"}))
    session = db.exec(select(CareSession)).one()
    for path in (f"/sessions/{session.id}/print", f"/sessions/{session.id}"):
        soup = BeautifulSoup(as_nurse.get(path).text, "html.parser")
        button = soup.select_one("button[data-print]")
        assert button.text == "Imprimer" and button.has_attr("hidden")  # shown by the script only
        assert soup.select_one("script[src='/static/app.js']") is not None
        assert not [s for s in soup.select("script") if s.string and s.string.strip()]  # CSP: no inline
    assert as_nurse.get("/static/app.js").status_code == 200
