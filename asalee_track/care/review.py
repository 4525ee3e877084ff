"""The GP's review of a patient's pathways: per measure, the values over time, the latest against the
target in force (personal or the protocol's), what is due, and the pathway's alerts."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from asalee_track.care import followup, intervals, sessions, targets
from asalee_track.care.actor import Actor
from asalee_track.care.patients import scoped_patient
from asalee_track.protocols import DueItem, Measure, Protocol, ProtocolSet, Target
from asalee_track.store.tables import Alert, Enrolment, PersonalInterval, PersonalTarget


@dataclass(frozen=True)
class MeasureReview:
    measure: Measure
    series: list[tuple[datetime, float]]
    target: Target | None
    personal: bool
    due: DueItem | None

    @property
    def latest(self) -> tuple[datetime, float] | None:
        return self.series[-1] if self.series else None

    @property
    def at_target(self) -> bool | None:
        if self.latest is None or self.target is None:
            return None
        return targets.meets(self.latest[1], self.target)


@dataclass(frozen=True)
class PathwayReview:
    enrolment: Enrolment
    protocol: Protocol
    measures: list[MeasureReview]
    alerts: list[Alert]


@dataclass(frozen=True)
class PatientReview:
    """All the pathway page shows of a patient, each row read once."""

    pathways: list[PathwayReview]
    active: list[str]  # protocol ids of the active pathways, loaded or not
    target_history: list[PersonalTarget]
    interval_history: list[PersonalInterval]


def review(
    db: Session, actor: Actor, protocols: ProtocolSet, patient_id: str, now: datetime
) -> PatientReview:
    patient = scoped_patient(db, actor, patient_id)
    series: dict[str, list[tuple[datetime, float]]] = defaultdict(list)
    for obs in sessions.current_history(db, patient.id):
        if isinstance(obs.value, float):
            series[obs.measure].append((obs.effective, obs.value))
    target_history = targets.history(db, patient.id)
    interval_history = intervals.history(db, patient.id)
    personal = targets.in_force(target_history)
    enrolments = db.exec(
        select(Enrolment).where(Enrolment.patient_id == patient.id, Enrolment.status != "ended")
    ).all()
    active = [row for row in enrolments if row.status == "active"]
    due = followup.due_for_patient(
        db, actor, protocols, patient.id, now, active, intervals.in_force(interval_history)
    )
    alerts = db.exec(select(Alert).where(Alert.patient_id == patient.id)).all()
    result = []
    for row in enrolments:
        protocol = protocols.get(row.protocol_id)
        if protocol is None:
            continue
        due_by_measure = {item.measure: item for item in due.get(protocol.id, [])}
        measures = [
            MeasureReview(
                m,
                series.get(m.id, []),
                targets.effective(m, personal),
                m.id in personal,
                due_by_measure.get(m.id),
            )
            for m in protocol.measures
            if m.kind != "coded"
        ]
        pathway_alerts = sorted(
            (a for a in alerts if a.protocol_id == protocol.id),
            key=lambda a: (a.status != "open", -a.raised_at.timestamp()),
        )
        result.append(PathwayReview(row, protocol, measures, pathway_alerts))
    return PatientReview(result, sorted(row.protocol_id for row in active), target_history, interval_history)
