"""Demo data: one practice, its team and ~40 patients, so that a first run shows the product at work."""

import random
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session, select

from asalee_track.care import accounts, audit, patients
from asalee_track.care.actor import Actor
from asalee_track.care.identity import nir_key
from asalee_track.store.tables import Practice

DEMO_PASSWORD = "demo-asalee-2026"
TEAM = (
    ("infirmiere@demo.asalee.fr", "Claire Martin", "nurse", None),
    ("medecin@demo.asalee.fr", "Dr Paul Lefèvre", "gp", "10003456789"),
    ("medecin2@demo.asalee.fr", "Dr Amina Benali", "gp", "10009876543"),
    ("admin@demo.asalee.fr", "Sophie Admin", "admin", None),
)
FAMILY = [
    "Dupont",
    "Lefèvre",
    "Moreau",
    "Girard",
    "Bonnet",
    "Mercier",
    "Rousseau",
    "Fournier",
    "Lambert",
    "Faure",
    "André",
    "Chevalier",
    "Garnier",
    "François",
    "Legrand",
    "Gauthier",
    "Perrin",
    "Robin",
    "Clément",
    "Morin",
    "Nicolas",
    "Henry",
    "Roussel",
    "Mathieu",
    "Gaillard",
    "Barbier",
    "Arnaud",
    "Martínez",
    "Ngô",
    "Benoît",
    "Œuvray",
    "Da Silva",
    "Lemaître",
    "Texier",
    "Müller",
    "Boyer",
    "Brun",
    "Blanc",
    "Guérin",
    "Muller",
]
GIVEN_F = ["Hélène", "Marie", "Françoise", "Élodie", "Anaïs", "Chloé", "Nadia", "Sylvie", "Josiane", "Inès"]
GIVEN_M = ["Jérôme", "François", "André", "Noël", "Loïc", "Mehdi", "Gérard", "Théo", "Joël", "Rémi"]


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str
    password: str


def has_data(db: Session) -> bool:
    return db.exec(select(Practice)).first() is not None


def _nir(rng: random.Random, sex: str, birth: date) -> str:
    number = (
        f"{1 if sex == 'male' else 2}{birth.year % 100:02d}{birth.month:02d}"
        f"{rng.choice(['75', '69', '2A', '33', '59', '86'])}"
        f"{rng.randint(1, 999):03d}{rng.randint(1, 999):03d}"
    )
    return number + nir_key(number)


def create_demo(db: Session, patient_count: int = 40, seed: int = 2026) -> list[DemoLogin]:
    rng = random.Random(seed)
    practice = accounts.create_practice(
        db, "Maison de santé des Tilleuls", finess="860012345", address="12 rue des Tilleuls, 86000 Poitiers"
    )
    assert practice.id is not None
    users = {}
    for email, name, role, rpps in TEAM:
        users[role if role not in users else role + "2"] = accounts.create_user(
            db, email, name, role, DEMO_PASSWORD, [practice.id], rpps=rpps
        )
    nurse = users["nurse"]
    actor = Actor(
        user_id=nurse.id or 0, practice_id=practice.id, role="nurse", display_name=nurse.display_name
    )
    gp_ids = [users["gp"].id, users["gp2"].id]
    today = date.today()
    for index in range(patient_count):
        sex = "female" if index % 2 == 0 else "male"
        birth = today - timedelta(days=rng.randint(40 * 365, 88 * 365))
        raw = {
            "family_name": FAMILY[index % len(FAMILY)],
            "given_names": rng.choice(GIVEN_F if sex == "female" else GIVEN_M),
            "birth_date": birth.isoformat(),
            "sex": sex,
            "ins": _nir(rng, sex, birth) if index % 5 else "",
            "local_id": f"DOS-{1000 + index}",
            "phone": f"05 49 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
            "referring_gp_id": str(gp_ids[index % 2]),
        }
        patients.create(db, actor, raw)
    audit.record(
        db,
        None,
        "create",
        "demo",
        practice.id,
        practice_id=practice.id,
        detail=f"{patient_count} demo patients",
    )
    return [DemoLogin(email, role, DEMO_PASSWORD) for email, _name, role, _rpps in TEAM]
