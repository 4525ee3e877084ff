"""FastAPI dependencies: the database session, who is acting, and role guards. Authorisation lives here."""

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.engine import Engine
from sqlmodel import Session

from asalee_track.care import accounts
from asalee_track.care.actor import Actor
from asalee_track.care.errors import CareError, Forbidden
from asalee_track.config import Settings
from asalee_track.protocols import ProtocolSet
from asalee_track.store.tables import User


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_db(request: Request) -> Iterator[Session]:
    """One session and one transaction per request, committed before the response leaves.

    A refusal (CareError) still commits: use cases validate before they write, so all a refusal leaves
    is its audit record, which must stay. Any other error rolls everything back."""
    engine: Engine = request.app.state.engine
    with Session(engine, expire_on_commit=False) as db:
        try:
            yield db
        except CareError:
            db.commit()
            raise
        except BaseException:
            db.rollback()
            raise
        db.commit()


DbSession = Annotated[Session, Depends(get_db, scope="function")]


class LoginRequired(Exception):
    """No valid session: the handler sends the browser to the login page."""


def current_user(request: Request, db: DbSession) -> User:
    uid = request.session.get("uid")
    user = db.get(User, uid) if isinstance(uid, int) else None
    if user is None or not user.active or request.session.get("epoch") != user.session_epoch:
        if uid is not None:  # a stale or revoked login: forget it; an anonymous session keeps its form token
            request.session.clear()
        raise LoginRequired()
    request.state.locale = request.session.get("locale") or user.locale
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def current_actor(request: Request, db: DbSession, user: CurrentUser) -> Actor:
    """The user acting in the practice chosen in their session (their first one by default)."""
    assert user.id is not None
    practices = accounts.practices_of(db, user.id)
    # Plain values: error pages render them after the session has closed or rolled back.
    request.state.practices = [{"id": p.id, "name": p.name} for p in practices]
    practice_id = request.session.get("pid")
    if not any(p.id == practice_id for p in practices):
        if not practices:
            raise Forbidden()
        practice_id = practices[0].id
        request.session["pid"] = practice_id
    actor = accounts.actor_for(db, user.id, practice_id)
    request.state.actor = actor
    return actor


CurrentActor = Annotated[Actor, Depends(current_actor)]


def require_role(*roles: str) -> Callable[[Actor], Actor]:
    def guard(actor: CurrentActor) -> Actor:
        if actor.role not in roles:
            raise Forbidden()
        return actor

    return guard


Clinician = Annotated[Actor, Depends(require_role("nurse", "gp"))]
Admin = Annotated[Actor, Depends(require_role("admin"))]


def get_protocols(request: Request) -> ProtocolSet:
    return request.app.state.protocols


Protocols = Annotated[ProtocolSet, Depends(get_protocols)]
