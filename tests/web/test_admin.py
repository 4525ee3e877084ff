"""The audit log page: admins only, in words, filtered, paged, exported, scoped to the practice."""

import csv
import io
from datetime import timedelta

from bs4 import BeautifulSoup
from sqlmodel import select

from asalee_track.care import concertation, targets
from asalee_track.i18n import local_today
from asalee_track.store.db import transaction
from asalee_track.store.tables import AuditEvent
from tests.labs.conftest import SAMPLES as LAB_SAMPLES


def rows_of(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    soup = BeautifulSoup(response.text, "html.parser")
    return [
        [td.get_text(" ", strip=True) for td in tr.select("td")] for tr in soup.select("table.audit tbody tr")
    ]


def test_nurse_cannot_read_the_audit_log(as_nurse) -> None:
    assert as_nurse.get("/admin/audit").status_code == 403
    assert as_nurse.get("/admin/audit.csv").status_code == 403


def test_admin_sees_events_of_the_practice_filtered_by_action(as_admin, make_patient, world) -> None:
    make_patient()
    make_patient(world.actor(world.other_nurse, world.other_practice), family_name="Portier")
    rows = rows_of(as_admin.get("/admin/audit?action=create"))
    assert len(rows) == 1
    assert "LEFÈVRE Hélène" in rows[0] and "PORTIER" not in str(rows)


def test_events_name_the_user_the_patient_the_action_and_the_outcome_in_french(
    as_admin, make_patient, login_as, world
) -> None:
    patient = make_patient()
    nurse = login_as(world.nurse)
    nurse.get(f"/patients/{patient.id}")
    nurse.get("/patients/00000000-0000-0000-0000-000000000000")
    rows = rows_of(as_admin.get("/admin/audit"))
    by_action = {row[2]: row for row in reversed(rows)}  # each action's oldest event
    created = by_action["a créé le dossier patient"]
    assert created[1] == "Claire Infirmière" and created[3] == "LEFÈVRE Hélène" and created[4] == "réussi"
    assert by_action["a consulté le dossier patient"][3] == "LEFÈVRE Hélène"
    refused = by_action["accès refusé : le dossier patient"]
    assert refused[4] == "refusé (introuvable dans le cabinet)"
    assert {row[1] for row in rows if row[2] == "connexion"} == {"Claire Infirmière", "Sophie Admin"}
    assert not any(word in str(rows) for word in ("success", "read", "create", "user ", "None"))


def test_details_are_in_words_with_labels_and_units(
    as_admin, make_patient, enrol, engine, world, protocols
) -> None:
    patient = enrol(make_patient(), "diabete-type-2")
    gp = world.actor(world.gp)
    with transaction(engine) as db:
        targets.set_target(
            db, gp, protocols, patient.id, {"measure_id": "hba1c", "max_value": "8", "reason": "Âge avancé"}
        )
        meeting = concertation.create(db, gp, local_today().isoformat(), "Revue", [world.nurse.id])
        concertation.add_patient(db, gp, meeting.id, patient.id, "HbA1c en hausse")
    details = [row[5] for row in rows_of(as_admin.get("/admin/audit"))]
    assert "Objectif personnel HbA1c : — → 8,0 % (motif : Âge avancé)" in details
    assert "patient ajouté à la concertation" in details
    assert any(
        d.startswith("Diabète de type 2 (version ") and "consentement oral le 15 janv. 2024" in d
        for d in details
    )


def test_filters_by_patient_name_user_and_period(as_admin, make_patient, login_as, world) -> None:
    helene = make_patient()
    other = make_patient(family_name="Martin", given_names="Jacques", ins="")
    make_patient(world.actor(world.other_nurse, world.other_practice), family_name="Portier")
    gp = login_as(world.gp)
    gp.get(f"/patients/{other.id}")
    assert {row[3] for row in rows_of(as_admin.get("/admin/audit?patient=lefevre helene"))} == {
        "LEFÈVRE Hélène"
    }
    by_gp = rows_of(as_admin.get(f"/admin/audit?user={world.gp.id}"))
    assert by_gp and {row[1] for row in by_gp} == {"Dr Paul Médecin"}
    today = local_today()
    assert rows_of(as_admin.get(f"/admin/audit?since={today}&until={today}&patient=Martin"))
    yesterday = (today - timedelta(days=1)).isoformat()
    assert rows_of(as_admin.get(f"/admin/audit?until={yesterday}")) == []
    assert rows_of(as_admin.get("/admin/audit?patient=Portier")) == []  # another practice's patient
    assert helene.id


def test_a_date_that_cannot_be_read_is_refused_in_french(as_admin) -> None:
    response = as_admin.get("/admin/audit?since=31/02/2026&until=hier")
    assert response.status_code == 422
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.select_one("#error-since").text == "Saisissez une date au format jj/mm/aaaa."
    assert soup.select_one("table.audit") is None
    reversed_period = as_admin.get("/admin/audit?since=2026-03-01&until=2026-02-01")
    assert "La fin de la période précède son début." in reversed_period.text


def test_paging_keeps_the_filters(as_admin, make_patient, world) -> None:
    for number in range(51):
        make_patient(family_name=f"Patient{number:02d}", ins="")
    soup = BeautifulSoup(as_admin.get("/admin/audit?action=create").text, "html.parser")
    assert len(soup.select("table.audit tbody tr")) == 50
    next_page = soup.select_one("nav.pager a")["href"]
    assert "action=create" in next_page and "page=2" in next_page
    assert len(rows_of(as_admin.get(next_page))) == 1


def test_csv_export_holds_the_filtered_log_for_excel_and_is_audited(
    as_admin, make_patient, world, db
) -> None:
    make_patient()
    make_patient(world.actor(world.other_nurse, world.other_practice), family_name="Portier")
    response = as_admin.get("/admin/audit.csv?action=create")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert lines[0] == ["Date et heure", "Utilisateur", "Action", "Patient", "Résultat", "Détail"]
    assert [line[1:5] for line in lines[1:]] == [
        ["Claire Infirmière", "a créé le dossier patient", "LEFÈVRE Hélène", "réussi"]
    ]
    exported = db.exec(select(AuditEvent).where(AuditEvent.object_type == "AuditEvent")).all()
    assert [(e.action, e.user_id, e.practice_id) for e in exported] == [
        ("export", world.admin.id, world.practice.id)
    ]


def test_lab_imports_and_lists_are_told_in_french(as_admin, login_as, world) -> None:
    nurse = login_as(world.nurse)
    lab_file = (LAB_SAMPLES / "hprim-sante-latin1-crlf.hpr").read_bytes()
    nurse.post("/labs", files=[("files", ("lab.hpr", lab_file, "text/plain"))])
    nurse.get("/labs")
    details = [row[5] for row in rows_of(as_admin.get("/admin/audit"))]
    imported = [d for d in details if d.startswith("fichier lab.hpr : ")]
    assert imported and not any(word in imported[0] for word in ("imported", "known", "review", "refused"))
    assert any(d.startswith("liste de ") and "fichier" in d for d in details)
