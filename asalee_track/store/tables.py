"""The tables. Clinical rows are never deleted nor overwritten without keeping the earlier values."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index, Table, UniqueConstraint
from sqlmodel import Field, SQLModel

from asalee_track.store.types import UTCDateTime, utcnow


def new_id() -> str:
    return str(uuid.uuid4())


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a table model, for queries that read columns without building objects
    (SQLModel creates it with the class; its type hints do not declare it)."""
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


def _when(**kw: Any) -> Any:
    return Field(sa_type=UTCDateTime, **kw)


class Practice(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    finess: str | None = Field(default=None, max_length=9)
    address: str | None = Field(default=None, max_length=500)
    created_at: datetime = _when(default_factory=utcnow)


class User(SQLModel, table=True):
    __tablename__ = "app_user"  # "user" is reserved in PostgreSQL

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    display_name: str = Field(max_length=200)
    role: str = Field(max_length=10)  # nurse, gp, admin
    rpps: str | None = Field(default=None, max_length=11)
    password_hash: str = Field(max_length=200)
    locale: str = Field(default="fr", max_length=5)
    active: bool = Field(default=True)
    created_at: datetime = _when(default_factory=utcnow)


class Membership(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("user_id", "practice_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    practice_id: int = Field(foreign_key="practice.id", index=True)


class Patient(SQLModel, table=True):
    __table_args__ = (
        Index("ix_patient_practice_search", "practice_id", "search_key"),
        Index("ix_patient_practice_ins", "practice_id", "ins"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    practice_id: int = Field(foreign_key="practice.id")
    family_name: str = Field(max_length=100)
    given_names: str = Field(max_length=150)
    birth_date: date
    sex: str = Field(max_length=10)  # female, male, other, unknown (FHIR administrative gender)
    ins: str | None = Field(default=None, max_length=15)
    local_id: str | None = Field(default=None, max_length=50)
    referring_gp_id: int | None = Field(default=None, foreign_key="app_user.id")
    phone: str | None = Field(default=None, max_length=30)
    # Strict traits (référentiel INS): family_name is the birth name, given_names the list of birth given
    # names, with birth_date, sex and the INSEE code of the birth place. The used names stay apart.
    birth_place_insee: str | None = Field(default=None, max_length=5)
    used_name: str | None = Field(default=None, max_length=100)
    used_given_name: str | None = Field(default=None, max_length=100)
    # Identity status (provisoire, recuperee, validee, qualifiee): only a qualified identity may carry
    # its INS outside the practice. Who checked which identity document, and when.
    identity_status: str = Field(default="provisoire", max_length=12)
    identity_document: str | None = Field(default=None, max_length=8)
    identity_validated_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    identity_validated_at: datetime | None = _when(default=None)
    identity_recovered_at: datetime | None = _when(default=None)
    # Names folded (no accents, lower case) so that "helene" finds "Hélène" on any backend.
    search_key: str = Field(max_length=260)
    version: int = Field(default=1)
    created_at: datetime = _when(default_factory=utcnow)
    updated_at: datetime = _when(default_factory=utcnow)


class PatientRevision(SQLModel, table=True):
    """The values a patient record held before each edit: nothing typed is ever lost."""

    __tablename__ = "patient_revision"

    id: int | None = Field(default=None, primary_key=True)
    patient_id: str = Field(foreign_key="patient.id", index=True, max_length=36)
    version: int
    values: dict = Field(sa_column=Column(JSON, nullable=False))
    replaced_by_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    replaced_at: datetime = _when(default_factory=utcnow)


class UserSession(SQLModel, table=True):
    """A login, kept server-side: the cookie carries only a random id whose hash is stored here, so
    logging out, a password change or a deactivated account ends it at once, on every device."""

    __tablename__ = "user_session"
    __table_args__ = (Index("ix_user_session_user", "user_id", "ended_at"),)

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="app_user.id")
    created_at: datetime = _when(default_factory=utcnow)
    last_seen_at: datetime = _when(default_factory=utcnow)
    ended_at: datetime | None = _when(default=None, nullable=True)
    ended_reason: str | None = Field(default=None, max_length=20)
    client: str = Field(default="", max_length=200)  # browser and address, for the user to recognise it


class PendingForm(SQLModel, table=True):
    """What a user posted after their login expired, kept until they log in again (or it expires)."""

    __tablename__ = "pending_form"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="app_user.id")
    path: str = Field(max_length=500)
    fields: list = Field(sa_column=Column(JSON, nullable=False))  # [[name, value], ...] in order
    created_at: datetime = _when(default_factory=utcnow)


class AuditEvent(SQLModel, table=True):
    """One event of a practice's chain (chain 0 holds what no practice owns: failed logins of unknown
    emails). ``seq`` numbers the chain from 1, so an anchor outside the database names one event."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_practice_time", "practice_id", "at"),
        Index("ix_audit_patient", "patient_id"),
        UniqueConstraint("chain", "seq", name="uq_audit_chain_seq"),
    )

    id: int | None = Field(default=None, primary_key=True)
    chain: int = Field(default=0)
    seq: int = Field(default=0)
    at: datetime = _when(default_factory=utcnow)
    user_id: int | None = Field(default=None)  # no foreign key: the trail outlives what it speaks of
    practice_id: int | None = Field(default=None)
    action: str = Field(max_length=20)  # read, create, update, export, login, logout, denied
    object_type: str = Field(max_length=40)
    object_id: str | None = Field(default=None, max_length=64)
    patient_id: str | None = Field(default=None, max_length=36)
    outcome: str = Field(default="success", max_length=20)
    detail: str | None = Field(default=None, max_length=500)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditHead(SQLModel, table=True):
    """One row per chain: its last hash and length. Locking it serialises appends to that practice's
    chain across workers; practices never wait for each other."""

    __tablename__ = "audit_head"

    chain: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    last_hash: str = Field(max_length=64)
    count: int = Field(default=0)


class LoginAttempt(SQLModel, table=True):
    """Failed logins within the throttling window, kept in the database so that every worker sees the
    same counts; older ones are purged."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_email_at", "email", "at"),
        Index("ix_login_attempt_client_at", "client", "at"),
        Index("ix_login_attempt_at", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254)
    client: str = Field(max_length=64)
    at: datetime = _when(default_factory=utcnow)


class Enrolment(SQLModel, table=True):
    """A patient in a pathway, under the protocol version in force when they were enrolled."""

    __table_args__ = (Index("ix_enrolment_practice_status", "practice_id", "status"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    patient_id: str = Field(foreign_key="patient.id", index=True, max_length=36)
    practice_id: int = Field(foreign_key="practice.id")
    protocol_id: str = Field(max_length=64)
    protocol_version: str = Field(max_length=32)
    referring_gp_id: int | None = Field(default=None, foreign_key="app_user.id")
    start_date: date
    consent_date: date
    consent_method: str = Field(max_length=20)  # oral, written, electronic
    consent_recorded_by: int = Field(foreign_key="app_user.id")
    status: str = Field(default="active", max_length=10)  # active, paused, ended
    created_at: datetime = _when(default_factory=utcnow)


class EnrolmentStatusChange(SQLModel, table=True):
    """Every pause, resumption and end, with its reason: the enrolment's history."""

    __tablename__ = "enrolment_status_change"

    id: int | None = Field(default=None, primary_key=True)
    enrolment_id: str = Field(foreign_key="enrolment.id", index=True, max_length=36)
    status: str = Field(max_length=10)
    reason: str | None = Field(default=None, max_length=500)
    changed_by: int = Field(foreign_key="app_user.id")
    changed_at: datetime = _when(default_factory=utcnow)


class CareSession(SQLModel, table=True):
    """A follow-up session. A correction is a new version (supersedes the previous one); an erroneous
    session is marked entered-in-error with a reason. Rows are never deleted."""

    __tablename__ = "care_session"
    __table_args__ = (
        Index("ix_care_session_patient_start", "patient_id", "started_at"),
        Index("ix_care_session_practice_start", "practice_id", "started_at"),
        UniqueConstraint("practice_id", "idempotency_key"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    patient_id: str = Field(foreign_key="patient.id", max_length=36)
    practice_id: int = Field(foreign_key="practice.id")
    nurse_id: int = Field(foreign_key="app_user.id")
    started_at: datetime = _when()
    duration_minutes: int
    kind: str = Field(max_length=12)  # first, follow-up, phone, group
    pathways: list = Field(sa_column=Column(JSON, nullable=False))  # protocol ids covered
    notes: str | None = Field(default=None, max_length=10_000)
    status: str = Field(default="final", max_length=20)  # final, amended, entered-in-error
    version: int = Field(default=1)
    supersedes_id: str | None = Field(default=None, foreign_key="care_session.id", max_length=36)
    superseded_by_id: str | None = Field(default=None, max_length=36)
    error_reason: str | None = Field(default=None, max_length=500)
    idempotency_key: str | None = Field(default=None, max_length=64)
    created_by: int = Field(foreign_key="app_user.id")
    created_at: datetime = _when(default_factory=utcnow)
    # Status changes (entered-in-error, superseded) touch the row: FHIR `_since` must see them.
    updated_at: datetime = _when(default_factory=utcnow)


class Observation(SQLModel, table=True):
    """One measured or coded value, in the protocol's canonical unit, with what was typed. It comes from
    a nurse's session or from a laboratory result (exactly one of the two)."""

    __table_args__ = (
        Index("ix_observation_patient_measure_time", "patient_id", "measure_id", "effective_at"),
        Index("ix_observation_session", "session_id"),
        Index("ix_observation_lab_result", "lab_result_id"),
        CheckConstraint("(session_id IS NULL) <> (lab_result_id IS NULL)", name="ck_observation_one_source"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    session_id: str | None = Field(default=None, foreign_key="care_session.id", max_length=36)
    lab_result_id: str | None = Field(default=None, foreign_key="lab_result.id", max_length=36)
    # A lab's corrected result: the earlier value stays, pointing at the one that replaced it.
    superseded_by_id: str | None = Field(default=None, max_length=36)
    patient_id: str = Field(foreign_key="patient.id", max_length=36)
    measure_id: str = Field(max_length=64)
    loinc: str | None = Field(default=None, max_length=16)
    value_num: float | None = None
    value_code: str | None = Field(default=None, max_length=64)
    value_system: str | None = Field(default=None, max_length=200)
    unit: str | None = Field(default=None, max_length=32)  # UCUM, canonical
    original_value: str | None = Field(default=None, max_length=64)
    original_unit: str | None = Field(default=None, max_length=32)
    computed: bool = Field(default=False)  # derived by the app (BMI), not typed
    effective_at: datetime = _when()
    status: str = Field(default="final", max_length=20)  # final, amended, entered-in-error


class SessionItem(SQLModel, table=True):
    """An education topic addressed or a delegated act performed during a session."""

    __tablename__ = "session_item"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    session_id: str = Field(foreign_key="care_session.id", index=True, max_length=36)
    kind: str = Field(max_length=10)  # education, act
    protocol_id: str = Field(max_length=64)
    item_id: str = Field(max_length=64)
    outcome: str | None = Field(default=None, max_length=500)


class Alert(SQLModel, table=True):
    """A protocol rule that fired: open until a GP acknowledges it, or closed when its evidence is
    withdrawn (entered in error)."""

    __table_args__ = (
        Index("ix_alert_practice_status", "practice_id", "status"),
        Index("ix_alert_patient_rule", "patient_id", "rule_id", "status"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    patient_id: str = Field(foreign_key="patient.id", max_length=36)
    practice_id: int = Field(foreign_key="practice.id")
    session_id: str | None = Field(default=None, foreign_key="care_session.id", max_length=36)
    protocol_id: str = Field(max_length=64)
    rule_id: str = Field(max_length=64)
    severity: str = Field(max_length=10)
    message: dict = Field(sa_column=Column(JSON, nullable=False))  # {"fr": ..., "en": ...}
    explanation: dict = Field(sa_column=Column(JSON, nullable=False))
    evidence: list = Field(sa_column=Column(JSON, nullable=False))  # observation ids
    raised_at: datetime = _when(default_factory=utcnow)
    status: str = Field(default="open", max_length=14)  # open, acknowledged, closed
    acknowledged_by: int | None = Field(default=None, foreign_key="app_user.id")
    acknowledged_at: datetime | None = _when(default=None)
    comment: str | None = Field(default=None, max_length=2000)
    # The GP's judgement when acknowledging: was the alert relevant? (None: not said.)
    relevant: bool | None = None
    closed_reason: str | None = Field(default=None, max_length=500)


class ApiToken(SQLModel, table=True):
    """A FHIR client's bearer token: only its hash is stored; scoped to one practice; revocable."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    practice_id: int = Field(foreign_key="practice.id", index=True)
    name: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, unique=True)
    scopes: str = Field(default="system/*.read", max_length=200)
    created_by: int = Field(foreign_key="app_user.id")
    created_at: datetime = _when(default_factory=utcnow)
    last_used_at: datetime | None = _when(default=None)
    revoked_at: datetime | None = _when(default=None)


class SmartClient(SQLModel, table=True):
    """A SMART Backend Services client: it proves who it is with a JWT signed by a key of its JWKS."""

    __tablename__ = "smart_client"

    id: int | None = Field(default=None, primary_key=True)
    practice_id: int = Field(foreign_key="practice.id", index=True)
    client_id: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=100)
    jwks: dict = Field(sa_column=Column(JSON, nullable=False))  # public keys only
    scopes: str = Field(max_length=500)  # the widest the client may ask for, space-separated
    created_by: int = Field(foreign_key="app_user.id")
    created_at: datetime = _when(default_factory=utcnow)
    revoked_at: datetime | None = _when(default=None)


class SmartAssertion(SQLModel, table=True):
    """The jti of each accepted client assertion until it expires: a replayed assertion is refused."""

    __tablename__ = "smart_assertion"
    __table_args__ = (UniqueConstraint("client_id", "jti"),)

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="smart_client.id", index=True)
    jti: str = Field(max_length=255)
    expires_at: datetime = _when()


class SmartAccessToken(SQLModel, table=True):
    """A short-lived access token issued to a SMART client: only its hash is stored."""

    __tablename__ = "smart_access_token"

    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="smart_client.id", index=True)
    practice_id: int = Field(foreign_key="practice.id")
    token_hash: str = Field(max_length=64, unique=True)
    scopes: str = Field(max_length=500)
    issued_at: datetime = _when(default_factory=utcnow)
    expires_at: datetime = _when()


class ExportJob(SQLModel, table=True):
    """A Bulk Data export: state lives here so that any worker can run it and it survives restarts."""

    __tablename__ = "export_job"
    __table_args__ = (Index("ix_export_job_status", "status"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    practice_id: int = Field(foreign_key="practice.id", index=True)
    requested_by_user: int | None = Field(default=None, foreign_key="app_user.id")
    requested_by_token: int | None = Field(default=None, foreign_key="api_token.id")
    request_url: str = Field(max_length=2000)
    params: dict = Field(sa_column=Column(JSON, nullable=False))  # level, _type, _since, group
    status: str = Field(default="queued", max_length=12)  # queued, running, done, failed, cancelled
    progress: int = Field(default=0)  # percent
    transaction_time: datetime = _when(default_factory=utcnow)
    manifest: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    error: str | None = Field(default=None, max_length=2000)
    claimed_by: str | None = Field(default=None, max_length=64)
    created_at: datetime = _when(default_factory=utcnow)
    updated_at: datetime = _when(default_factory=utcnow)
    # When a client last polled (faster than Retry-After gets 429), and when the files stop being served.
    last_polled_at: datetime | None = _when(default=None)
    expires_at: datetime | None = _when(default=None)


class PersonalTarget(SQLModel, table=True):
    """A patient's own target for a measure, set by a GP with a reason. A new target ends the previous
    one (ended_at) rather than replacing it, so the history shows when it changed."""

    __tablename__ = "personal_target"
    __table_args__ = (Index("ix_personal_target_patient", "patient_id", "measure_id"),)

    id: int | None = Field(default=None, primary_key=True)
    patient_id: str = Field(foreign_key="patient.id", max_length=36)
    measure_id: str = Field(max_length=64)
    min_value: float | None = None
    max_value: float | None = None
    reason: str = Field(max_length=500)
    set_by: int = Field(foreign_key="app_user.id")
    set_at: datetime = _when(default_factory=utcnow)
    ended_at: datetime | None = _when(default=None)


class PersonalInterval(SQLModel, table=True):
    """A patient's own follow-up interval for a measure (HbA1c every 6 months when stable at target),
    set by a GP with a reason, within the range the protocol allows. Like personal targets, a new
    interval ends the previous one (ended_at) rather than replacing it."""

    __tablename__ = "personal_interval"
    __table_args__ = (Index("ix_personal_interval_patient", "patient_id", "measure_id"),)

    id: int | None = Field(default=None, primary_key=True)
    patient_id: str = Field(foreign_key="patient.id", max_length=36)
    measure_id: str = Field(max_length=64)
    every: str = Field(max_length=32)  # ISO 8601 duration, e.g. P6M
    reason: str = Field(max_length=500)
    set_by: int = Field(foreign_key="app_user.id")
    set_at: datetime = _when(default_factory=utcnow)
    ended_at: datetime | None = _when(default=None)


class ReminderSnooze(SQLModel, table=True):
    """A nurse's decision to hold a patient's reminders for a while (called, will come; unreachable)."""

    __tablename__ = "reminder_snooze"
    __table_args__ = (Index("ix_reminder_snooze_patient_until", "patient_id", "until"),)

    id: int | None = Field(default=None, primary_key=True)
    patient_id: str = Field(foreign_key="patient.id", max_length=36)
    reason: str = Field(max_length=20)  # will-come, unreachable, other
    comment: str | None = Field(default=None, max_length=500)
    until: date
    set_by: int = Field(foreign_key="app_user.id")
    set_at: datetime = _when(default_factory=utcnow)


class Concertation(SQLModel, table=True):
    """A nurse–GP meeting to discuss patients."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    practice_id: int = Field(foreign_key="practice.id", index=True)
    held_on: date
    title: str | None = Field(default=None, max_length=200)
    participants: list = Field(sa_column=Column(JSON, nullable=False))  # user ids
    created_by: int = Field(foreign_key="app_user.id")
    created_at: datetime = _when(default_factory=utcnow)


class ConcertationItem(SQLModel, table=True):
    """One patient on a concertation's list, and what was decided for them."""

    __tablename__ = "concertation_item"
    __table_args__ = (
        UniqueConstraint("concertation_id", "patient_id"),
        Index("ix_concertation_item_patient", "patient_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    concertation_id: str = Field(foreign_key="concertation.id", max_length=36)
    patient_id: str = Field(foreign_key="patient.id", max_length=36)
    reason: str | None = Field(default=None, max_length=500)  # why the patient is on the list
    decision: str | None = Field(default=None, max_length=5000)
    decided_by: int | None = Field(default=None, foreign_key="app_user.id")
    decided_at: datetime | None = _when(default=None)


class MeasureLatest(SQLModel, table=True):
    """Derived, rebuilt from observations after each save or correction: when each measure was last
    taken for each patient. The worklist reads it instead of scanning years of observations."""

    __tablename__ = "measure_latest"
    __table_args__ = (Index("ix_measure_latest_practice", "practice_id"),)

    patient_id: str = Field(foreign_key="patient.id", primary_key=True, max_length=36)
    measure_id: str = Field(primary_key=True, max_length=64)
    practice_id: int = Field(foreign_key="practice.id")
    last_at: datetime = _when()


class MeasureDue(SQLModel, table=True):
    """Derived, rebuilt per patient after each save, correction, enrolment change or snooze (and for
    everyone when the protocols change): when each scheduled measure falls due, overdue, lost. The
    worklist then asks the database who has something due instead of computing every schedule."""

    __tablename__ = "measure_due"
    __table_args__ = (Index("ix_measure_due_practice_due", "practice_id", "due_at"),)

    patient_id: str = Field(foreign_key="patient.id", primary_key=True, max_length=36)
    protocol_id: str = Field(primary_key=True, max_length=64)
    measure_id: str = Field(primary_key=True, max_length=64)
    practice_id: int = Field(foreign_key="practice.id")
    due_at: datetime = _when()
    overdue_at: datetime = _when()
    lost_at: datetime = _when()


class WorklistEntry(SQLModel, table=True):
    """Derived, per patient and scope ("" for every pathway, else a protocol id): where the patient
    stands on the worklist (care.worklist_entries), rebuilt with their schedule and alerts. It holds
    until `valid_until`, when a measure next falls due, overdue or lost; the ranking index lets a page
    read its own rows only, whatever the size of the practice."""

    __tablename__ = "worklist_entry"
    __table_args__ = (
        Index(
            "ix_worklist_entry_rank",
            "practice_id",
            "scope",
            "severity",
            "worst",
            "undated",
            "oldest",
            "search_key",
            "patient_id",
        ),
        Index("ix_worklist_entry_expiry", "practice_id", "scope", "valid_until"),
        Index("ix_worklist_entry_counts", "practice_id", "scope", "status", "valid_until"),  # covering
    )

    patient_id: str = Field(foreign_key="patient.id", primary_key=True, max_length=36)
    scope: str = Field(primary_key=True, max_length=64)
    practice_id: int = Field(foreign_key="practice.id")
    search_key: str = Field(max_length=260)  # the patient's, for the order among equals
    severity: int  # of the most severe open alert, 0 the most urgent; 9 with none
    worst: int  # of what is due: 0 overdue, 1 due, 2 lost; 9 with nothing due
    undated: int  # 1 when nothing is due (no oldest): last among equals
    oldest: datetime | None = _when(default=None)  # the earliest due date of what is due
    status: str = Field(max_length=10)  # alert, overdue, due, lost, ok
    valid_until: datetime | None = _when(default=None)  # None: no change of status is scheduled


class AppState(SQLModel, table=True):
    """Small facts about the database itself, e.g. which protocols the derived schedule was built from."""

    __tablename__ = "app_state"

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=200)


class LabReport(SQLModel, table=True):
    """One lab result file received by the practice, and what became of it: the file's report."""

    __tablename__ = "lab_report"
    __table_args__ = (
        UniqueConstraint("practice_id", "sha256"),
        Index("ix_lab_report_practice_received", "practice_id", "received_at"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    practice_id: int = Field(foreign_key="practice.id")
    file_name: str = Field(max_length=255)
    sha256: str = Field(max_length=64)  # the same file twice is recognised, and imports nothing
    format: str = Field(max_length=16)  # hprim-sante, hprim-net, hl7-oru, unknown
    encoding: str = Field(max_length=16)
    lab: str | None = Field(default=None, max_length=200)
    status: str = Field(max_length=10)  # imported, refused
    counts: dict = Field(sa_column=Column(JSON, nullable=False))  # outcome → number of results
    problems: list = Field(sa_column=Column(JSON, nullable=False))  # [line, message id, params, fatal]
    imported_by: int | None = Field(default=None, foreign_key="app_user.id")  # None: the folder watcher
    received_at: datetime = _when(default_factory=utcnow)


class LabResult(SQLModel, table=True):
    """One result line of a lab file, whatever became of it: imported (then `observation_id`), already
    known, waiting for review (patient or mapping), not followed, refused or rejected with its reason."""

    __tablename__ = "lab_result"
    __table_args__ = (
        Index("ix_lab_result_practice_status", "practice_id", "status"),
        Index("ix_lab_result_patient_order_test", "patient_id", "order_no", "test"),
        Index("ix_lab_result_report", "lab_report_id"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    lab_report_id: str = Field(foreign_key="lab_report.id", max_length=36)
    practice_id: int = Field(foreign_key="practice.id")
    line: int
    identity: dict = Field(sa_column=Column(JSON, nullable=False))  # the patient as the lab wrote them
    patient_id: str | None = Field(default=None, foreign_key="patient.id", max_length=36)
    order_no: str = Field(max_length=64)
    test: str = Field(max_length=64)  # LOINC, else the lab's code, else its label: stable across corrections
    label: str = Field(max_length=200)
    code: str | None = Field(default=None, max_length=64)
    loinc: str | None = Field(default=None, max_length=16)
    value_text: str = Field(max_length=64)
    unit_text: str | None = Field(default=None, max_length=32)
    alternatives: list = Field(sa_column=Column(JSON, nullable=False))  # [[value, unit], ...]
    specimen_at: datetime | None = _when(default=None)
    reported_at: datetime | None = _when(default=None)
    lab: str | None = Field(default=None, max_length=200)
    measure_id: str | None = Field(default=None, max_length=64)
    observation_id: str | None = Field(default=None, max_length=36)
    # imported, known, review-patient, review-mapping, not-followed, refused, rejected
    status: str = Field(max_length=16)
    reason: str | None = Field(default=None, max_length=300)  # message id
    reason_params: dict = Field(sa_column=Column(JSON, nullable=False))
    resolved_by: int | None = Field(default=None, foreign_key="app_user.id")
    resolved_at: datetime | None = _when(default=None)


class LabMapping(SQLModel, table=True):
    """How a lab's code, label or LOINC (with its unit) maps to a protocol measure. Rows without a
    practice are the shipped defaults; a practice's own rows take precedence. No measure: known, and
    deliberately not followed (so it stops appearing in the list of labels to map)."""

    __tablename__ = "lab_mapping"
    __table_args__ = (
        UniqueConstraint("practice_id", "key_kind", "key", "unit"),
        Index("ix_lab_mapping_key", "key_kind", "key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    practice_id: int | None = Field(default=None, foreign_key="practice.id")
    key_kind: str = Field(max_length=8)  # loinc, code, label
    key: str = Field(max_length=200)  # folded (labels), upper case (codes), as is (LOINC)
    unit: str = Field(default="", max_length=32)  # the lab's unit, folded; "" for any unit
    measure_id: str | None = Field(default=None, max_length=64)
    ucum: str | None = Field(default=None, max_length=32)  # the lab unit in UCUM, when it needs saying
    created_by: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = _when(default_factory=utcnow)


class InstrumentResponse(SQLModel, table=True):
    """A questionnaire filled in during a session: complete (with its total, also recorded as the score
    measure's observation) or incomplete (no total). The answers are rows of ``instrument_answer``."""

    __tablename__ = "instrument_response"
    __table_args__ = (Index("ix_instrument_response_patient", "patient_id", "instrument_id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    session_id: str = Field(foreign_key="care_session.id", index=True, max_length=36)
    patient_id: str = Field(foreign_key="patient.id", max_length=36)
    protocol_id: str = Field(max_length=64)
    instrument_id: str = Field(max_length=64)
    status: str = Field(max_length=12)  # complete, incomplete
    score: float | None = None
    observation_id: str | None = Field(default=None, foreign_key="observation.id", max_length=36)


class InstrumentAnswer(SQLModel, table=True):
    __tablename__ = "instrument_answer"

    id: int | None = Field(default=None, primary_key=True)
    response_id: str = Field(foreign_key="instrument_response.id", index=True, max_length=36)
    item_id: str = Field(max_length=64)
    answer_code: str = Field(max_length=64)
    points: float


class HomeBpReading(SQLModel, table=True):
    """One reading of a home blood-pressure series, kept whether or not the series got averages."""

    __tablename__ = "home_bp_reading"

    id: int | None = Field(default=None, primary_key=True)
    session_id: str = Field(foreign_key="care_session.id", index=True, max_length=36)
    patient_id: str = Field(foreign_key="patient.id", max_length=36)
    protocol_id: str = Field(max_length=64)
    day: int
    period: str = Field(max_length=8)  # morning, evening
    rank: int
    sbp: float
    dbp: float


class EducationPlan(SQLModel, table=True):
    """The educational diagnosis (diagnostic éducatif): needs, resources and limits. Each edit is a new
    version; the earlier ones stay readable."""

    __tablename__ = "education_plan"
    __table_args__ = (Index("ix_education_plan_patient", "patient_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    patient_id: str = Field(foreign_key="patient.id", max_length=36)
    practice_id: int = Field(foreign_key="practice.id")
    version: int = Field(default=1)
    needs: str | None = Field(default=None, max_length=5000)
    resources: str | None = Field(default=None, max_length=5000)
    limits: str | None = Field(default=None, max_length=5000)
    recorded_by: int = Field(foreign_key="app_user.id")
    recorded_at: datetime = _when(default_factory=utcnow)


class PatientGoal(SQLModel, table=True):
    """A goal the patient sets, in their own words. ``status`` is the latest review's; every review is
    a row of ``goal_review``."""

    __tablename__ = "patient_goal"
    __table_args__ = (Index("ix_patient_goal_patient", "patient_id"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    patient_id: str = Field(foreign_key="patient.id", max_length=36)
    practice_id: int = Field(foreign_key="practice.id")
    text: str = Field(max_length=500)
    set_on: date
    target_date: date | None = None
    status: str = Field(default="in-progress", max_length=12)  # in-progress, achieved, abandoned
    created_by: int = Field(foreign_key="app_user.id")
    created_at: datetime = _when(default_factory=utcnow)
    updated_at: datetime = _when(default_factory=utcnow)


class GoalReview(SQLModel, table=True):
    __tablename__ = "goal_review"

    id: int | None = Field(default=None, primary_key=True)
    goal_id: str = Field(foreign_key="patient_goal.id", index=True, max_length=36)
    status: str = Field(max_length=12)
    comment: str | None = Field(default=None, max_length=1000)
    reviewed_on: date
    reviewed_by: int = Field(foreign_key="app_user.id")
    reviewed_at: datetime = _when(default_factory=utcnow)


class Workshop(SQLModel, table=True):
    """A group education workshop (atelier collectif): one row, and one attendance per patient."""

    __table_args__ = (Index("ix_workshop_practice_time", "practice_id", "held_at"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    practice_id: int = Field(foreign_key="practice.id")
    nurse_id: int = Field(foreign_key="app_user.id")
    held_at: datetime = _when()
    duration_minutes: int
    protocol_id: str | None = Field(default=None, max_length=64)
    title: str = Field(max_length=200)
    notes: str | None = Field(default=None, max_length=5000)
    created_by: int = Field(foreign_key="app_user.id")
    created_at: datetime = _when(default_factory=utcnow)


class WorkshopAttendance(SQLModel, table=True):
    __tablename__ = "workshop_attendance"
    __table_args__ = (
        UniqueConstraint("workshop_id", "patient_id"),
        Index("ix_workshop_attendance_patient", "patient_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workshop_id: str = Field(foreign_key="workshop.id", max_length=36)
    patient_id: str = Field(foreign_key="patient.id", max_length=36)
    status: str = Field(max_length=10)  # present, absent, excused
    note: str | None = Field(default=None, max_length=500)


class AdverseEvent(SQLModel, table=True):
    """The register of adverse events (événements indésirables) the nurse or the GP fills in."""

    __tablename__ = "adverse_event"
    __table_args__ = (Index("ix_adverse_event_practice_day", "practice_id", "occurred_on"),)

    id: int | None = Field(default=None, primary_key=True)
    practice_id: int = Field(foreign_key="practice.id")
    patient_id: str | None = Field(default=None, foreign_key="patient.id", max_length=36)
    protocol_id: str | None = Field(default=None, max_length=64)
    occurred_on: date
    severity: str = Field(max_length=10)  # mild, moderate, severe
    description: str = Field(max_length=2000)
    action_taken: str | None = Field(default=None, max_length=2000)
    reported_by: int = Field(foreign_key="app_user.id")
    reported_at: datetime = _when(default_factory=utcnow)


class EnrolmentRefusal(SQLModel, table=True):
    """A patient offered a pathway who declined, and why (the yearly report counts them)."""

    __tablename__ = "enrolment_refusal"
    __table_args__ = (Index("ix_enrolment_refusal_practice_day", "practice_id", "refused_on"),)

    id: int | None = Field(default=None, primary_key=True)
    practice_id: int = Field(foreign_key="practice.id")
    patient_id: str = Field(foreign_key="patient.id", max_length=36)
    protocol_id: str = Field(max_length=64)
    refused_on: date
    reason: str = Field(max_length=500)
    recorded_by: int = Field(foreign_key="app_user.id")
    recorded_at: datetime = _when(default_factory=utcnow)
