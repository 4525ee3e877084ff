"""Login, logout, practice switcher, language."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from asalee_track import i18n
from asalee_track.care import accounts, audit
from asalee_track.care.errors import Forbidden, Invalid
from asalee_track.care.inputs import MAX_ID
from asalee_track.web.deps import CurrentActor, CurrentUser, DbSession, get_settings
from asalee_track.web.rendering import field_errors, render
from asalee_track.web.security import sign_in, sign_out

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
    return render(request, "login.html", {"next": _safe_next(next), "email": "", "error": None})


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
        db,
        email,
        password,
        client,
        settings.login_max_failures,
        timedelta(minutes=settings.login_window_minutes),
    )
    if result.user is None or result.user.id is None:
        message = (
            i18n.N_("Too many failed attempts. Wait %(minutes)s minutes before trying again.")
            if result.rate_limited
            else i18n.N_("Wrong email or password.")
        )
        i18n.set_locale(request.state.locale)
        text = i18n.gettext(message) % {"minutes": settings.login_window_minutes}
        return render(
            request,
            "login.html",
            {"next": _safe_next(next), "email": email, "error": text},
            status_code=429 if result.rate_limited else 401,
        )
    practices = accounts.practices_of(db, result.user.id)
    sign_in(
        request,
        result.user.id,
        practices[0].id if practices else None,
        result.user.session_epoch,
        result.user.locale,
    )
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, db: DbSession, actor: CurrentActor) -> Response:
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


@router.get("/account")
def account(request: Request, actor: CurrentActor) -> Response:
    return render(request, "account.html", {"errors": {}, "done": request.query_params.get("done") == "1"})


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
        user = accounts.change_password(db, actor, current, new, confirm)
    except Invalid as refused:
        return render(request, "account.html", {"errors": field_errors(request, refused), "done": False}, 422)
    assert user.id is not None
    # This session carries on under the new epoch; every other one ends.
    sign_in(
        request, user.id, actor.practice_id, user.session_epoch, request.session.get("locale") or user.locale
    )
    return RedirectResponse("/account?done=1", status_code=303)


@router.post("/account/logout-everywhere")
def logout_everywhere(request: Request, db: DbSession, actor: CurrentActor) -> Response:
    accounts.end_all_sessions(db, actor)
    sign_out(request)
    return RedirectResponse("/login", status_code=303)
