"""Login, logout, practice switcher, language."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse, Response

from asalee_track import i18n
from asalee_track.care import accounts, audit, login_throttle, user_sessions
from asalee_track.care.errors import Forbidden, Invalid
from asalee_track.care.inputs import MAX_ID
from asalee_track.config import Settings
from asalee_track.web import devices, pending
from asalee_track.web.deps import CurrentActor, CurrentUser, DbSession, get_settings, session_limits
from asalee_track.web.rendering import field_errors, render
from asalee_track.web.security import session_token, sign_in, sign_out

router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Only paths of this site: never an open redirect to another host."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/")
def home(actor: CurrentActor) -> Response:
    return RedirectResponse("/admin/audit" if actor.is_admin else "/worklist", status_code=303)


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:
    kept = bool(pending.kept_token(request))
    return render(request, "login.html", {"next": _safe_next(next), "email": "", "error": None, "kept": kept})


def login_policy(settings: Settings) -> login_throttle.Policy:
    return login_throttle.Policy(
        per_account_and_client=settings.login_max_failures,
        per_client=settings.login_client_max_failures,
        per_account=settings.login_account_max_failures,
        window=timedelta(minutes=settings.login_window_minutes),
    )


def client_summary(request: Request) -> str:
    """What the account page shows to recognise a session: address and browser."""
    address = request.client.host if request.client else "-"
    return f"{address} — {request.headers.get('user-agent', '')[:150]}"


@router.post("/login")
def login(
    request: Request,
    db: DbSession,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    settings = get_settings(request)
    client = request.client.host if request.client else "-"
    result = accounts.authenticate(
        db, email, password, client, login_policy(settings), devices.knows(request, settings, email)
    )
    if result.user is None or result.user.id is None:
        if result.retry_after:
            text = i18n.gettext(
                i18n.N_("Too many failed attempts. Wait %(seconds)s seconds before trying again.")
            ) % {"seconds": result.retry_after}
        else:
            text = i18n.gettext(i18n.N_("Wrong email or password."))
        page = render(
            request,
            "login.html",
            {
                "next": _safe_next(next),
                "email": email,
                "error": text,
                "kept": bool(pending.kept_token(request)),
            },
            status_code=429 if result.retry_after else 401,
        )
        if result.retry_after:
            page.headers["Retry-After"] = str(result.retry_after)
        return page
    practices = accounts.practices_of(db, result.user.id)
    kept = pending.kept_token(request)  # read before the login replaces the cookie
    token = user_sessions.open_session(db, result.user, client_summary(request))
    sign_in(request, token, practices[0].id if practices else None, result.user.locale)
    response = pending.resume_page(request, db, result.user.id, kept) or RedirectResponse(
        _safe_next(next), status_code=303
    )
    devices.remember(response, settings, result.user.email, request)
    return response


@router.post("/logout")
def logout(request: Request, db: DbSession, actor: CurrentActor) -> Response:
    user_sessions.end(db, session_token(request), "logout")
    audit.record(db, actor, "logout", "user", actor.user_id)
    sign_out(request)
    return RedirectResponse("/login", status_code=303)


@router.post("/practice")
def switch_practice(
    request: Request, db: DbSession, user: CurrentUser, practice_id: Annotated[int, Form(ge=1, le=MAX_ID)]
) -> Response:
    assert user.id is not None
    if not any(p.id == practice_id for p in accounts.practices_of(db, user.id)):
        raise Forbidden()
    request.session["pid"] = practice_id
    return RedirectResponse("/", status_code=303)


@router.post("/locale")
def switch_locale(
    request: Request, locale: Annotated[str, Form()], next: Annotated[str, Form()] = "/"
) -> Response:
    if locale in i18n.SUPPORTED:
        request.session["locale"] = locale
    return RedirectResponse(_safe_next(next), status_code=303)


def _account_page(
    request: Request, db: DbSession, actor: CurrentActor, errors: dict[str, str], status_code: int = 200
) -> Response:
    limits = session_limits(get_settings(request))
    context = {
        "errors": errors,
        "done": request.query_params.get("done") == "1",
        "open_sessions": user_sessions.open_sessions(db, actor.user_id, limits),
        "this_session": getattr(request.state, "user_session_id", None),
    }
    return render(request, "account.html", context, status_code)


@router.get("/account")
def account(request: Request, db: DbSession, actor: CurrentActor) -> Response:
    return _account_page(request, db, actor, {})


@router.post("/account/sessions/{user_session_id}/end")
def end_session(
    db: DbSession, actor: CurrentActor, user_session_id: Annotated[int, Path(ge=1, le=MAX_ID)]
) -> Response:
    user_sessions.end_one(db, actor, user_session_id)
    return RedirectResponse("/account", status_code=303)


@router.post("/account/password")
def change_password(
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    current: Annotated[str, Form(max_length=1024)] = "",
    new: Annotated[str, Form(max_length=1024)] = "",
    confirm: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    try:
        accounts.change_password(
            db, actor, current, new, confirm, keep_session=getattr(request.state, "user_session_id", None)
        )
    except Invalid as refused:
        return _account_page(request, db, actor, field_errors(request, refused), 422)
    return RedirectResponse("/account?done=1", status_code=303)


@router.post("/account/logout-everywhere")
def logout_everywhere(request: Request, db: DbSession, actor: CurrentActor) -> Response:
    accounts.end_all_sessions(db, actor)
    sign_out(request)
    return RedirectResponse("/login", status_code=303)
