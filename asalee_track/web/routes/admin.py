"""Administration: the audit log of the practice, in words, filtered, paged and exported as CSV."""

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from asalee_track.care import audit_log
from asalee_track.care.actor import Actor
from asalee_track.care.errors import Invalid
from asalee_track.web.deps import Admin, DbSession, Protocols
from asalee_track.web.rendering import field_errors, render, request_locale

router = APIRouter(prefix="/admin")
FILTERS = ("patient", "user", "action", "since", "until")


def _typed(request: Request) -> dict[str, str]:
    return {name: request.query_params.get(name, "") for name in FILTERS}


def _refused(
    request: Request, db: Session, actor: Actor, typed: dict[str, str], refused: Invalid
) -> Response:
    """The filters as typed, each refused one with its message; no event shown, nothing exported."""
    context = {
        "filters": typed,
        "actions": audit_log.ACTIONS,
        "users": audit_log.practice_users(db, actor),
        "errors": field_errors(request, refused),
    }
    return render(request, "admin/audit.html", context, status_code=422)


@router.get("/audit")
def audit_page(
    request: Request, db: DbSession, actor: Admin, protocols: Protocols, page: int = 1
) -> Response:
    typed = _typed(request)
    try:
        filters = audit_log.parse_filters(typed)
    except Invalid as refused:
        return _refused(request, db, actor, typed, refused)
    shown = audit_log.page(db, actor, protocols, filters, page, request_locale(request))
    context = {
        "filters": typed,
        "actions": audit_log.ACTIONS,
        "users": shown.users,
        "errors": {},
        "log": shown,
        "query": filters.query_string(),
    }
    return render(request, "admin/audit.html", context)


@router.get("/audit.csv")
def audit_csv(request: Request, db: DbSession, actor: Admin, protocols: Protocols) -> Response:
    typed = _typed(request)
    try:
        filters = audit_log.parse_filters(typed)
    except Invalid as refused:
        return _refused(request, db, actor, typed, refused)
    body = audit_log.export_csv(db, actor, protocols, filters, request_locale(request))
    # The BOM (written by export_csv) tells Excel the file is UTF-8; without it, accents come out garbled.
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="journal-audit.csv"'},
    )
