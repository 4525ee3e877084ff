"""FastAPI dependencies: the database session, who is acting, and role guards. Authorisation lives here."""

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Annotated, ParamSpec, TypeVar

from fastapi import Depends, Request
from sqlalchemy.engine import Engine
from sqlmodel import Session

from asalee_track.care import accounts, audit, user_sessions
from asalee_track.care.actor import CLINICAL_ROLES, Actor
from asalee_track.care.errors import CareError, Forbidden, NotFound
from asalee_track.config import Settings
from asalee_track.protocols import ProtocolSet
from asalee_track.store.db import read_only
from asalee_track.store.tables import User
from asalee_track.web.security import SAFE_METHODS, session_token

P = ParamSpec("P")
R = TypeVar("R")


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_db(request: Request) -> Iterator[Session]:
    """One session and one transaction per request, committed before the response leaves.

    GET and HEAD only read: their transaction is read-only, so reads run side by side, even on SQLite.
    What they audit (and the session's "last seen") is written after the read, in a short transaction
    of its own, still before the response leaves: no audited read is ever answered unrecorded.

    A refusal (CareError) still commits: use cases validate before they write, so all a refusal leaves
    is its audit record, which must stay. Any other error rolls everything back."""
    if request.method in SAFE_METHODS and not _writes_on_get(request):
        yield from _read_db(request)
    else:
        yield from _write_db(request)


def writes_on_get(endpoint: Callable[P, R]) -> Callable[P, R]:
    """Marks the rare GET route that writes more than its audit record (a Bulk Data kick-off)."""
    endpoint.writes_on_get = True  # type: ignore[attr-defined]
    return endpoint


def _writes_on_get(request: Request) -> bool:
    route = request.scope.get("route")
    return bool(getattr(getattr(route, "endpoint", None), "writes_on_get", False))


def _write_db(request: Request) -> Iterator[Session]:
    engine: Engine = request.app.state.engine
    with Session(engine, expire_on_commit=False) as db:
        try:
            yield db
        except CareError as refusal:
            _audit_refusal(request, db, refusal)
            db.commit()
            raise
        except BaseException:
            db.rollback()
            raise
        db.commit()


def _read_db(request: Request) -> Iterator[Session]:
    engine: Engine = request.app.state.engine
    with Session(read_only(engine), expire_on_commit=False) as db:
        try:
            yield db
        except CareError as refusal:
            _audit_refusal(request, db, refusal)
            _write_after_read(request, engine, db)
            raise
        except BaseException:
            db.rollback()
            raise
        _write_after_read(request, engine, db)


def after_read(request: Request, db: Session, write: Callable[[Session], None]) -> None:
    """A small write a read request owes (a session's or a token's "last used"): done in the short
    transaction that follows the read, or at once in a writing request's own transaction."""
    if request.method in SAFE_METHODS and not _writes_on_get(request):
        request.state.after_read = [*getattr(request.state, "after_read", []), write]
    else:
        write(db)


def _write_after_read(request: Request, engine: Engine, db: Session) -> None:
    events = audit.take_pending(db)
    writes: list[Callable[[Session], None]] = getattr(request.state, "after_read", [])
    db.rollback()  # the read ends: its snapshot and connection go back before the write begins
    if not events and not writes:
        return
    with Session(engine, expire_on_commit=False) as writer:
        audit.append(writer, events)
        for write in writes:
            write(writer)
        writer.commit()


def _audit_refusal(request: Request, db: Session, refusal: CareError) -> None:
    """Every refusal of a logged-in user is an audit event: probes on another practice's sessions,
    alerts or concertations leave a trace, as probes on its patients always did."""
    actor: Actor | None = getattr(request.state, "actor", None)
    if actor is None or refusal.audited or not isinstance(refusal, NotFound | Forbidden):
        return
    route = request.scope.get("route")
    template = getattr(route, "path", request.url.path)
    first_param = next(iter(request.path_params.values()), None)
    outcome = "not-found" if isinstance(refusal, NotFound) else "forbidden"
    where = f"{request.method} {request.url.path}"[:500]
    audit.record(db, actor, "denied", template[:40], first_param, outcome=outcome, detail=where)


DbSession = Annotated[Session, Depends(get_db, scope="function")]


class LoginRequired(Exception):
    """No valid session: the handler sends the browser to the login page."""


def session_limits(settings: Settings) -> user_sessions.Limits:
    return user_sessions.Limits(
        idle=timedelta(minutes=settings.session_idle_minutes),
        absolute=timedelta(hours=settings.session_absolute_hours),
    )


def current_user(request: Request, db: DbSession) -> User:
    token = session_token(request)
    found = user_sessions.resolve(db, token, session_limits(get_settings(request))) if token else None
    if found is None:
        if token:  # ended or expired: forget it; an anonymous session keeps its form token
            request.state.expired_user_id = user_sessions.expired_user(db, token)
            csrf = request.session.get("csrf")
            request.session.clear()
            if csrf:
                request.session["csrf"] = csrf
        raise LoginRequired()
    if found.touch:
        session_id = found.session.id or 0
        after_read(request, db, lambda writer: user_sessions.touch(writer, session_id))
    request.state.user_session_id = found.session.id
    request.state.locale = request.session.get("locale") or found.user.locale
    return found.user


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
    assert isinstance(practice_id, int)  # one of the user's stored practices
    actor = accounts.actor_in(user, practices, practice_id)
    request.state.actor = actor
    return actor


CurrentActor = Annotated[Actor, Depends(current_actor)]


def require_role(*roles: str) -> Callable[[Actor], Actor]:
    def guard(actor: CurrentActor) -> Actor:
        if actor.role not in roles:
            raise Forbidden()
        return actor

    return guard


Clinician = Annotated[Actor, Depends(require_role(*CLINICAL_ROLES))]
Admin = Annotated[Actor, Depends(require_role("admin"))]


def get_protocols(request: Request) -> ProtocolSet:
    return request.app.state.protocols


Protocols = Annotated[ProtocolSet, Depends(get_protocols)]
