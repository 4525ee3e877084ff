"""The lab results page: files uploaded several at once, each file's report in French, the review
queue where the nurse says whose result it is or rejects it, the admin's mapping table, and lab values
in the patient's record and pathway review."""

import pytest
from bs4 import BeautifulSoup
from sqlmodel import select

from asalee_track.care import labs
from asalee_track.cli_labs import render as cli_report
from asalee_track.store.db import transaction
from asalee_track.store.tables import LabResult, Observation
from tests.labs.conftest import SAMPLES

# Made for these tests: an implausible HbA1c, and a house label no mapping knows yet.
HOUSE_FILE = """H|~^\\&|RES.HPR||LABO01~Laboratoire des Tilleuls||ORU|||CABLILAS||P|H2.2~C|202505021830
P|1|DOS123|LT-0042|257077512345669|LEFEVRE~Hélène||19570701|F
OBR|1|PRESC-9|25050209|BILAN~Bilan||20250502|202505020800|||||||||||||||202505021700
OBX|1|NM|HBA1C~HbA1c~L||45|%|4,0-6,0|HH|||F|||202505020800
OBX|2|NM|XA1C~Hémoglobine A1c maison~L||7,1|%|4,0-6,0|H|||F|||202505020800
L|1||1|6
""".encode()


def sample(name: str) -> tuple[str, bytes]:
    return name, (SAMPLES / name).read_bytes()


def upload(browser, *files: tuple[str, bytes], **headers: str):  # type: ignore[no-untyped-def]
    return browser.post(
        "/labs", files=[("files", (name, data, "text/plain")) for name, data in files], headers=headers
    )


def summaries(html: str) -> dict[str, BeautifulSoup]:
    page = BeautifulSoup(html, "html.parser")
    return {s.select_one("h2").contents[0].strip(): s for s in page.select("section.lab-summary")}


def line_texts(section) -> list[list[str]]:  # type: ignore[no-untyped-def]
    return [[td.get_text(" ", strip=True) for td in tr.select("td")] for tr in section.select("tbody tr")]


@pytest.fixture
def helene(make_patient, enrol):  # type: ignore[no-untyped-def]
    return enrol(make_patient(family_name="Lefèvre", given_names="Hélène"), "diabete-type-2")


def waiting(db) -> LabResult:  # type: ignore[no-untyped-def]
    return db.exec(select(LabResult).where(LabResult.status == "review-patient")).one()


def test_several_files_at_once_each_get_their_french_report(as_nurse, helene, db) -> None:  # type: ignore[no-untyped-def]
    response = upload(
        as_nurse,
        sample("hprim-sante-utf8-lf.hpr"),
        sample("hprim-sante-bad-lines-cp1252-cr.hpr"),
        sample("not-a-lab-file.txt"),
    )
    assert response.status_code == 200
    reports = summaries(response.text)
    assert set(reports) == {
        "hprim-sante-utf8-lf.hpr",
        "hprim-sante-bad-lines-cp1252-cr.hpr",
        "not-a-lab-file.txt",
    }
    good = line_texts(reports["hprim-sante-utf8-lf.hpr"])
    assert ["4", "importé", "HbA1c", "7,2 %", "LEFÈVRE Hélène", ""] in good
    assert any(row[1] == "à vérifier" and row[2] == "Vitamine D (25-OH)" for row in good)
    bad = {row[0]: row for row in line_texts(reports["hprim-sante-bad-lines-cp1252-cr.hpr"])}
    assert bad["4"][1:] == [
        "refusé",
        "HbA1c",
        ">10 %",
        "LEFÈVRE Hélène",
        "« >10 » est une borne, pas une valeur : non importé.",
    ]
    assert bad["7"][5] == "Unité « mUI/ml » inconnue."
    assert bad["8"][5] == "La date de prélèvement 2099-05-02 est dans le futur."
    assert bad["12"][1:] == ["refusé", "", "", "", "Cette ligne n’est pas un segment."]
    assert bad["10"][1] == "importé"  # the good line of a file with bad ones goes in, and says so
    refused = reports["not-a-lab-file.txt"]
    assert "Fichier refusé : rien n’a été importé." in refused.get_text()
    # The files received, each linked to its report.
    page = BeautifulSoup(as_nurse.get("/labs").text, "html.parser")
    assert len(page.select("table.lab-files tbody tr")) == 3


def test_a_refused_value_reads_as_the_same_french_sentence_on_the_page_and_the_command_line(
    as_nurse, helene, engine, world
) -> None:  # type: ignore[no-untyped-def]
    response = upload(as_nurse, ("maison.hpr", HOUSE_FILE))
    (report,) = summaries(response.text).values()
    row = next(r for r in line_texts(report) if r[2] == "HbA1c")
    assert row[1] == "refusé"
    assert row[5].startswith("Valeur refusée : valeur hors de la plage plausible")
    assert "outside_plausible" not in response.text
    actor = world.actor(world.nurse)
    with transaction(engine) as session:
        (stored,) = labs.reports(session, actor)
        printed = cli_report(labs.report(session, actor, stored.id))
    assert row[5] in printed and "outside_plausible" not in printed


def test_the_same_file_twice_adds_nothing_and_says_so(as_nurse, helene, db) -> None:  # type: ignore[no-untyped-def]
    upload(as_nurse, sample("hprim-sante-utf8-lf.hpr"))
    again = upload(as_nurse, sample("hprim-sante-utf8-lf.hpr"))
    assert "Ce fichier a déjà été importé : rien n’a été ajouté." in again.text
    assert len(db.exec(select(Observation).where(Observation.measure_id == "hba1c")).all()) == 1


def test_no_file_chosen_is_a_french_message(as_nurse) -> None:  # type: ignore[no-untyped-def]
    response = as_nurse.post("/labs", files=[("files", ("", b"", "application/octet-stream"))])
    assert response.status_code == 422
    assert "Choisissez un ou plusieurs fichiers de résultats." in response.text


def test_files_beyond_the_request_limit_are_refused_in_french(as_nurse, settings) -> None:  # type: ignore[no-untyped-def]
    big = b"x" * (settings.max_request_mb * 2**20 + 1)
    response = upload(as_nurse, ("big.hpr", big))
    assert response.status_code == 413
    assert "trop volumineuse" in response.text


def test_nurse_finds_the_patient_and_assigns_the_result(as_nurse, make_patient, enrol, db) -> None:  # type: ignore[no-untyped-def]
    upload(as_nurse, sample("hprim-sante-latin1-crlf.hpr"))  # no INS, nobody of that name yet
    patient = enrol(make_patient(family_name="Lefebvre", given_names="Hélène", ins=""), "diabete-type-2")
    row = waiting(db)
    page = BeautifulSoup(as_nurse.get("/labs").text, "html.parser")
    assert page.select_one(f"#result-{row.id}") is not None
    # Search as you type (htmx): only the matching patients come back.
    found = as_nurse.get(f"/labs/results/{row.id}?q=lefeb", headers={"HX-Request": "true"})
    assert "<html" not in found.text
    choice = BeautifulSoup(found.text, "html.parser").select("input[name=patient_id]")
    assert [c["value"] for c in choice] == [patient.id]
    # Nobody chosen: a French message, nothing imported.
    refused = as_nurse.post(f"/labs/results/{row.id}/assign", {"patient_id": ""})
    assert refused.status_code == 422 and "Choisissez le patient." in refused.text
    assert db.get(LabResult, row.id).status == "review-patient"
    done = as_nurse.post(f"/labs/results/{row.id}/assign", {"patient_id": patient.id}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith("/labs?done=imported")
    (value,) = db.exec(select(Observation).where(Observation.patient_id == patient.id)).all()
    assert (value.measure_id, value.value_num) == ("hba1c", 10.5)
    assert "Aucun résultat n’attend de vérification." in as_nurse.get("/labs").text


def test_htmx_assign_answers_with_the_line_dealt_with(as_nurse, make_patient, enrol, db) -> None:  # type: ignore[no-untyped-def]
    upload(as_nurse, sample("hprim-sante-latin1-crlf.hpr"))
    patient = enrol(make_patient(family_name="Lefebvre", given_names="Hélène", ins=""), "diabete-type-2")
    row = waiting(db)
    answer = as_nurse.post(
        f"/labs/results/{row.id}/assign", {"patient_id": patient.id}, headers={"HX-Request": "true"}
    )
    line = BeautifulSoup(answer.text, "html.parser").select_one(f"li#result-{row.id}")
    assert "importé" in line.get_text() and line.select_one(f"a[href='/patients/{patient.id}']")


def test_nurse_rejects_a_result_with_a_reason(as_nurse, db) -> None:  # type: ignore[no-untyped-def]
    upload(as_nurse, sample("hprim-sante-latin1-crlf.hpr"))
    row = waiting(db)
    empty = as_nurse.post(f"/labs/results/{row.id}/reject", {"reason": "  "})
    assert empty.status_code == 422 and "Indiquez un motif." in empty.text
    assert db.get(LabResult, row.id).status == "review-patient"
    hidden = as_nurse.post(f"/labs/results/{row.id}/reject", {"reason": "pas \u202enotre patiente"})
    assert hidden.status_code == 422
    soup = BeautifulSoup(hidden.text, "html.parser")
    assert soup.select_one(f"#reason-{row.id}")["value"] == "pas \u202enotre patiente"  # kept as typed
    done = as_nurse.post(
        f"/labs/results/{row.id}/reject", {"reason": "Pas une patiente du cabinet"}, follow_redirects=False
    )
    assert done.status_code == 303
    db.expire_all()
    stored = db.get(LabResult, row.id)
    assert stored.status == "rejected" and stored.observation_id is None
    report = as_nurse.get(f"/labs/reports/{stored.lab_report_id}").text
    assert "Pas une patiente du cabinet" in report


def test_htmx_reject_without_a_reason_shows_the_message_in_the_line(as_nurse, db) -> None:  # type: ignore[no-untyped-def]
    upload(as_nurse, sample("hprim-sante-latin1-crlf.hpr"))
    row = waiting(db)
    answer = as_nurse.post(f"/labs/results/{row.id}/reject", {"reason": ""}, headers={"HX-Request": "true"})
    line = BeautifulSoup(answer.text, "html.parser").select_one(f"li#result-{row.id}")
    assert line.select_one(f"#reason-error-{row.id}").get_text() == "Indiquez un motif."
    assert line.select_one("form.reject-form") is not None  # still waiting, ready for the reason


def test_another_practice_never_sees_a_report_or_a_result(as_nurse, login_as, world, db) -> None:  # type: ignore[no-untyped-def]
    upload(as_nurse, sample("hprim-sante-latin1-crlf.hpr"))
    row = waiting(db)
    other = login_as(world.other_nurse)
    assert other.get(f"/labs/reports/{row.lab_report_id}").status_code == 404
    assert other.get(f"/labs/results/{row.id}").status_code == 404
    assert other.post(f"/labs/results/{row.id}/reject", {"reason": "x"}).status_code == 404
    assert other.post(f"/labs/results/{row.id}/assign", {"patient_id": "x"}).status_code == 404
    page = other.get("/labs").text
    assert "hprim-sante-latin1-crlf.hpr" not in page and row.id not in page
    assert db.get(LabResult, row.id).status == "review-patient"


def test_admin_maps_an_unknown_label_and_the_waiting_result_goes_in(
    as_nurse, login_as, world, helene, db
) -> None:  # type: ignore[no-untyped-def]
    upload(as_nurse, ("maison.hpr", HOUSE_FILE))
    admin = login_as(world.admin)
    page = BeautifulSoup(admin.get("/admin/lab-mappings").text, "html.parser")
    assert "Hémoglobine A1c maison" in page.select_one("table.unmapped").get_text()
    typed = {"key_kind": "code", "key": "XA1C", "unit": "%", "measure_id": "ldl", "ucum": ""}
    refused = admin.post("/admin/lab-mappings", typed)
    assert refused.status_code == 422
    form = BeautifulSoup(refused.text, "html.parser")
    assert "ne se mesure pas en « % »" in form.select_one("#unit-error").get_text()
    assert form.select_one("#key")["value"] == "XA1C"  # what was typed stays
    assert form.select_one("#measure_id option[selected]")["value"] == "ldl"
    unknown = admin.post("/admin/lab-mappings", {**typed, "measure_id": "vitamin-d"})
    assert unknown.status_code == 422 and "Choisissez une mesure" in unknown.text
    odd_unit = admin.post("/admin/lab-mappings", {**typed, "measure_id": "hba1c", "unit": "pts"})
    assert odd_unit.status_code == 422 and "L’unité « pts » est inconnue" in odd_unit.text
    assert db.exec(select(Observation).where(Observation.patient_id == helene.id)).all() == []
    saved = admin.post("/admin/lab-mappings", {**typed, "measure_id": "hba1c"}, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == "/admin/lab-mappings?settled=1"
    (value,) = db.exec(select(Observation).where(Observation.patient_id == helene.id)).all()
    assert (value.measure_id, value.value_num) == ("hba1c", 7.1)
    page = BeautifulSoup(admin.get(saved.headers["location"]).text, "html.parser")
    assert "1 résultat en attente traité." in page.get_text()
    assert "XA1C" in page.select_one("table.lab-mappings").get_text()


def test_lab_values_show_in_the_record_history_and_the_pathway_review(as_nurse, helene) -> None:  # type: ignore[no-untyped-def]
    upload(as_nurse, sample("hprim-sante-utf8-lf.hpr"))
    record = BeautifulSoup(as_nurse.get(f"/patients/{helene.id}").text, "html.parser")
    (line,) = record.select("li.lab-line")
    assert "Laboratoire des Tilleuls" in line.get_text()
    assert "prélèvement du 12 mars 2025" in line.get_text()
    assert "hba1c 7,2 %" in line.get_text(" ", strip=True)
    review = BeautifulSoup(as_nurse.get(f"/patients/{helene.id}/review").text, "html.parser")
    latest = review.select_one("#pathway-diabete-type-2 tr.measure-hba1c").get_text(" ", strip=True)
    assert "7,2" in latest
    chart = review.select_one("#chart-diabete-type-2-hba1c")
    assert chart is not None and len(chart.select("circle.point")) == 1
