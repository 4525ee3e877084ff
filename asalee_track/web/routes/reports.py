"""Dashboard and activity report (page, printable, and CSV that French Excel opens as is)."""

import csv
import io
from datetime import UTC, date, datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response

from asalee_track import i18n
from asalee_track.care import control_trend, reports
from asalee_track.care.patients import parse_date
from asalee_track.care.session_form import KINDS
from asalee_track.web.control_charts import CATEGORY_LABELS, control_chart
from asalee_track.web.deps import CurrentActor, DbSession, Protocols
from asalee_track.web.rendering import render, request_locale

router = APIRouter()


@router.get("/dashboard")
def dashboard(request: Request, db: DbSession, actor: CurrentActor, protocols: Protocols) -> Response:
    now = datetime.now(UTC)
    figures = reports.dashboard(db, actor, protocols, now)
    locale = request_locale(request)
    trends = {
        protocol_id: [(trend, control_chart(trend, trend.label.get(locale))) for trend in indicators]
        for protocol_id, indicators in control_trend.control_trends(db, actor, protocols, now).items()
    }
    context = {"figures": figures, "protocols": protocols, "trends": trends, "categories": CATEGORY_LABELS}
    return render(request, "dashboard.html", context)


@router.get("/dashboard/{protocol_id}/{key}/{category}")
def dashboard_group(
    request: Request,
    db: DbSession,
    actor: CurrentActor,
    protocols: Protocols,
    protocol_id: str,
    key: str,
    category: str,
) -> Response:
    """The patients behind one number of the dashboard, one tap away from it."""
    category = category.replace("-", "_")  # in the address as in the page's classes: no-recent-value
    trend, patients = control_trend.group_patients(
        db, actor, protocols, protocol_id, key, category, datetime.now(UTC)
    )
    context = {
        "trend": trend,
        "category": category,
        "patients": patients,
        "protocol": protocols[protocol_id],
        "categories": CATEGORY_LABELS,
    }
    return render(request, "dashboard_group.html", context)


def _period(start: str, end: str) -> tuple[date, date]:
    today = i18n.local_today()
    first = parse_date(start) if start else None
    last = parse_date(end) if end else None
    first = first or date(today.year, 1, 1)
    last = last or today
    if last < first or (last - first) > timedelta(days=3660):
        first, last = date(today.year, 1, 1), today
    return first, last


@router.get("/reports/activity")
def activity(
    request: Request, db: DbSession, actor: CurrentActor, protocols: Protocols, start: str = "", end: str = ""
) -> Response:
    first, last = _period(start, end)
    rows = reports.activity(db, actor, protocols, first, last)
    return render(
        request,
        "reports/activity.html",
        {"rows": rows, "start": first, "end": last, "protocols": protocols, "kinds": KINDS},
    )


@router.get("/reports/activity.csv")
def activity_csv(
    request: Request, db: DbSession, actor: CurrentActor, protocols: Protocols, start: str = "", end: str = ""
) -> Response:
    first, last = _period(start, end)
    locale = request_locale(request)
    rows = reports.activity(db, actor, protocols, first, last)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    kind_labels = {
        "first": i18n.N_("first visit"),
        "follow-up": i18n.N_("follow-up"),
        "phone": i18n.N_("phone"),
        "group": i18n.N_("group"),
    }
    writer.writerow(
        [
            i18n.gettext("Pathway"),
            i18n.gettext("Patients seen"),
            i18n.gettext("Sessions"),
            i18n.gettext("Time (minutes)"),
            *(i18n.gettext(kind_labels[k]) for k in KINDS),
        ]
    )
    for row in rows:
        title = protocols[row.protocol_id].title.get(locale)
        writer.writerow(
            [title, row.patients, row.sessions, row.minutes, *(row.by_kind.get(k, 0) for k in KINDS)]
        )
    filename = f"activite-{first.isoformat()}-{last.isoformat()}.csv"
    # The BOM tells Excel the file is UTF-8; without it, accents come out garbled.
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
