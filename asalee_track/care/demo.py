"""Demo data: one practice, its team and ~40 patients followed for years in the seven pathways, so that a
first run shows the product at work as in a real practice: measures taken at their protocol's rhythm,
most patients up to date, a few due today, only those who stopped coming overdue, some with alerts;
questionnaires and home blood-pressure series, education plans with goals, group workshops, and what
the yearly cooperation report counts (alerts judged relevant or not, an adverse event, refusals).

Everything goes through the same use cases as the web forms (enrolment, session save, rules)."""

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session, col, select

from asalee_track.care import (
    accounts,
    alerts,
    audit,
    education,
    enrolment,
    identity_status,
    patients,
    register,
    sessions,
    workshops,
)
from asalee_track.care.actor import Actor
from asalee_track.care.identity import nir_key
from asalee_track.i18n import TIMEZONE, local_today
from asalee_track.protocols import Duration, ProtocolSet, add_duration
from asalee_track.protocols.schedule import DEFAULT_GRACE
from asalee_track.store.tables import Alert, Enrolment, Patient, Practice, User

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
    db: Session,
    protocols: ProtocolSet | None = None,
    patient_count: int = 40,
    seed: int = 2026,
    progress: Callable[[str], None] | None = None,
) -> list[DemoLogin]:
    """``progress`` hears a line at each step: years of sessions take a while to write."""
    say = progress or (lambda line: None)
    rng = random.Random(seed)
    say("practice and team")
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
    unenrolled: list[str] = []
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
        else:
            unenrolled.append(patient.id)
        if (index + 1) % 10 == 0 or index + 1 == patient_count:
            say(f"patients and their follow-up: {index + 1}/{patient_count}")
    if protocols is not None:
        say("workshops, refusals and the adverse-event register")
        _workshops_and_registers(db, actor, protocols, rng, today, unenrolled)
    say("older alerts acknowledged by the GP")
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
    ("risque-cardiovasculaire",),
    ("bpco-tabac",),
    ("troubles-cognitifs",),
    ("risque-cardiovasculaire", "bpco-tabac"),
)
SMOKER, EX_SMOKER, NEVER_SMOKED = "449868002", "8517006", "266919005"
MOTIVATION = ("precontemplation", "contemplation", "preparation", "action", "maintenance")
# Who stopped coming, by index: their last visit was months ago (overdue), or over a year and a half
# ago (lost to follow-up). Everyone else comes at the protocol's rhythm: at most due, never overdue.
STOPPED_DAYS = {3: 150, 12: 200, 20: 560}
# Taken with the measure named first, never on their own (no interval of their own in the protocols).
COMPANIONS = {"fev1-fvc": ("fev1", "fvc")}


def _days(duration: Duration) -> int:
    base = datetime(2000, 1, 1, tzinfo=UTC)
    return (add_duration(base, duration) - base).days


class _PatientStory:
    """A plausible course of follow-up: the nurse sees the patient at the rhythm of their pathways'
    most frequent measure, a few days early rather than late, and takes at each visit what falls due
    before the next one (HbA1c quarterly, lipids yearly, questionnaires every six months…), as the
    protocols ask. Values drift slowly."""

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
        self.ratio = rng.uniform(58, 82)  # FEV1/FVC in %
        self.quits = rng.random() < 0.4  # a smoker who stops after a year
        self.moca = rng.randint(19, 28)
        self.smoking = rng.choice([SMOKER, EX_SMOKER, NEVER_SMOKED, NEVER_SMOKED])
        self.last: dict[str, date] = {}  # when each measure was last taken
        self.untaken: set[str] = set()  # due at this visit but not recorded: asked again at the next

    def write(self, db: Session, actor: Actor, protocols: ProtocolSet, gp_id: str, index: int) -> None:
        pathways = PATHWAY_MIX[index % len(PATHWAY_MIX)]
        self.intervals, slack = self._intervals(protocols, pathways)
        step = min(self.intervals.values())
        days = self._visits(step, slack, STOPPED_DAYS.get(index, 0))
        self.start = days[0]  # enrolled at the first visit
        for protocol_id in pathways:
            enrolment.enrol(
                db,
                actor,
                protocols,
                self.patient_id,
                {
                    "protocol_id": protocol_id,
                    "start_date": self.start.isoformat(),
                    "consent_date": self.start.isoformat(),
                    "consent_method": self.rng.choice(["oral", "written"]),
                    "referring_gp_id": gp_id,
                },
                today=self.today,
            )
        for number, day in enumerate(days):
            self._session(db, actor, protocols, pathways, day, number == 0, step)
            if number == 0 and index % 2 == 0:
                self._education_plan(db, actor, pathways, day)
        if "insuffisance-cardiaque" in pathways and index not in STOPPED_DAYS and index % 3 == 0:
            self._weight_gain(db, actor, protocols, pathways)

    def _visits(self, step: int, slack: int, stopped: int) -> list[date]:
        """The visit days, oldest first, counted back from the latest: a few days early each time.

        The latest visit of a patient who still comes is less than ``slack`` days ago (nothing
        overdue), spread so that a few are due today; one who stopped was last seen ``stopped`` days
        ago. Monthly pathways (heart failure, cancer) have shorter histories: as many visits, fewer
        years."""
        rng = self.rng
        if stopped:
            latest = self.today - timedelta(days=stopped + rng.randint(4, 30))
        else:
            latest = self.today - timedelta(days=rng.randint(4, max(5, slack)))
        years = 2 if step < 60 else 6
        earliest = min(
            self.today - timedelta(days=rng.randint(200, years * 365)), latest - timedelta(days=3 * step)
        )
        days = []
        day = latest
        while day >= earliest:
            days.append(day)
            day -= timedelta(days=step - rng.randint(0, max(2, step // 12)))
        return days[::-1]

    @staticmethod
    def _intervals(protocols: ProtocolSet, pathways: tuple[str, ...]) -> tuple[dict[str, int], int]:
        """Each scheduled measure of the patient's pathways, in days (the shortest the pathways ask),
        and how many days after a visit the first of them would be overdue (less a few days' margin)."""
        intervals: dict[str, int] = {}
        slack = 10_000
        for protocol_id in pathways:
            for measure in protocols[protocol_id].measures:
                if measure.every is not None:
                    days = _days(measure.every)
                    intervals[measure.id] = min(days, intervals.get(measure.id, days))
                    slack = min(slack, days + _days(measure.grace or DEFAULT_GRACE) - 3)
        return intervals, slack

    def _due(self, day: date, step: int) -> set[str]:
        """What the nurse takes today: whatever would fall due before about the next visit."""
        return {
            measure_id
            for measure_id, every in self.intervals.items()
            if measure_id not in self.last or (day - self.last[measure_id]).days >= every - step // 2
        }

    def _session(
        self,
        db: Session,
        actor: Actor,
        protocols: ProtocolSet,
        pathways: tuple[str, ...],
        day: date,
        first: bool,
        step: int,
    ) -> None:
        rng = self.rng
        due = self._due(day, step)
        self.weight += rng.uniform(-1.2, 1.0)
        self.hba1c = min(12.5, max(5.6, self.hba1c + rng.uniform(-0.45, 0.4)))
        self.sbp = min(185, max(105, self.sbp + rng.uniform(-8, 8)))
        self.egfr = min(110, max(20, self.egfr + rng.uniform(-2, 1.5)))
        self.untaken = set()
        values = self._measures(due)
        if first:
            values["m.height"] = f"{self.height:.0f}"
        if "diabete-type-2" in pathways:
            values[
                "edu.diabete-type-2." + rng.choice(["alimentation", "activite-physique", "traitement"])
            ] = "on"
            if "hba1c" in due:
                values["act.diabete-type-2.prescrire-hba1c"] = "on"
            if "foot-exam" in due:
                values["act.diabete-type-2.examen-pieds-monofilament"] = "on"
        if "insuffisance-cardiaque" in pathways:
            values["edu.insuffisance-cardiaque.auto-pesee"] = "on"
        if "risque-cardiovasculaire" in pathways:
            values.update(self._cardiovascular(first, due))
        if "bpco-tabac" in pathways:
            values.update(self._smoker(protocols, day, first, due))
        if "troubles-cognitifs" in pathways:
            values.update(self._cognition(protocols, first, due))
        for measure_id in due - self.untaken:
            for taken in (measure_id, *COMPANIONS.get(measure_id, ())):
                self.last[taken] = day
        self._save(db, actor, protocols, day, values, rng.choice([30, 45, 45, 60]))

    def _measures(self, due: set[str]) -> dict[str, str]:
        """The form fields of the plain measures due today (questionnaires and series come apart)."""
        rng = self.rng

        def decimal(value: float, places: int = 1) -> str:
            return f"{value:.{places}f}".replace(".", ",")

        makers = {
            "weight": lambda: decimal(self.weight),
            "waist": lambda: f"{self.weight * 1.1 + 5:.0f}",
            "sbp": lambda: f"{self.sbp:.0f}",
            "dbp": lambda: f"{self.sbp * 0.58:.0f}",
            "heart-rate": lambda: str(rng.randint(58, 92)),
            "hba1c": lambda: decimal(self.hba1c),
            "ldl": lambda: decimal(rng.uniform(0.5, 1.5), 2),
            "egfr": lambda: f"{self.egfr:.0f}",
            "uacr": lambda: decimal(
                rng.choice([rng.uniform(0.3, 2.8), rng.uniform(0.3, 2.8), rng.uniform(3, 25)])
            ),
            "foot-exam": lambda: rng.choice(["normal"] * 8 + ["loss-of-sensation"]),
            "activity": lambda: str(rng.choice([5, 10, 15, 20, 25, 30, 45])),
            "spo2": lambda: str(rng.randint(93, 99)),
            "nt-probnp": lambda: f"{self._ntprobnp():.0f}",
            "pain": lambda: str(rng.choice([0, 1, 2, 2, 3, 5])),
            "ecog": lambda: str(rng.choice([0, 0, 1, 1, 2])),
            "smoking": lambda: self.smoking,
            "total-cholesterol": lambda: decimal(rng.uniform(1.6, 2.6), 2),
            "hdl": lambda: decimal(rng.uniform(0.4, 0.8), 2),
            "triglycerides": lambda: decimal(rng.uniform(0.8, 2.2), 2),
            "potassium": lambda: decimal(rng.uniform(3.6, 5.2)),
            "creatinine": lambda: f"{rng.uniform(60, 120):.0f}",
        }
        return {f"m.{measure_id}": makers[measure_id]() for measure_id in sorted(due) if measure_id in makers}

    def _ntprobnp(self) -> float:
        self.ntprobnp = max(150, self.ntprobnp * self.rng.uniform(0.8, 1.2))
        return self.ntprobnp

    def _cardiovascular(self, first: bool, due: set[str]) -> dict[str, str]:
        rng = self.rng
        values: dict[str, str] = {}
        if "ldl" in due:  # the yearly check-up: lipids, kidneys, ECG
            values["act.risque-cardiovasculaire.ecg"] = "on"
            values["edu.risque-cardiovasculaire.automesure"] = "on"
        if "home-sbp" in due:
            # The rule of 3 at home, typed from the patient's diary; now and then a short series.
            cells = [(d, p, r) for d in (1, 2, 3) for p in ("morning", "evening") for r in (1, 2, 3)]
            count = 18 if rng.random() < 0.8 else rng.randint(6, 11)
            if count < 12:  # too short for an average: the patient is asked for a new series
                self.untaken.add("home-sbp")
            for d, p, r in cells[:count]:
                home = self.sbp - 8 + rng.uniform(-6, 6)
                values[f"hbp.risque-cardiovasculaire.{d}.{p}.{r}.sbp"] = f"{home:.0f}"
                values[f"hbp.risque-cardiovasculaire.{d}.{p}.{r}.dbp"] = f"{home * 0.6:.0f}"
        if first:
            values["edu.risque-cardiovasculaire.comprendre-hta"] = "on"
        return values

    def _answers(
        self, protocols: ProtocolSet, protocol_id: str, instrument_id: str, bias: float
    ) -> dict[str, str]:
        """Answers to every item; ``bias`` (0–1) leans towards the options worth more points."""
        instrument = protocols[protocol_id].instrument(instrument_id)
        if instrument is None:
            return {}
        answers = {}
        for item in instrument.items:
            options = sorted(instrument.item_options(item), key=lambda option: option.points)
            pick = min(len(options) - 1, int(self.rng.random() * bias * len(options) + bias))
            answers[f"q.{protocol_id}.{instrument_id}.{item.id}"] = options[pick].code
        return answers

    def _smoker(self, protocols: ProtocolSet, day: date, first: bool, due: set[str]) -> dict[str, str]:
        rng = self.rng
        stopped = self.quits and (day - self.start).days > 365
        values = {
            "m.smoking": EX_SMOKER if stopped else SMOKER,
            "m.exhaled-co": str(rng.randint(1, 5) if stopped else rng.randint(12, 35)),
            "m.motivation": "maintenance" if stopped else rng.choice(MOTIVATION[:3]),
            "edu.bpco-tabac.sevrage-tabagique": "on",
        }
        if first:
            values["m.pack-years"] = str(rng.randint(12, 45))
        if "fagerstrom" in due:
            values.update(self._answers(protocols, "bpco-tabac", "fagerstrom", rng.uniform(0.2, 0.9)))
        if "fev1-fvc" in due:
            self.ratio = min(90, max(45, self.ratio + rng.uniform(-3, 2)))
            fvc = rng.uniform(2.6, 4.2)
            values.update(
                {
                    "m.fvc": f"{fvc:.2f}".replace(".", ","),
                    "m.fev1": f"{fvc * self.ratio / 100:.2f}".replace(".", ","),
                    "m.fev1-fvc": f"{self.ratio:.0f}",
                    "act.bpco-tabac.spirometrie": "on",
                }
            )
        return values

    def _cognition(self, protocols: ProtocolSet, first: bool, due: set[str]) -> dict[str, str]:
        rng = self.rng
        topic = rng.choice(["aidant", "stimulation", "securite-domicile", "activite-physique"])
        values: dict[str, str] = {f"edu.troubles-cognitifs.{topic}": "on"}
        if first:
            values["m.education-level"] = rng.choice(["12-ans-ou-moins", "plus-de-12-ans"])
        if "moca" in due:
            self.moca = max(12, self.moca - rng.randint(0, 2))
            values["m.moca"] = str(self.moca)
            values["act.troubles-cognitifs.consultation-reperage"] = "on"
        if "mini-cog" in due:
            values.update(
                self._answers(protocols, "troubles-cognitifs", "mini-cog", 0.9 if self.moca > 24 else 0.4)
            )
        if "iadl" in due:
            values.update(
                self._answers(protocols, "troubles-cognitifs", "iadl", 0.15 if self.moca > 22 else 0.5)
            )
        if "phq9" in due:
            values.update(self._answers(protocols, "troubles-cognitifs", "phq9", rng.uniform(0.1, 0.5)))
            # At the first visit, now and then, the patient does not wish to answer one question: saved
            # incomplete, asked again at the next visit.
            if first and rng.random() < 0.25:
                values.pop("q.troubles-cognitifs.phq9.idees-noires", None)
                self.untaken.add("phq9")
        return values

    def _education_plan(self, db: Session, actor: Actor, pathways: tuple[str, ...], day: date) -> None:
        """Noted at the first visit; the goals are reviewed later (some reached, some given up)."""
        needs, goal = {
            "bpco-tabac": (
                "Comprendre son essoufflement, préparer l'arrêt du tabac",
                "Ne plus fumer le matin",
            ),
            "troubles-cognitifs": ("Rester autonome à domicile", "Continuer à faire mes courses seule"),
            "risque-cardiovasculaire": ("Comprendre sa tension", "Marcher 30 minutes trois fois par semaine"),
        }.get(pathways[0], ("Mieux connaître sa maladie", "Perdre 3 kilos avant l'été"))
        education.record_plan(
            db,
            actor,
            self.patient_id,
            {"needs": needs, "resources": "Soutien du conjoint", "limits": "Horaires de travail décalés"},
        )
        created = education.add_goal(
            db, actor, self.patient_id, {"text": goal, "set_on": day.isoformat()}, self.today
        )
        if (self.today - day).days > 180:
            status = self.rng.choice(["achieved", "in-progress", "abandoned"])
            education.review_goal(
                db, actor, created.id, {"status": status, "comment": "Fait le point"}, self.today
            )

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


def _workshops_and_registers(
    db: Session, actor: Actor, protocols: ProtocolSet, rng: random.Random, today: date, unenrolled: list[str]
) -> None:
    """Two workshops a year for the pathways with several patients; refusals; an adverse event."""
    enrolled: dict[str, list[str]] = {}
    for patient_id, protocol_id in db.exec(
        select(Enrolment.patient_id, Enrolment.protocol_id).where(
            Enrolment.practice_id == actor.practice_id, Enrolment.status == "active"
        )
    ).all():
        enrolled.setdefault(protocol_id, []).append(patient_id)
    titles = {
        "diabete-type-2": "Atelier alimentation et diabète",
        "bpco-tabac": "Atelier souffle et arrêt du tabac",
        "risque-cardiovasculaire": "Atelier automesure tensionnelle",
    }
    for months_ago in (2, 8):
        for protocol_id, title in titles.items():
            invited = enrolled.get(protocol_id, [])[:6]
            if len(invited) < 2:
                continue
            held = datetime.combine(today - timedelta(days=30 * months_ago), time(14, 0))
            workshops.create(
                db,
                actor,
                protocols,
                {
                    "title": title,
                    "held_at": held.strftime("%Y-%m-%dT%H:%M"),
                    "duration_minutes": "120",
                    "protocol_id": protocol_id,
                },
                {p: rng.choice(["present", "present", "present", "absent", "excused"]) for p in invited},
                datetime.now(UTC),
            )
    for patient_id in unenrolled[:2]:
        register.record_refusal(
            db,
            actor,
            protocols,
            patient_id,
            {"protocol_id": "bpco-tabac", "reason": "Ne souhaite pas être suivi pour le tabac"},
            today,
        )
    register.report_adverse_event(
        db,
        actor,
        protocols,
        {
            "occurred_on": (today - timedelta(days=40)).isoformat(),
            "severity": "mild",
            "description": "Malaise vagal pendant la spirométrie, récupération complète en 10 minutes",
            "action_taken": "Surveillance, médecin prévenu",
            "protocol_id": "bpco-tabac",
        },
        today,
    )


def _acknowledge_old_alerts(db: Session, gp: User, practice_id: int, today: date) -> None:
    """A real practice's GP has seen the older alerts: only the last weeks' remain open."""
    assert gp.id is not None
    actor = Actor(user_id=gp.id, practice_id=practice_id, role="gp", display_name=gp.display_name)
    cutoff = datetime.combine(today - timedelta(days=45), time(0), tzinfo=UTC)
    old = db.exec(select(Alert.id).where(Alert.status == "open", Alert.raised_at < cutoff)).all()
    for index, alert_id in enumerate(old):
        # Most alerts were worth raising; a few the GP judges not relevant (the yearly report counts them).
        relevant = "no" if index % 5 == 4 else "yes"
        alerts.acknowledge(db, actor, alert_id, "Vu en consultation", relevant)
