"""The morning worklist: who has open alerts, who is overdue or due, most urgent first."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from asalee_track.care import accounts, followup, worklist_entries
from asalee_track.care.inputs import MAX_ID
from asalee_track.web.deps import Clinician, DbSession, Protocols, after_read
from asalee_track.web.rendering import is_htmx, render

router = APIRouter()
PAGE = 50


@router.get("/worklist")
def worklist(
    request: Request,
    db: DbSession,
    actor: Clinician,
    protocols: Protocols,
    pathway: str = "",
    nurse: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    show: str = "todo",
    page: int = 1,
) -> Response:
    page = max(1, min(page, 10_000))
    result = followup.worklist(
        db,
        actor,
        protocols,
        datetime.now(UTC),
        pathway=pathway if pathway in protocols else None,
        nurse_id=nurse or None,
        show=show if show in ("todo", "lost") else "todo",
        offset=(page - 1) * PAGE,
        limit=PAGE,
    )
    if result.expired:  # ranked afresh for this page: stored again, so the next page reads them
        expired = result.expired
        after_read(request, db, lambda writer: worklist_entries.refresh(writer, expired))
    context = {
        "result": result,
        "page": page,
        "pages": max(1, -(-result.total // PAGE)),
        "filters": {"pathway": pathway, "nurse": nurse, "show": show},
        "nurses": accounts.users_of_practice(db, actor.practice_id, role="nurse"),
        "protocols": protocols,
    }
    template = "fragments/worklist_rows.html" if is_htmx(request) else "worklist.html"
    return render(request, template, context)
