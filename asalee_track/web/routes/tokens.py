"""Administration of FHIR clients: API tokens (shown once, listed, revoked) and SMART Backend Services
clients (registered with their public JWKS, listed, revoked)."""

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse, Response

from asalee_track.care import api_tokens, smart_clients
from asalee_track.care.errors import Invalid
from asalee_track.care.inputs import MAX_ID
from asalee_track.store.tables import SmartClient
from asalee_track.web.deps import Admin, DbSession
from asalee_track.web.rendering import field_errors, render

router = APIRouter(prefix="/admin")


def _page(
    request: Request,
    db: DbSession,
    actor: Admin,
    *,
    created: str | None = None,
    created_name: str = "",
    errors: dict[str, str] | None = None,
    name: str = "",
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "admin/tokens.html",
        {
            "tokens": api_tokens.list_tokens(db, actor),
            "created": created,
            "created_name": created_name,
            "errors": errors or {},
            "name": name,
            "fhir_base": str(request.base_url).rstrip("/") + "/fhir",
        },
        status_code=status_code,
    )


@router.get("/tokens")
def tokens_page(request: Request, db: DbSession, actor: Admin) -> Response:
    return _page(request, db, actor)


@router.post("/tokens")
def create_token(request: Request, db: DbSession, actor: Admin, name: str = Form("")) -> Response:
    try:
        token, clear = api_tokens.create(db, actor, name)
    except Invalid as error:
        return _page(request, db, actor, errors=field_errors(request, error), name=name, status_code=422)
    # Shown in this response only: the database keeps its hash, so it cannot be displayed again.
    return _page(request, db, actor, created=clear, created_name=token.name)


@router.post("/tokens/{token_id}/revoke")
def revoke_token(token_id: Annotated[int, Path(ge=1, le=MAX_ID)], db: DbSession, actor: Admin) -> Response:
    api_tokens.revoke(db, actor, token_id)
    return RedirectResponse("/admin/tokens", status_code=303)


# ---------------------------------------------------------------------------------------------------
# SMART Backend Services clients: registered with their public JWKS; they sign their own token requests.


def _clients_page(
    request: Request,
    db: DbSession,
    actor: Admin,
    *,
    created: SmartClient | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    fhir_base = str(request.base_url).rstrip("/") + "/fhir"
    return render(
        request,
        "admin/smart_clients.html",
        {
            "clients": smart_clients.list_clients(db, actor),
            "created": created,
            "errors": errors or {},
            "values": values or {"scopes": smart_clients.GRANTS[0]},
            "grants": smart_clients.GRANTS,
            "token_url": f"{fhir_base}/auth/token",
            "fhir_base": fhir_base,
        },
        status_code=status_code,
    )


@router.get("/smart-clients")
def smart_clients_page(request: Request, db: DbSession, actor: Admin) -> Response:
    return _clients_page(request, db, actor)


@router.post("/smart-clients")
def register_smart_client(
    request: Request,
    db: DbSession,
    actor: Admin,
    name: str = Form(""),
    jwks: str = Form(""),
    scopes: str = Form(""),
) -> Response:
    values = {"name": name[:200], "jwks": jwks[:20000], "scopes": scopes[:100]}
    try:
        client = smart_clients.register(db, actor, values["name"], values["jwks"], values["scopes"])
    except Invalid as error:
        errors = field_errors(request, error)
        return _clients_page(request, db, actor, errors=errors, values=values, status_code=422)
    return _clients_page(request, db, actor, created=client)


@router.post("/smart-clients/{client_id}/revoke")
def revoke_smart_client(
    client_id: Annotated[int, Path(ge=1, le=MAX_ID)], db: DbSession, actor: Admin
) -> Response:
    smart_clients.revoke(db, actor, client_id)
    return RedirectResponse("/admin/smart-clients", status_code=303)
