"""Values on every page: the protocol's precision, French grouping, units as clinicians write them,
never an internal id or a UCUM code; the record's session list as the session page, in protocol order."""

import re
from datetime import UTC, datetime, timedelta

from bs4 import BeautifulSoup

from tests.web.test_sessions import session_form

NNBSP = "\u202f"
UCUM_CODES = re.compile(r"mm\[Hg\]|\{1\.73_m2\}|kg/m2\b|\{score\}|(?<![\w/])/min\b")


def saved_session(as_nurse, patient, **fields):  # type: ignore[no-untyped-def]
    response = as_nurse.post(
        f"/patients/{patient.id}/sessions", session_form(datetime.now(UTC) - timedelta(days=1), **fields)
    )
    assert response.status_code == 200, response.text[:2000]
    return response


def test_the_records_session_list_reads_like_the_session_page(as_nurse, make_patient, enrol) -> None:
    patient = enrol(make_patient(), "diabete-type-2")
    saved_session(
        as_nurse,
        patient,
        **{
            "m.dbp": "76",
            "m.weight": "80",
            "m.height": "172",
            "m.sbp": "128",
            "m.heart-rate": "72",
            "m.ldl": "0,63",
        },
    )
    record = BeautifulSoup(as_nurse.get(f"/patients/{patient.id}").text, "html.parser")
    listed = record.select_one(".session-values").text
    assert listed == (
        "Poids 80,0 kg · Taille 172 cm · IMC 27,0 kg/m² · Pression artérielle systolique 128 mmHg · "
        "Pression artérielle diastolique 76 mmHg · Fréquence cardiaque 72 bpm · LDL-cholestérol 0,63 g/L"
    )
    session_link = record.select_one("ol.timeline a")["href"]
    page = BeautifulSoup(as_nurse.get(session_link).text, "html.parser")
    rows = [
        (tr.select("td")[0].text, tr.select("td")[1].text)
        for tr in page.select("table.measures-table tbody tr")
    ]
    assert rows == [
        ("Poids", "80,0 kg"),
        ("Taille", "172 cm"),
        ("IMC", "27,0 kg/m²"),
        ("Pression artérielle systolique", "128 mmHg"),
        ("Pression artérielle diastolique", "76 mmHg"),
        ("Fréquence cardiaque", "72 bpm"),
        ("LDL-cholestérol", "0,63 g/L"),
    ]


def test_no_page_shows_a_ucum_code_or_an_ungrouped_large_value(as_nurse, make_patient, enrol) -> None:
    patient = enrol(make_patient(), "insuffisance-cardiaque", "diabete-type-2")
    saved_session(
        as_nurse,
        patient,
        **{
            "m.nt-probnp": "1250",
            "m.sbp": "128",
            "m.dbp": "76",
            "m.heart-rate": "72",
            "m.egfr": "58",
            "m.weight": "80",
        },
    )
    record = as_nurse.get(f"/patients/{patient.id}").text
    session = as_nurse.get(BeautifulSoup(record, "html.parser").select_one("ol.timeline a")["href"]).text
    as_nurse.post("/logout")
    for page in (record, session):
        text = BeautifulSoup(page, "html.parser").get_text(" ")
        assert not UCUM_CODES.search(text), UCUM_CODES.search(text)
        assert f"1{NNBSP}250 pg/mL" in text and "58 mL/min/1,73 m²" in text


def test_the_review_shows_values_and_targets_at_the_measures_precision(as_gp, make_patient, enrol) -> None:
    patient = enrol(make_patient(), "diabete-type-2")
    saved_session(as_gp, patient, **{"m.hba1c": "53", "u.hba1c": "mmol/mol", "m.fasting-glucose": "1,3"})
    page = BeautifulSoup(as_gp.get(f"/patients/{patient.id}/review").text, "html.parser")
    hba1c = page.select_one("tr.measure-hba1c").text
    assert "7,0 %" in hba1c and "≤ 7,0 %" in hba1c
    glucose = page.select_one("tr.measure-fasting-glucose").text
    assert "1,30 g/L" in glucose and "≥ 0,80 g/L et ≤ 1,30 g/L" in glucose
    assert not UCUM_CODES.search(page.get_text(" "))
