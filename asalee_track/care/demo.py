"""Demo data: one practice, its team and ~40 patients followed for years in the four pathways, so that a
first run shows the product at work: some patients up to date, some due or overdue, some with alerts.

Everything goes through the same use cases as the web forms (enrolment, session save, rules)."""

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session, col, select

from asalee_track.care import accounts, alerts, audit, enrolment, identity_status, patients, sessions
from asalee_track.care.actor import Actor
from asalee_track.care.identity import nir_key
from asalee_track.i18n import TIMEZONE, local_today
from asalee_track.protocols import ProtocolSet
from asalee_track.store.tables import Alert, Patient, Practice, User

DEMO_PASSWORD = "demo-asalee-2026"
POITIERS = "86194"  # INSEE code of the commune, for demo patients born there
TEAM = (
    ("infirmiere@demo.asalee.fr", "Claire Martin", "nurse", "10102345678"),
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


def active_demo_accounts(db: Session) -> list[str]:
    """Demo logins still open: their password is printed in the README, so production refuses them."""
    emails = [email for email, *_ in TEAM]
    return list(
        db.exec(select(User.email).where(col(User.email).in_(emails), col(User.active).is_(True))).all()
    )


def _nir(rng: random.Random, sex: str, birth: date) -> str:
    number = (
        f"{1 if sex == 'male' else 2}{birth.year % 100:02d}{birth.month:02d}"
        f"{rng.choice(['75', '69', '2A', '33', '59', '86'])}"
        f"{rng.randint(1, 999):03d}{rng.randint(1, 999):03d}"
    )
    return number + nir_key(number)


def _identify(db: Session, actor: Actor, patient: Patient, nir: str, index: int) -> None:
    """Give the practice every identity status: a third of the patients with an INS qualified, a third
    recovered only, the rest provisional, and a few validated on a document without an INS. The INSi
    answers are made up here, as the teleservice would have returned them (identity_status' seam)."""
    if nir and index % 3 != 2:
        answer = identity_status.InsiAnswer(
            ins=nir,
            birth_name=patient.family_name,
            birth_given_names=patient.given_names,
            birth_date=patient.birth_date,
            sex=patient.sex,
            birth_place_insee=nir[5:10],
        )
        identity_status.record_insi_answer(db, actor, patient.id, answer)
    if (nir and index % 3 == 0) or (not nir and index % 2 == 0):
        document = {"document": "CN" if index % 2 else "PA", "confirm": "yes"}
        identity_status.validate_on_document(db, actor, patient.id, document)


def create_demo(
    db: Session, protocols: ProtocolSet | None = None, patient_count: int = 40, seed: int = 2026
) -> list[DemoLogin]:
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
    today = local_today()
    for index in range(patient_count):
        sex = "female" if index % 2 == 0 else "male"
        birth = today - timedelta(days=rng.randint(40 * 365, 88 * 365))
        nir = _nir(rng, sex, birth) if index % 5 else ""
        raw = {
            "family_name": FAMILY[index % len(FAMILY)],
            "given_names": rng.choice(GIVEN_F if sex == "female" else GIVEN_M),
            "birth_date": birth.isoformat(),
            "sex": sex,
            "birth_place_insee": nir[5:10] if nir else POITIERS,
            "ins": "",
            "local_id": f"DOS-{1000 + index}",
            "phone": f"05 49 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
            "referring_gp_id": str(gp_ids[index % 2]),
        }
        patient = patients.create(db, actor, raw)
        _identify(db, actor, patient, nir, index)
        if protocols is not None and index % 8 != 7:  # a few patients are not enrolled yet
            _PatientStory(rng, patient.id, sex, today).write(
                db, actor, protocols, str(gp_ids[index % 2]), index
            )
    _acknowledge_old_alerts(db, users["gp"], practice.id, today)
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


# Which pathways each demo patient follows, by index: mostly diabetes, as in Asalée practices.
PATHWAY_MIX = (
    ("diabete-type-2",),
    ("diabete-type-2", "obesite"),
    ("insuffisance-cardiaque",),
    ("obesite",),
    ("diabete-type-2",),
    ("suivi-cancer",),
    ("insuffisance-cardiaque", "diabete-type-2"),
)
INTERVAL_DAYS = {"insuffisance-cardiaque": 45, "suivi-cancer": 60}


class _PatientStory:
    """A plausible course of follow-up: values drift slowly, lab results come yearly or quarterly."""

    def __init__(self, rng: random.Random, patient_id: str, sex: str, today: date) -> None:
        self.rng = rng
        self.patient_id = patient_id
        self.today = today
        self.weight = rng.uniform(62, 98) + (8 if sex == "male" else 0)
        self.height = rng.uniform(165, 185) if sex == "male" else rng.uniform(152, 172)
        self.hba1c = rng.uniform(6.3, 8.8)
        self.sbp = rng.uniform(122, 150)
        self.ntprobnp = rng.uniform(400, 2500)
        self.egfr = rng.uniform(45, 95)

    def write(self, db: Session, actor: Actor, protocols: ProtocolSet, gp_id: str, index: int) -> None:
        pathways = PATHWAY_MIX[index % len(PATHWAY_MIX)]
        start = self.today - timedelta(days=self.rng.randint(200, 6 * 365))
        for protocol_id in pathways:
            enrolment.enrol(
                db,
                actor,
                protocols,
                self.patient_id,
                {
                    "protocol_id": protocol_id,
                    "start_date": start.isoformat(),
                    "consent_date": start.isoformat(),
                    "consent_method": self.rng.choice(["oral", "written"]),
                    "referring_gp_id": gp_id,
                },
                today=self.today,
            )
        step = min(INTERVAL_DAYS.get(p, 91) for p in pathways)
        # Some patients stopped coming: their last session is months old (overdue, or lost to follow-up).
        gap = self.rng.choice([0, 0, 0, 150, 420])
        stop = self.today - timedelta(days=gap + self.rng.randint(4, 30))
        day = start
        first = True
        while day <= stop:
            self._session(db, actor, protocols, pathways, day, first)
            first = False
            day += timedelta(days=step + self.rng.randint(-10, 15))
        if "insuffisance-cardiaque" in pathways and gap == 0 and index % 3 == 0:
            self._weight_gain(db, actor, protocols, pathways)

    def _session(
        self,
        db: Session,
        actor: Actor,
        protocols: ProtocolSet,
        pathways: tuple[str, ...],
        day: date,
        first: bool,
    ) -> None:
        rng = self.rng
        self.weight += rng.uniform(-1.2, 1.0)
        self.hba1c = min(12.5, max(5.6, self.hba1c + rng.uniform(-0.45, 0.4)))
        self.sbp = min(185, max(105, self.sbp + rng.uniform(-8, 8)))
        values = {
            "m.weight": f"{self.weight:.1f}".replace(".", ","),
            "m.sbp": f"{self.sbp:.0f}",
            "m.dbp": f"{self.sbp * 0.58:.0f}",
        }
        if first:
            values["m.height"] = f"{self.height:.0f}"
        if "diabete-type-2" in pathways:
            values["m.hba1c"] = f"{self.hba1c:.1f}".replace(".", ",")
            values["m.heart-rate"] = str(rng.randint(58, 92))
            values[
                "edu.diabete-type-2." + rng.choice(["alimentation", "activite-physique", "traitement"])
            ] = "on"
            values["act.diabete-type-2.prescrire-hba1c"] = "on"
            if day.month in (3, 4, 5) or first:
                values["m.ldl"] = f"{rng.uniform(0.7, 1.6):.2f}".replace(".", ",")
                values["m.egfr"] = f"{self.egfr:.0f}"
                values["m.foot-exam"] = rng.choice(["normal"] * 8 + ["loss-of-sensation"])
                values["act.diabete-type-2.examen-pieds-monofilament"] = "on"
        if "insuffisance-cardiaque" in pathways:
            self.ntprobnp = max(150, self.ntprobnp * rng.uniform(0.8, 1.2))
            values["m.spo2"] = str(rng.randint(93, 99))
            values["m.heart-rate"] = str(rng.randint(60, 95))
            values["m.nt-probnp"] = f"{self.ntprobnp:.0f}"
            values["edu.insuffisance-cardiaque.auto-pesee"] = "on"
        if "obesite" in pathways:
            values["m.waist"] = f"{self.weight * 1.1 + 5:.0f}"
        if "suivi-cancer" in pathways:
            values["m.pain"] = str(rng.choice([0, 1, 2, 2, 3, 5]))
            values["m.ecog"] = str(rng.choice([0, 0, 1, 1, 2]))
        self._save(db, actor, protocols, day, values, rng.choice([30, 45, 45, 60]))

    def _weight_gain(
        self, db: Session, actor: Actor, protocols: ProtocolSet, pathways: tuple[str, ...]
    ) -> None:
        """A heart-failure patient who gained 2.5 kg in three days: the alert a GP must see."""
        for days_ago, gain in ((3, 0.0), (0, 2.5)):
            values = {
                "m.weight": f"{self.weight + gain:.1f}".replace(".", ","),
                "m.sbp": "128",
                "m.dbp": "76",
            }
            self._save(db, actor, protocols, self.today - timedelta(days=days_ago), values, 20, kind="phone")

    def _save(
        self,
        db: Session,
        actor: Actor,
        protocols: ProtocolSet,
        day: date,
        values: dict[str, str],
        minutes: int,
        kind: str = "follow-up",
    ) -> None:
        started = datetime.combine(day, time(9 + self.rng.randint(0, 7), 0), tzinfo=TIMEZONE)
        now = min(started.astimezone(UTC) + timedelta(hours=1), datetime.now(UTC))
        started = min(started, now.astimezone(TIMEZONE) - timedelta(minutes=1))
        form = {
            "started_at": started.strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": str(minutes),
            "kind": kind,
            **values,
        }
        sessions.save(db, actor, protocols, self.patient_id, form, now=now)


def _acknowledge_old_alerts(db: Session, gp: User, practice_id: int, today: date) -> None:
    """A real practice's GP has seen the older alerts: only the last weeks' remain open."""
    assert gp.id is not None
    actor = Actor(user_id=gp.id, practice_id=practice_id, role="gp", display_name=gp.display_name)
    cutoff = datetime.combine(today - timedelta(days=45), time(0), tzinfo=UTC)
    for alert_id in db.exec(select(Alert.id).where(Alert.status == "open", Alert.raised_at < cutoff)).all():
        alerts.acknowledge(db, actor, alert_id, "Vu en consultation")
