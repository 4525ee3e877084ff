"""Follow-up sessions: save (with alerts), amend (a new version), mark entered-in-error, read back.

A save is one transaction: the session, its observations (canonical unit, typed value kept), computed
measures, education topics and acts, the audit record, then the escalation rules and the alerts they
raise. Nothing is ever deleted: a correction supersedes, an error is marked with its reason.
"""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from asalee_track.care import audit, enrolment, followup, patients, targets, worklist_entries
from asalee_track.care.actor import CLINICAL_ROLES, Actor
from asalee_track.care.errors import Forbidden, Invalid, NotFound
from asalee_track.care.inputs import check_text
from asalee_track.care.patients import hold, scoped_patient
from asalee_track.care.session_form import (
    KINDS,
    FormSection,
    ParsedSession,
    build_form,
    describe_conversion,
    local_datetime_input,
    measure_field,
    parse,
    prefill,
    read_measure,
)
from asalee_track.care.standing import current_version, stands
from asalee_track.i18n import N_
from asalee_track.protocols import (
    InputRefused,
    Measure,
    Obs,
    Protocol,
    ProtocolSet,
    computed_values,
    evaluate,
)
from asalee_track.store.tables import (
    Alert,
    CareSession,
    HomeBpReading,
    InstrumentAnswer,
    InstrumentResponse,
    Observation,
    Patient,
    SessionItem,
    new_id,
)
from asalee_track.store.types import utcnow


@dataclass(frozen=True)
class SaveResult:
    session: CareSession
    alerts: list[str]  # ids of the alerts the save raised
    replayed: bool = False  # the same submission arrived twice: nothing new was written


def form_for(db: Session, actor: Actor, protocols: ProtocolSet, patient_id: str) -> list[FormSection]:
    patient = scoped_patient(db, actor, patient_id)
    return build_form(protocols, enrolment.active_protocol_ids(db, patient.id))


@dataclass(frozen=True)
class SessionForm:
    """What the session form shows: a new session of the patient, or a correction of ``amending``."""

    patient: Patient
    sections: list[FormSection]
    values: dict[str, str]
    amending: CareSession | None = None
    kinds: tuple[str, ...] = KINDS


def session_form(
    db: Session,
    actor: Actor,
    protocols: ProtocolSet,
    patient_id: str | None = None,
    session_id: str | None = None,
    typed: Mapping[str, str] | None = None,
) -> SessionForm:
    """The form for a new session of ``patient_id`` (its active pathways) or a correction of
    ``session_id`` (the pathways it covered): as typed when a save was refused, else blank (now, 45
    minutes, follow-up) or as the session stands. Opening it reads the record (audited)."""
    amending = None
    if session_id is not None:
        shown = view(db, actor, session_id)
        patient = patients.get(db, actor, shown.session.patient_id)
        sections = build_form(protocols, shown.session.pathways)
        amending = shown.session
        prefilled = prefill(
            shown.session, shown.observations, shown.items, shown.responses, shown.home_readings
        )
    else:
        patient = patients.get(db, actor, patient_id or "")
        sections = form_for(db, actor, protocols, patient.id)
        now = local_datetime_input(datetime.now(UTC))
        prefilled = {"started_at": now, "duration_minutes": "45", "kind": "follow-up"}
    values = dict(typed) if typed is not None else prefilled
    values.setdefault("idempotency_key", uuid.uuid4().hex)  # see _idempotency_key
    return SessionForm(patient, sections, values, amending)


@dataclass(frozen=True)
class MeasureCheck:
    """One typed value checked as the save will check it: what to say, whether it is accepted, and the
    value as it would be stored (None when nothing was typed or it is refused)."""

    message: str
    ok: bool
    measure: Measure | None = None
    value: float | str | None = None


def check_measure(
    db: Session,
    actor: Actor,
    protocols: ProtocolSet,
    patient_id: str,
    measure_id: str,
    typed: Mapping[str, str],
    locale: str = "fr",
) -> MeasureCheck:
    """One typed value of the form, checked as the save will: the conversion it will be stored with, or
    why it is refused. Nothing typed: nothing to say."""
    form_field = measure_field(form_for(db, actor, protocols, patient_id), measure_id)
    if form_field is None:
        raise NotFound()
    text = typed.get(f"m.{measure_id}", "").strip()
    if not text:
        return MeasureCheck("", True)
    try:
        reading = read_measure(form_field, text, typed.get(f"u.{measure_id}") or None)
    except InputRefused as refused:
        return MeasureCheck(refused.message(locale), False)
    message = describe_conversion(form_field.measure, reading, locale) or ""
    return MeasureCheck(message, True, form_field.measure, reading.value)


def save(
    db: Session,
    actor: Actor,
    protocols: ProtocolSet,
    patient_id: str,
    raw: Mapping[str, str],
    locale: str = "fr",
    now: datetime | None = None,
) -> SaveResult:
    _require_clinical(actor)
    patient = scoped_patient(db, actor, patient_id)
    key = _idempotency_key(raw)
    if (earlier := _by_key(db, actor, key)) is not None:
        return SaveResult(earlier, [], replayed=True)
    starts = followup.active_starts(db, patient.id)
    if not starts:
        raise Invalid({"form": (N_("Enrol the patient in a pathway before logging a session."), {})})
    return _write_version(
        db, actor, protocols, raw, locale, now, key, patient.id, actor.user_id, list(starts), starts=starts
    )


def _write_version(
    db: Session,
    actor: Actor,
    protocols: ProtocolSet,
    raw: Mapping[str, str],
    locale: str,
    now: datetime | None,
    key: str | None,
    patient_id: str,
    nurse_id: int,
    pathways: list[str],
    previous: CareSession | None = None,
    starts: dict[str, date] | None = None,
) -> SaveResult:
    """The one write path of a session, first save or correction (``previous``, the version it
    supersedes): the session, its contents, the derived rows, the audit record, then the alerts.
    ``starts``: the patient's active pathways (`followup.active_starts`), when the caller read them."""
    hold(db, patient_id)  # what stands is read below: another write for the patient finishes first
    now = now or datetime.now(UTC)
    parsed = parse(build_form(protocols, pathways), raw, now, locale)
    session = CareSession(
        patient_id=patient_id,
        practice_id=actor.practice_id,
        nurse_id=nurse_id,
        started_at=parsed.started_at,
        duration_minutes=parsed.duration_minutes,
        kind=parsed.kind,
        pathways=pathways,
        notes=parsed.notes,
        status="final" if previous is None else "amended",
        version=1 if previous is None else previous.version + 1,
        supersedes_id=None if previous is None else previous.id,
        idempotency_key=key,
        created_by=actor.user_id,
    )
    try:
        with db.begin_nested():  # a concurrent double submission loses on the unique key, cleanly
            db.add(session)
            db.flush()
    except IntegrityError:
        replay = _by_key(db, actor, key)
        if replay is None:
            raise
        return SaveResult(replay, [], replayed=True)
    if previous is not None:
        previous.superseded_by_id = session.id
        previous.updated_at = utcnow()
        db.add(previous)
    prior = standing(db, patient_id)  # a superseded version is already out of it
    written = _write_contents(db, protocols, session, parsed, session.status, prior)
    if starts is None:
        starts = followup.active_starts(db, patient_id)
    standing_now = [obs for _, obs in prior + written]
    followup.refresh(db, protocols, patient_id, actor.practice_id, standing_now, starts)
    if previous is None:
        detail = (
            f"{len(parsed.readings)} measures, {len(parsed.instruments)} questionnaires, "
            f"pathways {', '.join(pathways)}"
        )
        audit.record(db, actor, "create", "Encounter", session.id, patient_id=patient_id, detail=detail)
    else:
        _close_alerts_on(db, actor, previous.id, N_("Session corrected"))
        detail = f"version {session.version} supersedes {previous.id}"
        audit.record(db, actor, "update", "Encounter", session.id, patient_id=patient_id, detail=detail)
    history = sorted(prior + written, key=_when)
    alerts = raise_alerts(
        db, actor, protocols, patient_id, actor.practice_id, pathways, now, history, session.id, starts
    )
    return SaveResult(session, alerts)


def _require_clinical(actor: Actor) -> None:
    if actor.role not in CLINICAL_ROLES:
        raise Forbidden()


def _idempotency_key(raw: Mapping[str, str]) -> str | None:
    """The form's one-time key: the same submission arriving twice (double click, reload) saves once."""
    return (raw.get("idempotency_key") or "").strip()[:64] or None


def _by_key(db: Session, actor: Actor, key: str | None) -> CareSession | None:
    if key is None:
        return None
    return db.exec(
        select(CareSession).where(
            CareSession.practice_id == actor.practice_id, CareSession.idempotency_key == key
        )
    ).first()


History = list[tuple[str, Obs]]  # (observation id, value): what the rules and computations read


ObservationRow = dict[str, Any]  # one row of `observation`, every column named


def _write_contents(
    db: Session,
    protocols: ProtocolSet,
    session: CareSession,
    parsed: ParsedSession,
    status: str,
    prior: History,
) -> History:
    """Write the session's values, computed ones included; return them as history entries.
    The values go in as plain rows in one statement: an ORM object each cost more than their insert."""
    rows = []
    for measure_id, (form_field, reading) in parsed.readings.items():
        measure = form_field.measure
        coded = isinstance(reading.value, str)
        rows.append(
            _observation(
                session,
                measure,
                status,
                value_num=None if coded else float(reading.value),
                value_code=str(reading.value) if coded else None,
                value_system=_code_system(measure, reading.value),
                unit=reading.unit,
                original_value=parsed.typed[measure_id],
                original_unit=reading.original_unit,
            )
        )
    rows.extend(_computed(protocols, session, parsed, status, prior))
    scores = _scores(session, parsed, status)
    rows.extend(scores.values())
    if rows:
        db.connection().execute(insert(_OBSERVATIONS), rows)
    _write_answers(db, session, parsed, scores)
    items = [
        _item(session, "education", protocol_id, topic_id, None) for protocol_id, topic_id in parsed.education
    ] + [_item(session, "act", protocol_id, act_id, outcome) for protocol_id, act_id, outcome in parsed.acts]
    if items:
        db.connection().execute(insert(SessionItem), items)
    db.flush()
    return [
        (row["id"], _obs(row["measure_id"], row["value_num"], row["value_code"], row["effective_at"]))
        for row in rows
    ]


_OBSERVATIONS = Observation.__table__  # type: ignore[attr-defined]


def _item(
    session: CareSession, kind: str, protocol_id: str, item_id: str, outcome: str | None
) -> dict[str, str | None]:
    """An education topic or a delegated act of the session, as a plain row."""
    return {
        "id": new_id(),
        "session_id": session.id,
        "kind": kind,
        "protocol_id": protocol_id,
        "item_id": item_id,
        "outcome": outcome,
    }


def _observation(
    session: CareSession,
    measure: Measure,
    status: str,
    *,
    value_num: float | None,
    value_code: str | None = None,
    value_system: str | None = None,
    unit: str | None,
    original_value: str | None = None,
    original_unit: str | None = None,
    computed: bool = False,
) -> ObservationRow:
    return {
        "id": new_id(),
        "session_id": session.id,
        "lab_result_id": None,
        "superseded_by_id": None,
        "patient_id": session.patient_id,
        "measure_id": measure.id,
        "loinc": measure.loinc,
        "value_num": value_num,
        "value_code": value_code,
        "value_system": value_system,
        "unit": unit,
        "original_value": original_value,
        "original_unit": original_unit,
        "computed": computed,
        "effective_at": session.started_at,
        "status": status,
    }


def _derived(session: CareSession, measure: Measure, value: float, status: str) -> ObservationRow:
    """A value the app works out from what was typed (a questionnaire total, a home-BP average)."""
    return _observation(session, measure, status, value_num=value, unit=measure.unit, computed=True)


def _scores(session: CareSession, parsed: ParsedSession, status: str) -> dict[str, ObservationRow]:
    """Observations of questionnaire totals (complete ones only) and home-BP averages, by measure id."""
    written: dict[str, ObservationRow] = {}
    for filled in parsed.instruments:
        if filled.scored.total is not None:
            measure = filled.protocol.measure(filled.instrument.score)
            written[measure.id] = _derived(session, measure, filled.scored.total, status)
    for home in parsed.home_series:
        if home.average is not None:
            averages = {home.series.sbp: home.average.sbp, home.series.dbp: home.average.dbp}
            for measure_id, value in averages.items():
                written[measure_id] = _derived(session, home.protocol.measure(measure_id), value, status)
    return written


def _write_answers(
    db: Session, session: CareSession, parsed: ParsedSession, scores: Mapping[str, ObservationRow]
) -> None:
    """Every answer and every home reading, whether or not it gave a score or an average."""
    for filled in parsed.instruments:
        total = filled.scored.total
        response = InstrumentResponse(
            session_id=session.id,
            patient_id=session.patient_id,
            protocol_id=filled.protocol.id,
            instrument_id=filled.instrument.id,
            status="complete" if total is not None else "incomplete",
            score=total,
            observation_id=scores[filled.instrument.score]["id"] if total is not None else None,
        )
        db.add(response)
        db.flush()
        db.add_all(
            InstrumentAnswer(response_id=response.id, item_id=item_id, answer_code=code, points=points)
            for item_id, (code, points) in filled.scored.answers.items()
        )
    for home in parsed.home_series:
        db.add_all(
            HomeBpReading(
                session_id=session.id,
                patient_id=session.patient_id,
                protocol_id=home.protocol.id,
                day=reading.day,
                period=reading.period,
                rank=reading.rank,
                sbp=reading.sbp,
                dbp=reading.dbp,
            )
            for reading in home.readings
        )


def _when(entry: tuple[str, Obs]) -> datetime:
    return entry[1].effective


def _code_system(measure: Measure, value: float | str) -> str | None:
    if not isinstance(value, str):
        return None
    coded = measure.code(value)
    return getattr(coded, "system", None) if coded else None


def _computed(
    protocols: ProtocolSet, session: CareSession, parsed: ParsedSession, status: str, prior: History
) -> list[ObservationRow]:
    """BMI and the like, from this session's values and the latest earlier ones (height)."""
    entered = {measure_id: reading.value for measure_id, (_f, reading) in parsed.readings.items()}
    history = [obs for _, obs in prior if obs.effective < session.started_at]
    written: dict[str, ObservationRow] = {}
    for protocol_id in session.pathways:
        protocol = protocols.get(protocol_id)
        if protocol is None:
            continue
        for measure_id, value in computed_values(protocol, entered, history).items():
            if measure_id in written or measure_id in entered:
                continue
            written[measure_id] = _derived(session, protocol.measure(measure_id), value, status)
    return list(written.values())


def standing(db: Session, patient_id: str) -> History:
    """The patient's values that stand, oldest first: superseded versions and errors left out.
    Columns only: a decade of follow-up is hundreds of rows, read at every save."""
    query = (
        select(  # type: ignore[call-overload]  # sqlmodel types select() up to four columns
            Observation.id,
            Observation.measure_id,
            Observation.value_num,
            Observation.value_code,
            Observation.effective_at,
        )
        .outerjoin(CareSession, col(CareSession.id) == Observation.session_id)
        .where(Observation.patient_id == patient_id, *stands())
        .order_by(Observation.effective_at)
    )
    return [
        (row_id, _obs(measure_id, number, code, when))
        for row_id, measure_id, number, code, when in db.exec(query).all()
    ]


def _obs(measure_id: str, number: float | None, code: str | None, when: datetime) -> Obs:
    value: float | str = code if code is not None else float(number or 0.0)
    return Obs(measure_id, value, when if when.tzinfo else when.replace(tzinfo=UTC))


def current_history(db: Session, patient_id: str) -> list[Obs]:
    return [obs for _, obs in standing(db, patient_id)]


def raise_alerts(
    db: Session,
    actor: Actor | None,
    protocols: ProtocolSet,
    patient_id: str,
    practice_id: int,
    pathways: list[str],
    now: datetime,
    standing: History,
    session_id: str | None = None,
    starts: dict[str, date] | None = None,
) -> list[str]:
    """Evaluate every pathway's rules; one open alert per rule and patient, never a duplicate. A save
    calls it with its session; a lab import without one (``actor`` None for the folder watcher).
    Returns the ids of the alerts raised.
    ``starts``: the active pathways' first days (`followup.active_starts`), when the caller read them."""
    history = [obs for _, obs in standing]
    ids = {id(obs): row_id for row_id, obs in standing}
    personal = targets.current(db, patient_id)
    open_rules = set(
        db.exec(
            select(Alert.protocol_id, Alert.rule_id).where(
                Alert.patient_id == patient_id, Alert.status == "open"
            )
        ).all()
    )
    if starts is None:
        starts = followup.active_starts(db, patient_id)
    raised: list[dict[str, Any]] = []
    for protocol_id in pathways:
        protocol: Protocol | None = protocols.get(protocol_id)
        if protocol is None:
            continue
        for firing in evaluate(protocol, history, now, targets=personal, since=starts.get(protocol_id)):
            if (protocol_id, firing.rule_id) in open_rules:
                continue
            open_rules.add((protocol_id, firing.rule_id))
            raised.append(
                {
                    "id": new_id(),
                    "patient_id": patient_id,
                    "practice_id": practice_id,
                    "session_id": session_id,
                    "protocol_id": protocol_id,
                    "rule_id": firing.rule_id,
                    "severity": firing.severity,
                    "message": firing.message.model_dump(),
                    "explanation": firing.explanation.model_dump(),
                    "evidence": [ids[id(obs)] for obs in firing.evidence if id(obs) in ids],
                    "raised_at": now,
                    "status": "open",
                }
            )
    # Plain rows in one statement, as the session's observations: an ORM object each cost more
    # than evaluating the rules that raised them.
    if raised:
        db.execute(insert(Alert), raised)
        worklist_entries.moved(db, patient_id)
    for alert in raised:
        audit.record(
            db,
            actor,
            "create",
            "Flag",
            alert["id"],
            patient_id=patient_id,
            detail=alert["rule_id"],
            practice_id=practice_id,
        )
    return [alert["id"] for alert in raised]


def _current_session(db: Session, actor: Actor, session_id: str) -> CareSession:
    session = db.get(CareSession, session_id) if len(session_id) <= 36 else None
    if session is None or session.practice_id != actor.practice_id:
        raise NotFound()
    if session.superseded_by_id is not None or session.status == "entered-in-error":
        raise Invalid({"form": (N_("Only the current version of a session can be changed."), {})})
    return session


def amend(
    db: Session,
    actor: Actor,
    protocols: ProtocolSet,
    session_id: str,
    raw: Mapping[str, str],
    locale: str = "fr",
    now: datetime | None = None,
) -> SaveResult:
    """A corrected version: the earlier one stays readable, marked as superseded, with who and when."""
    _require_clinical(actor)
    old = _current_session(db, actor, session_id)
    key = _idempotency_key(raw)
    if (earlier := _by_key(db, actor, key)) is not None:
        return SaveResult(earlier, [], replayed=True)
    return _write_version(
        db, actor, protocols, raw, locale, now, key, old.patient_id, old.nurse_id, old.pathways, previous=old
    )


def mark_entered_in_error(
    db: Session, actor: Actor, protocols: ProtocolSet, session_id: str, reason: str
) -> CareSession:
    """The session should never have been recorded (wrong patient, wrong values): kept, but set aside."""
    _require_clinical(actor)
    session = _current_session(db, actor, session_id)
    errors: dict[str, tuple[str, dict[str, object]]] = {}
    reason = check_text(errors, "reason", reason, 500) or ""
    if not reason:
        raise Invalid(errors or {"reason": (N_("Give a reason."), {})})
    session.status = "entered-in-error"
    session.error_reason = reason
    session.updated_at = utcnow()
    db.add(session)
    for row in db.exec(select(Observation).where(Observation.session_id == session.id)).all():
        row.status = "entered-in-error"
        db.add(row)
    _close_alerts_on(db, actor, session.id, reason)
    followup.refresh(db, protocols, session.patient_id, session.practice_id)
    audit.record(
        db,
        actor,
        "update",
        "Encounter",
        session.id,
        patient_id=session.patient_id,
        detail=f"entered-in-error: {reason}",
    )
    db.flush()
    return session


def _close_alerts_on(db: Session, actor: Actor, session_id: str, reason: str) -> None:
    """Open alerts whose evidence includes a value of this session are closed with the reason."""
    withdrawn = set(db.exec(select(Observation.id).where(Observation.session_id == session_id)).all())
    patient_id = db.exec(select(CareSession.patient_id).where(CareSession.id == session_id)).one()
    for alert in db.exec(select(Alert).where(Alert.patient_id == patient_id, Alert.status == "open")).all():
        if withdrawn.intersection(alert.evidence):
            alert.status = "closed"
            alert.closed_reason = reason
            db.add(alert)
            worklist_entries.moved(db, patient_id)
            audit.record(
                db, actor, "update", "Flag", alert.id, patient_id=patient_id, detail=f"closed: {reason}"
            )


@dataclass(frozen=True)
class SessionView:
    session: CareSession
    observations: list[Observation]
    items: list[SessionItem]
    versions: list[CareSession]  # every version of this session, oldest first
    responses: list[tuple[InstrumentResponse, list[InstrumentAnswer]]] = field(default_factory=list)
    home_readings: list[HomeBpReading] = field(default_factory=list)


def view(db: Session, actor: Actor, session_id: str) -> SessionView:
    """One session with its contents and all its versions (audited as a read of the record)."""
    session = db.get(CareSession, session_id) if len(session_id) <= 36 else None
    if session is None or session.practice_id != actor.practice_id or actor.role not in CLINICAL_ROLES:
        raise NotFound()
    audit.record(db, actor, "read", "Encounter", session.id, patient_id=session.patient_id)
    return SessionView(
        session,
        _observations(db, session.id),
        _items(db, session.id),
        _versions(db, session),
        _responses(db, session.id),
        _home_readings(db, session.id),
    )


def _responses(db: Session, session_id: str) -> list[tuple[InstrumentResponse, list[InstrumentAnswer]]]:
    responses = db.exec(
        select(InstrumentResponse)
        .where(InstrumentResponse.session_id == session_id)
        .order_by(InstrumentResponse.protocol_id, InstrumentResponse.instrument_id)
    ).all()
    return [
        (
            response,
            list(
                db.exec(
                    select(InstrumentAnswer)
                    .where(InstrumentAnswer.response_id == response.id)
                    .order_by(col(InstrumentAnswer.id))
                ).all()
            ),
        )
        for response in responses
    ]


def _home_readings(db: Session, session_id: str) -> list[HomeBpReading]:
    return list(
        db.exec(
            select(HomeBpReading)
            .where(HomeBpReading.session_id == session_id)
            .order_by(col(HomeBpReading.day), col(HomeBpReading.period).desc(), col(HomeBpReading.rank))
        ).all()
    )


def _observations(db: Session, session_id: str) -> list[Observation]:
    return list(
        db.exec(
            select(Observation).where(Observation.session_id == session_id).order_by(Observation.measure_id)
        ).all()
    )


def _items(db: Session, session_id: str) -> list[SessionItem]:
    return list(
        db.exec(
            select(SessionItem)
            .where(SessionItem.session_id == session_id)
            .order_by(SessionItem.kind, SessionItem.item_id)
        ).all()
    )


def _versions(db: Session, session: CareSession) -> list[CareSession]:
    chain = [session]
    while chain[0].supersedes_id:
        previous = db.get(CareSession, chain[0].supersedes_id)
        if previous is None:
            break
        chain.insert(0, previous)
    while chain[-1].superseded_by_id:
        following = db.get(CareSession, chain[-1].superseded_by_id)
        if following is None:
            break
        chain.append(following)
    return chain


def timeline(db: Session, actor: Actor, patient_id: str) -> list[SessionView]:
    """The patient's sessions, newest first: current versions, and sessions marked in error (shown struck)."""
    patient = scoped_patient(db, actor, patient_id)
    sessions = db.exec(
        select(CareSession)
        .where(CareSession.patient_id == patient.id, current_version())
        .order_by(col(CareSession.started_at).desc())
    ).all()
    return [
        SessionView(
            s,
            _observations(db, s.id),
            _items(db, s.id),
            _versions(db, s) if s.version > 1 else [s],
            _responses(db, s.id),
            _home_readings(db, s.id),
        )
        for s in sessions
    ]


def open_alerts(db: Session, actor: Actor, patient_id: str) -> list[Alert]:
    patient = scoped_patient(db, actor, patient_id)
    return list(
        db.exec(
            select(Alert)
            .where(Alert.patient_id == patient.id, Alert.status == "open")
            .order_by(col(Alert.raised_at).desc())
        ).all()
    )


def alerts_of_session(db: Session, actor: Actor, session_id: str) -> list[Alert]:
    """Alerts raised when this session was saved, whatever has become of them since."""
    return list(
        db.exec(
            select(Alert)
            .where(Alert.session_id == session_id, Alert.practice_id == actor.practice_id)
            .order_by(col(Alert.raised_at))
        ).all()
    )
