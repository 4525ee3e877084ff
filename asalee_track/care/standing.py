"""Which observations stand: the one condition every reader of clinical values shares."""

from sqlalchemy import ColumnElement
from sqlmodel import col, or_

from asalee_track.store.tables import CareSession, Observation


def stands() -> list[ColumnElement[bool]]:
    """Conditions for a query that outer-joins each observation's session: an observation stands when
    it belongs to a session's current version not marked in error, or to a lab result not corrected
    since (lab observations have no session)."""
    return [
        or_(
            col(Observation.session_id).is_(None),
            col(CareSession.superseded_by_id).is_(None) & (CareSession.status != "entered-in-error"),
        ),
        col(Observation.superseded_by_id).is_(None),
        col(Observation.status) != "entered-in-error",
    ]
