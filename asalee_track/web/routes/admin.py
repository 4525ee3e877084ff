"""Administration: the audit log (more arrives with users and API tokens)."""

from datetime import datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response

from asalee_track.care import audit
from asalee_track.care.patients import parse_date
from asalee_track.i18n import TIMEZONE
from asalee_track.web.deps import Admin, DbSession
from asalee_track.web.rendering import render

router = APIRouter(prefix="/admin")
PAGE = 50
ACTIONS = ("read", "search", "create", "update", "import", "export", "login", "logout", "denied")


def _day_start(raw: str) -> datetime | None:
    day = parse_date(raw) if raw else None
    return datetime(day.year, day.month, day.day, tzinfo=TIMEZONE) if day else None


@router.get("/audit")
def audit_log(
    request: Request,
    db: DbSession,
    actor: Admin,
    action: str = "",
    patient: str = "",
    since: str = "",
    until: str = "",
    page: int = 1,
) -> Response:
    page = max(1, min(page, 100_000))
    end = _day_start(until)
    filters = audit.AuditFilter(
        action=action if action in ACTIONS else None,
        patient_id=patient.strip() or None,
        since=_day_start(since),
        until=end + timedelta(days=1) if end else None,
    )
    events, total = audit.list_events(db, actor, filters, offset=(page - 1) * PAGE, limit=PAGE)
    return render(
        request,
        "admin/audit.html",
        {
            "events": events,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // PAGE)),
            "actions": ACTIONS,
            "filters": {"action": action, "patient": patient, "since": since, "until": until},
        },
    )
