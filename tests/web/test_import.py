"""Importing patients from CSV and FHIR: checked first, all or nothing, errors by line or entry."""

import orjson
from bs4 import BeautifulSoup
from sqlmodel import select

from asalee_track.store.tables import Patient

CSV = (
    "Nom;Prénom;Date de naissance;Sexe;INS;Téléphone\n"
    "Lefèvre;Hélène;01/07/1957;F;257077512345669;05 49 00 00 00\n"
    "Girard;Noël;1949-03-12;H;;\n"
)


def upload(browser, content: bytes, name: str = "patients.csv", mode: str = "check"):  # type: ignore[no-untyped-def]
    return browser.client.post(
        "/patients/import",
        data={"csrf_token": browser.csrf, "mode": mode},
        files={"file": (name, content, "text/csv")},
    )


def refusals(html: str) -> list[list[str]]:
    rows = BeautifulSoup(html, "html.parser").select("table.refusals tbody tr")
    return [[td.text for td in row.select("td")] for row in rows]


def test_dry_run_shows_what_would_be_created_and_writes_nothing(as_nurse, db) -> None:
    response = upload(as_nurse, CSV.encode("utf-8"))
    assert response.status_code == 200
    assert "2 patients seraient créés" in response.text
    assert db.exec(select(Patient)).all() == []


def test_confirmed_import_creates_every_patient(as_nurse, db) -> None:
    checked = upload(as_nurse, CSV.encode("utf-8"))
    content = BeautifulSoup(checked.text, "html.parser").select_one("input[name=content]")["value"]
    response = as_nurse.post("/patients/import", {"mode": "import", "content": content, "filename": "p.csv"})
    assert "2 patients importés." in response.text
    stored = {(p.family_name, p.sex, p.birth_date.isoformat()) for p in db.exec(select(Patient)).all()}
    assert stored == {("Lefèvre", "female", "1957-07-01"), ("Girard", "male", "1949-03-12")}


def test_windows_1252_file_from_excel_is_read(as_nurse, db) -> None:
    response = upload(as_nurse, CSV.encode("cp1252"), mode="import")
    assert response.status_code == 200
    assert {p.given_names for p in db.exec(select(Patient)).all()} == {"Hélène", "Noël"}


def test_one_bad_line_imports_nothing_and_names_the_line(as_nurse, db) -> None:
    bad = CSV + "Martin;;31/02/1960;X;257077512345668;\n"
    response = upload(as_nurse, bad.encode("utf-8"), mode="import")
    assert response.status_code == 422
    problems = refusals(response.text)
    assert ["ligne 4", "Prénoms", "Obligatoire."] in problems
    assert ["ligne 4", "Date de naissance", "Saisissez une date au format jj/mm/aaaa."] in problems
    assert ["ligne 4", "Sexe", "Choisissez une des options."] in problems
    assert any(p[0] == "ligne 4" and p[1] == "INS" for p in problems)
    assert db.exec(select(Patient)).all() == []


def test_an_ins_already_in_the_practice_is_refused(as_nurse, make_patient) -> None:
    make_patient()
    response = upload(as_nurse, CSV.encode("utf-8"))
    assert ["ligne 2", "INS", "Un patient avec cet INS existe déjà."] in refusals(response.text)


def test_a_file_without_the_expected_header_is_refused_whole(as_nurse) -> None:
    response = upload(as_nurse, b"a,b,c\n1,2,3\n")
    assert response.status_code == 422
    assert "La première ligne doit nommer les colonnes" in response.text


def bundle(*patients: dict) -> bytes:
    return orjson.dumps(
        {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": {"resourceType": "Patient", **p}} for p in patients],
        }
    )


def test_fhir_bundle_import_reads_names_gender_and_ins(as_nurse, db) -> None:
    content = bundle(
        {
            "id": "a",
            "name": [{"family": "Dupont", "given": ["Marie", "Anne"]}],
            "gender": "female",
            "birthDate": "1957-07-01",
            "identifier": [{"system": "urn:oid:1.2.250.1.213.1.4.8", "value": "257077512345669"}],
        }
    )
    response = upload(as_nurse, content, name="bundle.json", mode="import")
    assert response.status_code == 200
    patient = db.exec(select(Patient)).one()
    assert (patient.given_names, patient.ins, patient.sex) == ("Marie Anne", "257077512345669", "female")


def test_fhir_bundle_errors_name_the_entry(as_nurse, db) -> None:
    content = bundle(
        {"id": "ok", "name": [{"family": "A", "given": ["B"]}], "gender": "male", "birthDate": "1950-01-01"},
        {"id": "bad", "name": [{"family": "C", "given": ["D"]}], "gender": "male", "birthDate": "2999-01-01"},
    )
    response = upload(as_nurse, content, name="bundle.json", mode="import")
    assert [
        "entrée 2 (Patient bad)",
        "Date de naissance",
        "La date de naissance ne peut pas être dans le futur.",
    ] in refusals(response.text)
    assert db.exec(select(Patient)).all() == []


def test_invalid_json_is_refused_with_a_message(as_nurse) -> None:
    response = upload(as_nurse, b"{not json", name="bundle.json")
    assert response.status_code == 422 and "JSON valide" in response.text


def test_old_mac_line_endings_are_read(as_nurse, db) -> None:
    response = upload(as_nurse, CSV.replace("\n", "\r").encode("cp1252"), mode="import")
    assert response.status_code == 200
    assert len(db.exec(select(Patient)).all()) == 2


def test_preview_shows_birth_dates_in_french_and_the_sex_in_words(as_nurse) -> None:
    rows = BeautifulSoup(upload(as_nurse, CSV.encode("utf-8")).text, "html.parser").select(
        "table.preview tbody tr"
    )
    shown = [(row.select_one(".birth-date").text, row.select_one(".sex").text) for row in rows]
    assert shown == [("1 juillet 1957", "Féminin"), ("12 mars 1949", "Masculin")]
