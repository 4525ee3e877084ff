"""The tables. Clinical rows are never deleted nor overwritten without keeping the earlier values."""

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from asalee_track.store.types import UTCDateTime, utcnow


def new_id() -> str:
    return str(uuid.uuid4())


def _when(**kw: object) -> object:
    return Field(sa_type=UTCDateTime, **kw)  # type: ignore[arg-type]


class Practice(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    finess: str | None = Field(default=None, max_length=9)
    address: str | None = Field(default=None, max_length=500)
    created_at: datetime = _when(default_factory=utcnow)  # type: ignore[assignment]


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
    # Bumped by "log out everywhere" and password changes: older session cookies stop working.
    session_epoch: int = Field(default=0)
    created_at: datetime = _when(default_factory=utcnow)  # type: ignore[assignment]


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
    # Names folded (no accents, lower case) so that "helene" finds "Hélène" on any backend.
    search_key: str = Field(max_length=260)
    version: int = Field(default=1)
    created_at: datetime = _when(default_factory=utcnow)  # type: ignore[assignment]
    updated_at: datetime = _when(default_factory=utcnow)  # type: ignore[assignment]


class PatientRevision(SQLModel, table=True):
    """The values a patient record held before each edit: nothing typed is ever lost."""

    __tablename__ = "patient_revision"

    id: int | None = Field(default=None, primary_key=True)
    patient_id: str = Field(foreign_key="patient.id", index=True, max_length=36)
    version: int
    values: dict = Field(sa_column=Column(JSON, nullable=False))
    replaced_by_user_id: int | None = Field(default=None, foreign_key="app_user.id")
    replaced_at: datetime = _when(default_factory=utcnow)  # type: ignore[assignment]


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_practice_time", "practice_id", "at"),
        Index("ix_audit_patient", "patient_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _when(default_factory=utcnow)  # type: ignore[assignment]
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
    """One row: the chain's last hash and length. Locking it serialises appends across workers."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    last_hash: str = Field(max_length=64)
    count: int = Field(default=0)


class LoginAttempt(SQLModel, table=True):
    """Failed logins, kept in the database so that every worker sees the same rate limit."""

    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_email_at", "email", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254)
    client: str = Field(max_length=64)
    at: datetime = _when(default_factory=utcnow)  # type: ignore[assignment]
