"""Practices, users, memberships, passwords and logins."""

import secrets
from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, select

from asalee_track.care import audit, login_throttle, user_sessions
from asalee_track.care.actor import ROLES, Actor
from asalee_track.care.errors import Invalid, NotFound
from asalee_track.i18n import N_
from asalee_track.store.tables import Membership, Practice, User

_hasher = PasswordHasher()


def set_hash_cost(time_cost: int, memory_kib: int) -> None:
    """Cheaper argon2 for test suites and benchmarks, which create and log in hundreds of users.
    Deployments keep argon2-cffi's defaults (RFC 9106's low-memory profile)."""
    global _hasher
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)
    _dummy_hash.cache_clear()


@cache
def _dummy_hash() -> str:
    """Checked when the email is unknown, so that a login takes as long whether the account exists."""
    return _hasher.hash(secrets.token_urlsafe(16))


MIN_PASSWORD_LENGTH = 12  # ANSSI: length matters more than character classes
# Refused whatever their length: what people type when asked for a long password.
COMMON_PASSWORDS = {
    "azertyuiopqsdf",
    "motdepasse123",
    "123456789012",
    "qwertyuiopas",
    "password1234",
    "administrateur",
    "infirmiere123",
    "medecin12345",
}


def password_problem(password: str, email: str) -> tuple[str, dict[str, object]] | None:
    """Why a new password is refused, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return N_("At least %(n)s characters."), {"n": MIN_PASSWORD_LENGTH}
    lowered = password.lower()
    local = email.split("@")[0].lower()
    if lowered in COMMON_PASSWORDS or len(set(lowered)) < 4 or (len(local) >= 4 and local in lowered):
        return N_("Too easy to guess: avoid your email, repeated characters and common passwords."), {}
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def create_practice(
    db: Session, name: str, finess: str | None = None, address: str | None = None
) -> Practice:
    practice = Practice(name=name, finess=finess, address=address)
    db.add(practice)
    db.flush()
    assert practice.id is not None
    audit.start_chain(db, practice.id)
    return practice


def rpps_problem(
    db: Session, rpps: str | None, practice_ids: list[int]
) -> tuple[str, dict[str, object]] | None:
    """An RPPS number is 11 digits and names one person: two members of a practice cannot share it
    (their Practitioner resources would merge in any directory that keys on it)."""
    if rpps is None:
        return None
    if not (len(rpps) == 11 and rpps.isdigit()):
        return (N_("An RPPS number has 11 digits."), {})
    taken = db.exec(
        select(User.id)
        .join(Membership, col(Membership.user_id) == User.id)
        .where(User.rpps == rpps, col(Membership.practice_id).in_(practice_ids))
    ).first()
    if taken is not None:
        return (N_("This RPPS number is already used by a member of this practice."), {})
    return None


def create_user(
    db: Session,
    email: str,
    display_name: str,
    role: str,
    password: str,
    practice_ids: list[int],
    rpps: str | None = None,
    locale: str = "fr",
) -> User:
    email = email.strip().lower()
    errors: dict[str, tuple[str, dict[str, object]]] = {}
    if role not in ROLES:
        errors["role"] = (N_("Unknown role."), {})
    problem = password_problem(password, email)
    if problem:
        errors["password"] = problem
    if "@" not in email:
        errors["email"] = (N_("Enter a valid email address."), {})
    elif db.exec(select(User).where(User.email == email)).first():
        errors["email"] = (N_("This email address is already used."), {})
    rpps = (rpps or "").strip() or None
    problem = rpps_problem(db, rpps, practice_ids)
    if problem:
        errors["rpps"] = problem
    if errors:
        raise Invalid(errors)
    user = User(
        email=email,
        display_name=display_name,
        role=role,
        rpps=rpps,
        password_hash=hash_password(password),
        locale=locale,
    )
    db.add(user)
    db.flush()
    assert user.id is not None  # given by the flush
    for practice_id in practice_ids:
        db.add(Membership(user_id=user.id, practice_id=practice_id))
    db.flush()
    return user


def practices_of(db: Session, user_id: int) -> list[Practice]:
    return list(
        db.exec(
            select(Practice)
            .join(Membership, col(Membership.practice_id) == Practice.id)
            .where(Membership.user_id == user_id)
            .order_by(Practice.name)
        ).all()
    )


def practice_ids(db: Session) -> list[int]:
    """Every practice of the deployment, for the server's operator (command-line exports)."""
    return [p for p in db.exec(select(Practice.id).order_by(col(Practice.id))).all() if p is not None]


def actor_in(user: User, practices: list[Practice], practice_id: int) -> Actor:
    """The acting user in one of ``practices``, the ones their memberships give them (`practices_of`,
    read once per request); any other practice, or an inactive user, is not found."""
    if user.id is None or not user.active or not any(p.id == practice_id for p in practices):
        raise NotFound()
    return Actor(user_id=user.id, practice_id=practice_id, role=user.role, display_name=user.display_name)


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    retry_after: int = 0  # seconds, when the login was not even checked (too many failures)


def authenticate(
    db: Session,
    email: str,
    password: str,
    client: str,
    policy: login_throttle.Policy,
    known_device: bool = False,
) -> LoginResult:
    """Check a password, unless recent failures ask this client to wait (login_throttle)."""
    email = email.strip().lower()
    user = db.exec(select(User).where(User.email == email)).first()
    practice_id = _first_practice_id(db, user)

    def audited(outcome: str) -> None:
        audit.record(
            db,
            None,
            "login",
            "user",
            email,
            outcome=outcome,
            user_id=user.id if user else None,
            practice_id=practice_id,
        )

    wait = login_throttle.retry_after(db, policy, email, client, known_device)
    if wait:
        audited("rate-limited")
        return LoginResult(None, retry_after=wait)
    if not _verify(user, password) or user is None or not user.active:
        login_throttle.record_failure(db, policy, email, client)
        audited("failure")
        return LoginResult(None)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        db.add(user)
    login_throttle.forget(db, email)
    audit.record(db, None, "login", "user", user.id, user_id=user.id, practice_id=practice_id)
    return LoginResult(user)


def _verify(user: User | None, password: str) -> bool:
    """Always one hash check: against the user's hash, or a dummy one for an unknown email."""
    try:
        return _hasher.verify(user.password_hash if user else _dummy_hash(), password) and user is not None
    except (VerificationError, InvalidHashError):
        return False


def _first_practice_id(db: Session, user: User | None) -> int | None:
    if user is None or user.id is None:
        return None
    practices = practices_of(db, user.id)
    return practices[0].id if practices else None


def users_of_practice(db: Session, practice_id: int, role: str | None = None) -> list[User]:
    query = (
        select(User)
        .join(Membership, col(Membership.user_id) == User.id)
        .where(Membership.practice_id == practice_id, col(User.active).is_(True))
    )
    if role:
        query = query.where(User.role == role)
    return list(db.exec(query.order_by(User.display_name)).all())


def change_password(
    db: Session, actor: Actor, current: str, new: str, confirm: str, keep_session: int | None = None
) -> User:
    """A new password ends every other session of the user (``keep_session`` is the one in use)."""
    user = db.get(User, actor.user_id)
    assert user is not None
    errors: dict[str, tuple[str, dict[str, object]]] = {}
    if not _verify(user, current):
        errors["current"] = (N_("This is not your current password."), {})
    problem = password_problem(new, user.email)
    if problem:
        errors["new"] = problem
    elif new != confirm:
        errors["confirm"] = (N_("The two new passwords differ."), {})
    if errors:
        raise Invalid(errors)
    user.password_hash = hash_password(new)
    db.add(user)
    user_sessions.end_all(db, actor.user_id, "password", keep=keep_session)
    audit.record(db, actor, "update", "user", user.id, detail="password changed")
    return user


def end_all_sessions(db: Session, actor: Actor) -> None:
    """Log out everywhere: every session of the user, on every device, ends now."""
    ended = user_sessions.end_all(db, actor.user_id, "logout-all")
    audit.record(db, actor, "logout", "user", actor.user_id, detail=f"all sessions ({ended})")


def deactivate(db: Session, email: str) -> User:
    """An account closed (someone left the practice): its sessions end at once; its history stays."""
    user = db.exec(select(User).where(User.email == email.strip().lower())).first()
    if user is None or user.id is None:
        raise NotFound()
    user.active = False
    db.add(user)
    ended = user_sessions.end_all(db, user.id, "deactivated")
    for practice in practices_of(db, user.id):
        audit.record(
            db,
            None,
            "update",
            "user",
            user.id,
            detail=f"deactivated, {ended} sessions ended",
            practice_id=practice.id,
        )
    return user
