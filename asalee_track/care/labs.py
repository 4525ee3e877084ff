"""Lab result files into the record: each result matched to a patient and a measure, or held for
review, or refused with its line and reason. Lab values are observations without a session; they move
the schedule and fire the rules like a nurse's measures.

Idempotent: the same file twice is recognised by its digest and adds nothing; the same result in
another file (same order number and test, same value) is "already known"; a different value for the
same order and test is a correction, which supersedes the earlier observation and keeps it.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from asalee_track.care import audit, enrolment, followup, lab_mapping, lab_matching, sessions
from asalee_track.care.actor import CLINICAL_ROLES, Actor
from asalee_track.care.errors import Forbidden, Invalid, NotFound
from asalee_track.care.inputs import check_text
from asalee_track.care.patients import scoped_patient
from asalee_track.care.standing import value_stands
from asalee_track.i18n import N_
from asalee_track.labs import LabFile, parse, read_value
from asalee_track.labs.units import to_ucum
from asalee_track.protocols import InputRefused, ProtocolSet, read_input
from asalee_track.store.tables import LabReport, LabResult, Observation, Patient
from asalee_track.store.types import utcnow

REVIEW = ("review-patient", "review-mapping")
OUTCOMES = ("imported", "known", "review", "not-followed", "refused")
CLOCK_SLACK = timedelta(minutes=10)  # a lab's clock a little ahead is not a date in the future


@dataclass(frozen=True)
class Line:
    """One line of a file's report."""

    line: int
    outcome: str  # imported, known, review, not-followed, refused
    label: str
    value: str
    unit: str | None
    patient: str | None
    reason: str | None
    params: dict[str, Any] = field(default_factory=dict)
    result_id: str | None = None


@dataclass(frozen=True)
class Summary:
    file_name: str
    format: str
    lab: str | None
    refused: bool  # the whole file: nothing went in
    already: bool  # this very file was imported before: nothing new
    lines: list[Line]
    report_id: str | None = None
    received_at: datetime | None = None

    def count(self, outcome: str) -> int:
        return sum(1 for line in self.lines if line.outcome == outcome)

    @property
    def counts(self) -> dict[str, int]:
        return {outcome: self.count(outcome) for outcome in OUTCOMES}


def import_file(
    db: Session,
    protocols: ProtocolSet,
    practice_id: int,
    file_name: str,
    data: bytes,
    actor: Actor | None = None,
    dry_run: bool = False,
    now: datetime | None = None,
) -> Summary:
    """Import one file for the practice (``actor`` None: the folder watcher). A dry run reports what
    would happen and writes nothing."""
    if actor is not None and actor.role not in CLINICAL_ROLES:
        raise Forbidden()
    now = now or datetime.now(UTC)
    digest = hashlib.sha256(data).hexdigest()
    earlier = db.exec(
        select(LabReport).where(LabReport.practice_id == practice_id, LabReport.sha256 == digest)
    ).first()
    if earlier is not None:
        known = summary_of(db, earlier)
        return Summary(
            file_name,
            known.format,
            known.lab,
            known.refused,
            True,
            known.lines,
            earlier.id,
            earlier.received_at,
        )
    if dry_run:
        savepoint = db.begin_nested()
        try:
            return _import(db, protocols, practice_id, file_name, data, digest, actor, now)
        finally:
            savepoint.rollback()
    try:
        with db.begin_nested():  # a file arriving twice at once: the second loses on the digest, cleanly
            return _import(db, protocols, practice_id, file_name, data, digest, actor, now)
    except IntegrityError:
        return import_file(db, protocols, practice_id, file_name, data, actor, dry_run, now)


def _import(
    db: Session,
    protocols: ProtocolSet,
    practice_id: int,
    file_name: str,
    data: bytes,
    digest: str,
    actor: Actor | None,
    now: datetime,
) -> Summary:
    found = parse(data)
    report = LabReport(
        practice_id=practice_id,
        file_name=file_name[:255],
        sha256=digest,
        format=found.format,
        encoding=found.encoding or "-",
        lab=(found.lab or "")[:200] or None,
        status="refused" if found.refused else "imported",
        counts={},
        problems=[[p.line, p.message, p.params, p.fatal] for p in found.problems],
        imported_by=actor.user_id if actor else None,
        received_at=now,
    )
    db.add(report)
    db.flush()
    touched: set[str] = set()
    for result in found.results:
        row = _row(report, result, found)
        db.add(row)
        if row.status == "pending":
            match = lab_matching.match(db, practice_id, row.identity)
            row.patient_id = match.patient_id
            _settle(db, protocols, row, now, match)
            if row.status == "imported" and row.patient_id:
                touched.add(row.patient_id)
        db.flush()
    for patient_id in sorted(touched):
        _refresh(db, protocols, patient_id, practice_id, actor, now)
    summary = summary_of(db, report)
    report.counts = summary.counts
    db.add(report)
    audit.record(
        db,
        actor,
        "create",
        "LabReport",
        report.id,
        outcome="refused" if found.refused else "success",
        detail=f"{file_name[:200]}: " + ", ".join(f"{k} {v}" for k, v in summary.counts.items()),
        practice_id=practice_id,
    )
    for patient_id in sorted(touched):
        audit.record(
            db,
            actor,
            "create",
            "Observation",
            report.id,
            patient_id=patient_id,
            practice_id=practice_id,
            detail="lab",
        )
    return summary


def _row(report: LabReport, result: Any, found: LabFile) -> LabResult:
    row = LabResult(
        lab_report_id=report.id,
        practice_id=report.practice_id,
        line=result.line,
        identity=result.identity.as_dict(),
        order_no=result.order[:64],
        test=result.test[:64],
        label=result.label[:200],
        code=(result.code or "")[:64] or None,
        loinc=(result.loinc or "")[:16] or None,
        value_text=result.value[:64],
        unit_text=(result.unit or "")[:32] or None,
        alternatives=[list(pair) for pair in result.alternatives],
        specimen_at=result.specimen_at,
        reported_at=result.reported_at,
        lab=(result.lab or "")[:200] or None,
        status="pending",
        reason_params={},
    )
    if found.refused:
        row.status, row.reason = "refused", N_("The file was refused as a whole: nothing imported.")
    return row


def _settle(db: Session, protocols: ProtocolSet, row: LabResult, now: datetime, match: Any = None) -> None:
    """Decide one result: refused, not followed, waiting for a mapping or a patient, known, imported."""
    mapping = lab_mapping.lookup(db, row.practice_id, row.loinc, row.code, row.label, row.unit_text)
    if mapping is None:
        return _hold(
            row, "review-mapping", N_("No mapping for this test yet: an admin maps it to a measure.")
        )
    if mapping.measure_id is None:
        return _hold(row, "not-followed", N_("Not followed by the pathways (mapping)."))
    pathways = enrolment.active_protocol_ids(db, row.patient_id) if row.patient_id else []
    measure = lab_mapping.measure_definition(protocols, mapping.measure_id, pathways)
    if measure is None:
        return _hold(
            row, "not-followed", N_("No pathway follows %(measure)s."), {"measure": mapping.measure_id}
        )
    row.measure_id = measure.id
    value = read_value(row.value_text)
    if value.number is None:
        return _hold(
            row,
            "refused",
            N_("“%(value)s” is not a number: read the report itself."),
            {"value": row.value_text},
        )
    if value.comparator:
        return _hold(
            row,
            "refused",
            N_("“%(value)s” is a bound, not a value: not imported."),
            {"value": row.value_text},
        )
    if row.specimen_at is None:
        return _hold(row, "refused", N_("The result has no specimen date."))
    if _aware(row.specimen_at) > now + CLOCK_SLACK:
        return _hold(
            row,
            "refused",
            N_("The specimen date %(date)s is in the future."),
            {"date": _aware(row.specimen_at).date().isoformat()},
        )
    reading, refusal = _reading(measure, mapping.ucum, row)
    if reading is None:
        return _hold(row, "refused", *refusal)
    if row.patient_id is None:
        reason = match.reason if match is not None else N_("No patient of the practice has these traits.")
        return _hold(row, "review-patient", reason, (match.params if match is not None else None) or {})
    _record(db, row, measure, reading)


def _reading(measure: Any, ucum: str | None, row: LabResult) -> tuple[Any, tuple[str, dict[str, Any]]]:
    """The value in the measure's unit, trying the lab's unit, then the same value in other units."""
    refusal: tuple[str, dict[str, Any]] = (N_("The result has no unit."), {})
    for text, unit in [(row.value_text, row.unit_text), *[tuple(pair) for pair in row.alternatives]]:
        code = ucum or to_ucum(unit)
        if code is None:
            refusal = (N_("Unit “%(unit)s” is unknown."), {"unit": unit or ""}) if unit else refusal
            continue
        try:
            return read_input(measure, text.replace(" ", ""), code), refusal
        except InputRefused as refused:
            refusal = (N_("Value refused: %(detail)s."), {"refusal": refused.code, **refused.params})
    return None, refusal


def _record(db: Session, row: LabResult, measure: Any, reading: Any) -> None:
    assert row.patient_id is not None and row.specimen_at is not None  # checked by the caller
    earlier = db.exec(
        select(Observation)
        .join(LabResult, col(LabResult.id) == Observation.lab_result_id)
        .where(
            LabResult.patient_id == row.patient_id,
            LabResult.order_no == row.order_no,
            LabResult.test == row.test,
            value_stands(),
        )
    ).first()
    if (
        earlier is not None
        and earlier.value_num is not None
        and abs(earlier.value_num - reading.value) < 1e-9
    ):
        row.status, row.observation_id, row.reason = "known", earlier.id, N_("Already in the record.")
        return
    db.flush()  # the row must exist before an observation points at it
    observation = Observation(
        lab_result_id=row.id,
        patient_id=row.patient_id,
        measure_id=measure.id,
        loinc=measure.loinc,
        value_num=float(reading.value),
        unit=reading.unit,
        original_value=row.value_text,
        original_unit=reading.original_unit,
        effective_at=_aware(row.specimen_at),
        status="amended" if earlier is not None else "final",
    )
    db.add(observation)
    db.flush()
    row.status, row.observation_id = "imported", observation.id
    if earlier is not None:
        earlier.superseded_by_id = observation.id
        db.add(earlier)
        row.reason = N_("Corrects the earlier value %(value)s, kept in the history.")
        row.reason_params = {"value": earlier.original_value or str(earlier.value_num)}
    else:
        row.reason, row.reason_params = None, {}


def _hold(row: LabResult, status: str, reason: str, params: dict[str, Any] | None = None) -> None:
    row.status, row.reason, row.reason_params = status, reason, params or {}


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _refresh(
    db: Session, protocols: ProtocolSet, patient_id: str, practice_id: int, actor: Actor | None, now: datetime
) -> None:
    """The schedule and the rules, as after a session's save."""
    starts = followup.active_starts(db, patient_id)
    followup.refresh(db, protocols, patient_id, practice_id, starts=starts)
    history = sessions.standing(db, patient_id)
    pathways = list(starts)
    sessions.raise_alerts(db, actor, protocols, patient_id, practice_id, pathways, now, history, None, starts)


def summary_of(db: Session, report: LabReport) -> Summary:
    rows = db.exec(
        select(LabResult).where(LabResult.lab_report_id == report.id).order_by(col(LabResult.line))
    ).all()
    names = _names(db, {row.patient_id for row in rows if row.patient_id})
    lines = [
        Line(
            row.line,
            "review" if row.status in REVIEW else ("refused" if row.status == "rejected" else row.status),
            row.label,
            row.value_text,
            row.unit_text,
            names.get(row.patient_id or "") or _written(row.identity),
            row.reason,
            row.reason_params,
            row.id,
        )
        for row in rows
    ]
    lines += [
        Line(line, "refused", "", "", None, None, message, params)
        for line, message, params, _ in report.problems
    ]
    return Summary(
        report.file_name,
        report.format,
        report.lab,
        report.status == "refused",
        False,
        sorted(lines, key=lambda line: line.line),
        report.id,
        report.received_at,
    )


def _names(db: Session, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    return {
        p.id: f"{p.family_name.upper()} {p.given_names}"
        for p in db.exec(select(Patient).where(col(Patient.id).in_(ids))).all()
    }


def _written(identity: dict[str, Any]) -> str:
    """The patient as the lab wrote them, for a result nobody is matched to yet."""
    name = " ".join(part for part in (identity.get("birth_name"), identity.get("given")) if part)
    return f"{name} ({identity['birth_date']})" if identity.get("birth_date") else name


# --- reading back and the review queue -----------------------------------------------------------


def _require_clinical(actor: Actor) -> None:
    if actor.role not in CLINICAL_ROLES:
        raise Forbidden()


def reports(db: Session, actor: Actor, limit: int = 50) -> list[LabReport]:
    """The files the practice received, newest first."""
    _require_clinical(actor)
    found = list(
        db.exec(
            select(LabReport)
            .where(LabReport.practice_id == actor.practice_id)
            .order_by(col(LabReport.received_at).desc())
            .limit(limit)
        ).all()
    )
    audit.record(db, actor, "read", "LabReport", detail=f"{len(found)} files listed")
    return found


def report(db: Session, actor: Actor, report_id: str) -> Summary:
    _require_clinical(actor)
    found = db.get(LabReport, report_id) if len(report_id) <= 36 else None
    if found is None or found.practice_id != actor.practice_id:
        audit.record(db, actor, "denied", "LabReport", report_id[:64], outcome="not-found")
        raise NotFound()
    audit.record(db, actor, "read", "LabReport", found.id)
    return summary_of(db, found)


def queue(db: Session, actor: Actor) -> list[LabResult]:
    """Results waiting for the nurse (which patient?) or an admin (which measure?), oldest first."""
    _require_clinical(actor)
    found = list(
        db.exec(
            select(LabResult)
            .where(LabResult.practice_id == actor.practice_id, col(LabResult.status).in_(REVIEW))
            .order_by(col(LabResult.specimen_at), col(LabResult.line))
        ).all()
    )
    audit.record(db, actor, "read", "LabResult", detail=f"review queue: {len(found)} results")
    return found


def result(db: Session, actor: Actor, result_id: str) -> LabResult:
    """One result of the practice, whatever became of it (another practice's: not found)."""
    _require_clinical(actor)
    row = db.get(LabResult, result_id) if len(result_id) <= 36 else None
    if row is None or row.practice_id != actor.practice_id:
        audit.record(db, actor, "denied", "LabResult", result_id[:64], outcome="not-found")
        raise NotFound()
    audit.record(db, actor, "read", "LabResult", row.id, patient_id=row.patient_id)
    return row


def _pending(db: Session, actor: Actor, result_id: str) -> LabResult:
    row = db.get(LabResult, result_id) if len(result_id) <= 36 else None
    if row is None or row.practice_id != actor.practice_id:
        audit.record(db, actor, "denied", "LabResult", result_id[:64], outcome="not-found")
        raise NotFound()
    if row.status not in REVIEW:
        raise Invalid({"form": (N_("This result has already been dealt with."), {})})
    return row


def assign(
    db: Session,
    actor: Actor,
    protocols: ProtocolSet,
    result_id: str,
    patient_id: str,
    now: datetime | None = None,
) -> LabResult:
    """The nurse says whose result this is; it is then imported like any other."""
    _require_clinical(actor)
    row = _pending(db, actor, result_id)
    if row.status != "review-patient":
        raise Invalid({"form": (N_("This result waits for a mapping, not a patient."), {})})
    patient = scoped_patient(db, actor, patient_id.strip()[:36]) if patient_id.strip() else None
    if patient is None:
        raise Invalid({"patient_id": (N_("Choose the patient."), {})})
    now = now or datetime.now(UTC)
    row.patient_id = patient.id
    row.resolved_by, row.resolved_at = actor.user_id, utcnow()
    _settle(db, protocols, row, now)
    db.add(row)
    db.flush()
    if row.status == "imported":
        _refresh(db, protocols, patient.id, actor.practice_id, actor, now)
    audit.record(
        db, actor, "update", "LabResult", row.id, patient_id=patient.id, detail=f"assigned: {row.status}"
    )
    return row


def reject(db: Session, actor: Actor, result_id: str, reason: str) -> LabResult:
    """The result is not for this practice, or not to be imported: kept, set aside with the reason."""
    _require_clinical(actor)
    row = _pending(db, actor, result_id)
    errors: dict[str, tuple[str, dict[str, object]]] = {}
    reason = check_text(errors, "reason", reason, 300) or ""
    if not reason and not errors:
        errors["reason"] = (N_("Give a reason."), {})
    if errors:
        raise Invalid(errors)
    row.status, row.reason, row.reason_params = "rejected", N_("Rejected: %(reason)s"), {"reason": reason}
    row.resolved_by, row.resolved_at = actor.user_id, utcnow()
    db.add(row)
    audit.record(db, actor, "update", "LabResult", row.id, detail=f"rejected: {reason}")
    return row


def retry_mappings(db: Session, actor: Actor, protocols: ProtocolSet, now: datetime | None = None) -> int:
    """After an admin maps a test, the results that waited for it are settled again."""
    if not actor.is_admin:
        raise Forbidden()
    now = now or datetime.now(UTC)
    rows = db.exec(
        select(LabResult).where(
            LabResult.practice_id == actor.practice_id, LabResult.status == "review-mapping"
        )
    ).all()
    touched: set[str] = set()
    for row in rows:
        match = lab_matching.match(db, actor.practice_id, row.identity) if row.patient_id is None else None
        if match is not None:
            row.patient_id = match.patient_id
        _settle(db, protocols, row, now, match)
        db.add(row)
        db.flush()
        if row.status == "imported" and row.patient_id:
            touched.add(row.patient_id)
    for patient_id in sorted(touched):
        _refresh(db, protocols, patient_id, actor.practice_id, actor, now)
    settled = sum(1 for row in rows if row.status != "review-mapping")
    audit.record(
        db, actor, "update", "LabResult", detail=f"mappings re-run: {settled} of {len(rows)} settled"
    )
    return settled


def patient_results(db: Session, actor: Actor, patient_id: str) -> list[tuple[LabResult, Observation]]:
    """The patient's lab values, newest first, corrected ones included (shown struck through)."""
    patient = scoped_patient(db, actor, patient_id)
    return list(
        db.exec(
            select(LabResult, Observation)
            .join(Observation, col(Observation.lab_result_id) == LabResult.id)
            .where(Observation.patient_id == patient.id)
            .order_by(col(Observation.effective_at).desc(), col(LabResult.line))
        ).all()
    )


@dataclass(frozen=True)
class LabView:
    """One lab report's values for a patient, as the record's history shows them."""

    report_id: str
    lab: str | None
    specimen_at: datetime
    values: list[tuple[LabResult, Observation]]


def lab_history(db: Session, actor: Actor, patient_id: str) -> list[LabView]:
    """The patient's lab values grouped by report and specimen date, newest first."""
    grouped: dict[tuple[str, datetime], list[tuple[LabResult, Observation]]] = {}
    for row, observation in patient_results(db, actor, patient_id):
        grouped.setdefault((row.lab_report_id, _aware(observation.effective_at)), []).append(
            (row, observation)
        )
    labs_of = (
        {
            report.id: report.lab
            for report in db.exec(
                select(LabReport).where(col(LabReport.id).in_({key[0] for key in grouped}))
            ).all()
        }
        if grouped
        else {}
    )
    return [
        LabView(report_id, values[0][0].lab or labs_of.get(report_id), specimen_at, values)
        for (report_id, specimen_at), values in grouped.items()
    ]
