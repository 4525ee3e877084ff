"""Lab result files: upload one or many, each file's report, the files received, and the review queue
where the nurse says whose result it is or rejects it. The mapping table is in routes/lab_mappings.py."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from asalee_track import i18n
from asalee_track.care import lab_wording, labs, patients
from asalee_track.care.errors import Invalid
from asalee_track.store.tables import LabResult
from asalee_track.web.deps import Clinician, DbSession, Protocols
from asalee_track.web.forms import posted
from asalee_track.web.rendering import field_errors, is_htmx, render, request_locale

router = APIRouter(prefix="/labs")
CANDIDATES = 10


def _wording(request: Request) -> dict[str, object]:
    """The report's words in the page's language, the same sentences the command line prints."""
    locale = request_locale(request)
    return {
        "outcome_label": lambda name: lab_wording.outcome(name, locale),
        "reason_text": lambda message, params: lab_wording.reason(message, params, locale),
    }


def _labs_page(
    request: Request,
    db: DbSession,
    actor: Clinician,
    summaries: list[labs.Summary] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "labs/index.html",
        {
            "summaries": summaries or [],
            "error": error,
            "reports": labs.reports(db, actor),
            "queue": labs.queue(db, actor),
            "done": request.query_params.get("done", ""),
            **_wording(request),
        },
        status_code,
    )


@router.get("")
def labs_page(request: Request, db: DbSession, actor: Clinician) -> Response:
    return _labs_page(request, db, actor)


@router.post("")
def upload(request: Request, db: DbSession, actor: Clinician, protocols: Protocols) -> Response:
    """Each file is imported on its own: one refused file never keeps the others out. The request
    as a whole is capped by the body limit, whose refusal page says so in French."""
    form = posted(request)
    files = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
    if not files:
        error = i18n.gettext("Choose one or more lab result files.")
        return _labs_page(request, db, actor, error=error, status_code=422)
    summaries = [
        labs.import_file(db, protocols, actor.practice_id, f.filename or "", f.file.read(), actor=actor)
        for f in files
    ]
    return _labs_page(request, db, actor, summaries)


@router.get("/reports/{report_id}")
def report_page(request: Request, db: DbSession, actor: Clinician, report_id: str) -> Response:
    summary = labs.report(db, actor, report_id)
    return render(request, "labs/report.html", {"summary": summary, **_wording(request)})


def _result_context(db: DbSession, actor: Clinician, row: LabResult, q: str | None) -> dict[str, object]:
    """The result, and the practice's patients matching the search (the lab's birth name at first)."""
    if q is None:
        q = str(row.identity.get("birth_name") or "")
    found = patients.search(db, actor, q, limit=CANDIDATES) if q.strip() else None
    return {"row": row, "q": q, "candidates": found}


@router.get("/results/{result_id}")
def result_page(
    request: Request, db: DbSession, actor: Clinician, result_id: str, q: str | None = None
) -> Response:
    """The full page without JavaScript; with htmx, only the patients matching the search."""
    row = labs.result(db, actor, result_id)
    context = {**_result_context(db, actor, row, None if q is None else q[:100]), **_wording(request)}
    template = "fragments/lab_candidates.html" if is_htmx(request) else "labs/result.html"
    return render(request, template, context)


def _answer(
    request: Request,
    db: DbSession,
    actor: Clinician,
    row: LabResult,
    errors: dict[str, str],
    typed: dict[str, str] | None = None,
) -> Response:
    """htmx: the queue line, dealt with or with its error; otherwise back to the page (or the result's
    page with its error)."""
    if is_htmx(request):
        # 200 even with an error: htmx swaps no 4xx answer, and the line must show its message.
        context = {"row": row, "errors": errors, "typed": typed or {}, **_wording(request)}
        return render(request, "fragments/lab_queue_row.html", context)
    if errors:
        context = {
            **_result_context(db, actor, row, None),
            "errors": errors,
            "typed": typed or {},
            **_wording(request),
        }
        return render(request, "labs/result.html", context, 422)
    return RedirectResponse(f"/labs?done={row.status}#queue", status_code=303)


@router.post("/results/{result_id}/assign")
def assign(
    request: Request,
    db: DbSession,
    actor: Clinician,
    protocols: Protocols,
    result_id: str,
    patient_id: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    try:
        row = labs.assign(db, actor, protocols, result_id, patient_id)
        errors: dict[str, str] = {}
    except Invalid as refused:
        row, errors = labs.result(db, actor, result_id), field_errors(request, refused)
    return _answer(request, db, actor, row, errors)


@router.post("/results/{result_id}/reject")
def reject(
    request: Request,
    db: DbSession,
    actor: Clinician,
    result_id: str,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        row = labs.reject(db, actor, result_id, reason)
        errors: dict[str, str] = {}
    except Invalid as refused:
        row, errors = labs.result(db, actor, result_id), field_errors(request, refused)
    return _answer(request, db, actor, row, errors, {"reason": reason[:300]})
