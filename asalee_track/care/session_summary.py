"""What a session's page and its printed summary name beside the values: who saw the patient, in which
practice, for which referring GP, and the targets the values were judged against."""

from dataclasses import dataclass

from sqlmodel import Session, col, select

from asalee_track.protocols import ProtocolSet, Target
from asalee_track.store.tables import CareSession, Enrolment, Patient, PersonalTarget, Practice, User


@dataclass(frozen=True)
class SessionPeople:
    nurse: str
    practice: Practice | None
    referring_gps: list[str]


def people(db: Session, session: CareSession, patient: Patient) -> SessionPeople:
    """The nurse, the practice and the referring GPs: the patient's own, then those of the session's
    pathways (a patient may be referred by one GP for diabetes and another for heart failure)."""
    nurse = db.get(User, session.nurse_id)
    referring = [patient.referring_gp_id] + list(
        db.exec(
            select(Enrolment.referring_gp_id)
            .where(
                Enrolment.patient_id == patient.id,
                col(Enrolment.protocol_id).in_(session.pathways),
            )
            .order_by(col(Enrolment.start_date))
        ).all()
    )
    ids = [gp_id for gp_id in dict.fromkeys(referring) if gp_id is not None]
    names = (
        dict(db.exec(select(User.id, User.display_name).where(col(User.id).in_(ids))).all()) if ids else {}
    )
    return SessionPeople(
        nurse.display_name if nurse else "",
        db.get(Practice, session.practice_id),
        [names[gp_id] for gp_id in ids if gp_id in names],
    )


@dataclass(frozen=True)
class ShownTarget:
    target: Target
    personal: bool


def targets_of(db: Session, protocols: ProtocolSet, session: CareSession) -> dict[str, ShownTarget]:
    """Per measure, the target in force when the session was recorded: the one its alerts were raised
    against (a personal target set since does not rewrite what the session showed)."""
    shown: dict[str, ShownTarget] = {}
    for protocol_id in session.pathways:
        protocol = protocols.get(protocol_id)
        for measure in protocol.measures if protocol else []:
            if measure.target is not None and measure.id not in shown:
                shown[measure.id] = ShownTarget(measure.target, personal=False)
    recorded = session.created_at
    for row in db.exec(
        select(PersonalTarget).where(
            PersonalTarget.patient_id == session.patient_id, col(PersonalTarget.set_at) <= recorded
        )
    ).all():
        if row.ended_at is None or row.ended_at > recorded:
            shown[row.measure_id] = ShownTarget(Target(min=row.min_value, max=row.max_value), personal=True)
    return shown
