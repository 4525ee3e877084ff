"""Administration of API tokens for FHIR clients: create (the token is shown once), list, revoke."""

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse, Response

from asalee_track.care import api_tokens
from asalee_track.care.errors import Invalid
from asalee_track.care.inputs import MAX_ID
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
