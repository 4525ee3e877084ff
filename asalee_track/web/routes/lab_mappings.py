"""The admin's mapping table: which lab label or code (with its unit) is which measure, the labels the
practice's files carried that nobody has mapped yet, and the waiting results run again once mapped."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from asalee_track.care import lab_mapping, labs
from asalee_track.care.errors import Invalid
from asalee_track.web.deps import Admin, DbSession, Protocols, writes_on_get
from asalee_track.web.forms import posted, typed_values
from asalee_track.web.rendering import field_errors, render

router = APIRouter(prefix="/admin/lab-mappings")
FIELDS = ("key_kind", "key", "unit", "measure_id", "ucum")


def _page(
    request: Request,
    db: DbSession,
    actor: Admin,
    protocols: Protocols,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "admin/lab_mappings.html",
        {
            "rows": lab_mapping.practice_rows(db, actor),
            "unmapped": lab_mapping.unmapped(db, actor),
            "followed": lab_mapping.followed_measures(protocols),
            "values": values,
            "errors": errors or {},
            "settled": request.query_params.get("settled"),
        },
        status_code,
    )


@router.get("")
@writes_on_get  # the shipped defaults are written on first sight (ensure_defaults)
def mapping_page(request: Request, db: DbSession, actor: Admin, protocols: Protocols) -> Response:
    # A label from the list of unmapped ones comes prefilled in the form.
    values = {field: request.query_params.get(field, "")[:200] for field in FIELDS}
    return _page(request, db, actor, protocols, values)


@router.post("")
def save_mapping(request: Request, db: DbSession, actor: Admin, protocols: Protocols) -> Response:
    form = posted(request)
    values = typed_values(form, FIELDS, 500)
    try:
        lab_mapping.save(db, actor, protocols, values)
    except Invalid as refused:
        return _page(request, db, actor, protocols, values, field_errors(request, refused), 422)
    settled = labs.retry_mappings(db, actor, protocols)
    return RedirectResponse(f"/admin/lab-mappings?settled={settled}", status_code=303)


@router.post("/retry")
def retry(db: DbSession, actor: Admin, protocols: Protocols) -> Response:
    settled = labs.retry_mappings(db, actor, protocols)
    return RedirectResponse(f"/admin/lab-mappings?settled={settled}", status_code=303)
