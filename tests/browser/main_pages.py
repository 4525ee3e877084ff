"""The pages each role opens in a working day, on a small record worth showing: a patient enrolled in a
pathway; a session with an HbA1c above target, a fast heart rate (two alerts, high and moderate) and a
blood pressure at target; a concertation that discusses the patient."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page

from asalee_track.care import concertation, sessions
from asalee_track.i18n import TIMEZONE
from asalee_track.store.db import transaction
from tests.conftest import PASSWORD

CLINICAL_PAGES = [
    "/worklist",
    "/patients",
    "/patients/new",
    "/patients/import",
    "/patients/{patient}",
    "/patients/{patient}/review",
    "/patients/{patient}/enrol",
    "/patients/{patient}/education",
    "/patients/{patient}/sessions/new",
    "/sessions/{session}",
    "/sessions/{session}/print",
    "/concertations",
    "/concertations/{concertation}",
    "/labs",
    "/workshops",
    "/dashboard",
    "/reports/activity",
    "/reports/cooperation",
    "/adverse-events",
    "/account",
]
ADMIN_PAGES = [
    "/admin/audit",
    "/admin/tokens",
    "/admin/smart-clients",
    "/admin/lab-mappings",
    "/dashboard",
    "/account",
]
ROLES = ["nurse", "gp", "admin"]


@dataclass(frozen=True)
class Record:
    patient: str
    session: str
    concertation: str

    def pages(self, role: str) -> list[str]:
        paths = ADMIN_PAGES if role == "admin" else CLINICAL_PAGES
        return [path.format(**self.__dict__) for path in paths]


def seed_record(engine, world, protocols, make_patient, enrol) -> Record:  # type: ignore[no-untyped-def]
    patient = enrol(
        make_patient(family_name="Barthélemy-Delacourt", given_names="Marie-Françoise", ins=""),
        "diabete-type-2",
    )
    nurse = world.actor(world.nurse)
    when = datetime.now(UTC) - timedelta(days=3)
    with transaction(engine) as db:
        saved = sessions.save(
            db,
            nurse,
            protocols,
            patient.id,
            {
                "started_at": when.astimezone(TIMEZONE).strftime("%Y-%m-%dT%H:%M"),
                "duration_minutes": "45",
                "kind": "follow-up",
                "m.hba1c": "10,6",
                "m.sbp": "128",
                "m.dbp": "76",
                "m.weight": "81,5",
                "m.heart-rate": "118",
                "notes": "Objectifs discutés : marche quotidienne, repas sans grignotage.",
            },
            now=when + timedelta(minutes=50),
        )
        meeting = concertation.create(
            db, nurse, when.date().isoformat(), "Concertation mensuelle", [world.gp.id]
        )
        concertation.add_patient(db, nurse, meeting.id, patient.id, "HbA1c au-dessus de la cible")
    return Record(patient=patient.id, session=saved.session.id, concertation=meeting.id)


def log_in_as(page: Page, world, role: str) -> None:  # type: ignore[no-untyped-def]
    user = {"nurse": world.nurse, "gp": world.gp, "admin": world.admin}[role]
    page.goto("/login")
    page.get_by_label("Adresse e-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.wait_for_url(lambda url: "/login" not in url)


def open_page(page: Page, path: str) -> None:
    response = page.goto(path)
    assert response is not None and response.status == 200, f"{path} answered {response and response.status}"
    page.wait_for_load_state("networkidle")
