"""Which sessions and observations stand: the conditions every reader of clinical values shares.

A correction supersedes a session (or a lab value) with a new row; a mistake is marked entered-in-error.
Both stay readable in the history, so every query that means "what the record says now" filters here.
"""

from sqlalchemy import ColumnElement, or_

from asalee_track.store.tables import CareSession, Observation, table_of

# Table columns, not ORM attributes: the same conditions serve ORM queries in care and Core queries in fhir.
session_t = table_of(CareSession)
observation_t = table_of(Observation)


def current_version() -> ColumnElement[bool]:
    """A session's latest version. One marked in error is still its latest version: the timeline shows
    it struck through and FHIR exports it with its status, so those readers want it."""
    return session_t.c.superseded_by_id.is_(None)


def session_stands() -> ColumnElement[bool]:
    """A session that counts: its latest version, not marked in error (activity, reports)."""
    return current_version() & (session_t.c.status != "entered-in-error")


def value_stands() -> ColumnElement[bool]:
    """An observation row not corrected since and not marked in error (what a new lab value replaces)."""
    return observation_t.c.superseded_by_id.is_(None) & (observation_t.c.status != "entered-in-error")


def stands() -> list[ColumnElement[bool]]:
    """Conditions for a query that outer-joins each observation's session: an observation stands when
    it belongs to a session that stands, or to a lab result (no session), and is itself current."""
    return [or_(observation_t.c.session_id.is_(None), session_stands()), value_stands()]
